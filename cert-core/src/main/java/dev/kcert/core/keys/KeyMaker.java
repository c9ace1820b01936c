package dev.kcert.core.keys;

import dev.kcert.core.model.KcertException;
import java.security.KeyPair;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Makes new keys on background threads, one per core, so that planning (reading files, signing the
 * certificates whose keys are ready) goes on while the rest are made. RSA key generation is nearly
 * all of the time a renewal or a new PKI takes. The threads start with the first key asked for.
 */
public final class KeyMaker implements AutoCloseable {
  private ExecutorService pool;

  /** A key of type {@code algorithm}, being made. */
  public Future<KeyPair> make(KeyAlgorithm algorithm) {
    if (pool == null) {
      pool =
          Executors.newFixedThreadPool(
              Runtime.getRuntime().availableProcessors(),
              r -> {
                Thread t = new Thread(r, "kcert-keys");
                t.setDaemon(true);
                return t;
              });
    }
    return pool.submit(algorithm::generate);
  }

  /** A key that needs no making (an existing key, or none in a dry run). */
  public static Future<KeyPair> ready(KeyPair pair) {
    return CompletableFuture.completedFuture(pair);
  }

  /** Waits for a key; its generation's failure is rethrown as it was. */
  public static KeyPair await(Future<KeyPair> key) {
    try {
      return key.get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new KcertException("cannot generate a key: " + e.getCause(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KcertException("interrupted while generating keys", e);
    }
  }

  /** Stops the threads; keys still being made when planning failed are abandoned. */
  @Override
  public void close() {
    if (pool != null) {
      pool.shutdownNow();
    }
  }
}
