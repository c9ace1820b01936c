package dev.kcert.bench;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.RSAKeyGenParameterSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The floor under {@code kcert certs renew all} on a JVM: a fresh JVM that makes the same 11
 * RSA-2048 keys with the JDK's {@code KeyPairGenerator}, one thread per core, and nothing else (no
 * files, no certificates). {@code bench/run} times it as a whole process beside the renewal and
 * openssl's 11 keys, so that the renewal's time splits into what any JVM needs for its keys and
 * what kcert adds.
 *
 * <p>Usage: {@code java -cp benchmarks.jar dev.kcert.bench.KeyFloor [KEYS [WARM]]}; prints the
 * number of keys made and the modulus bits of the first (so the work cannot be skipped). With
 * {@code WARM} keys made first in the same JVM, it also prints the seconds the {@code KEYS} keys
 * took after them: key generation once the JIT has compiled it, which shows how much of the floor
 * is the JVM warming up.
 */
public final class KeyFloor {
  private KeyFloor() {}

  public static void main(String[] args) throws Exception {
    int keys = args.length > 0 ? Integer.parseInt(args[0]) : 11;
    int warm = args.length > 1 ? Integer.parseInt(args[1]) : 0;
    ExecutorService pool = Executors.newFixedThreadPool(Runtime.getRuntime().availableProcessors());
    if (warm > 0) {
      int bits = make(pool, warm);
      long start = System.nanoTime();
      make(pool, keys);
      double secs = (System.nanoTime() - start) / 1e9;
      pool.shutdown();
      System.out.printf(java.util.Locale.ROOT, "%d keys, %d bits, after %d: %.3f s%n", keys, bits, warm, secs);
      return;
    }
    int bits = make(pool, keys);
    pool.shutdown();
    System.out.println(keys + " keys, " + bits + " bits");
  }

  /** Makes {@code keys} keys on the pool's threads; returns the first one's modulus bits. */
  private static int make(ExecutorService pool, int keys) throws Exception {
    List<Future<KeyPair>> made = new ArrayList<>();
    for (int i = 0; i < keys; i++) {
      made.add(
          pool.submit(
              () -> {
                KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
                gen.initialize(new RSAKeyGenParameterSpec(2048, RSAKeyGenParameterSpec.F4));
                return gen.generateKeyPair();
              }));
    }
    int bits = 0;
    for (Future<KeyPair> k : made) {
      KeyPair pair = k.get();
      if (bits == 0) {
        bits = ((java.security.interfaces.RSAPublicKey) pair.getPublic()).getModulus().bitLength();
      }
    }
    return bits;
  }
}
