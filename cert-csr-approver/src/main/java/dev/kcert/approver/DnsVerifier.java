package dev.kcert.approver;

import dev.kcert.kube.Log;
import dev.kcert.core.approval.DnsAnswer;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;

/**
 * Resolves DNS SANs for {@code --verify-dns}: each lookup is bounded in time, answers are cached
 * (failures for a shorter time), concurrent lookups of one name share one query, and at most
 * {@link #MAX_PENDING} lookups wait at once. A failure or timeout is a {@link DnsAnswer.Failed}:
 * the policy then retries the request later and never approves it on a guess.
 */
final class DnsVerifier implements AutoCloseable {
  /** Looks a name up; the JDK's resolver in production. */
  interface Resolver {
    InetAddress[] resolve(String name) throws UnknownHostException;
  }

  static final int MAX_CACHED = 10_000;
  static final int MAX_PENDING = 256;
  static final Duration FAILURE_TTL = Duration.ofSeconds(5);

  private final Resolver resolver;
  private final Duration timeout;
  private final Duration ttl;
  private final LongSupplier nanos;
  private final ExecutorService pool;
  private final ConcurrentHashMap<String, Entry> cache = new ConcurrentHashMap<>();

  private record Entry(CompletableFuture<DnsAnswer> answer, long createdNanos) {}

  DnsVerifier(Resolver resolver, Duration timeout, Duration ttl, LongSupplier nanos) {
    this.resolver = resolver;
    this.timeout = timeout;
    this.ttl = ttl;
    this.nanos = nanos;
    this.pool = new ThreadPoolExecutor(2, 2, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(MAX_PENDING),
        r -> {
          Thread t = new Thread(r, "dns-lookup");
          t.setDaemon(true);
          return t;
        });
  }

  static DnsVerifier system(Duration timeout, Duration ttl) {
    return new DnsVerifier(InetAddress::getAllByName, timeout, ttl, System::nanoTime);
  }

  /** What the name resolves to; waits at most the timeout. */
  DnsAnswer lookup(String name) {
    long now = nanos.getAsLong();
    Entry e = cache.compute(name, (k, old) -> old != null && fresh(old, now) ? old : start(k, now));
    try {
      return e.answer().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException ex) {
      return new DnsAnswer.Failed("no answer within " + timeout.toMillis() + " ms");
    } catch (InterruptedException ex) {
      Thread.currentThread().interrupt();
      return new DnsAnswer.Failed("interrupted");
    } catch (ExecutionException ex) {
      return new DnsAnswer.Failed(String.valueOf(ex.getCause()));
    }
  }

  private boolean fresh(Entry e, long now) {
    CompletableFuture<DnsAnswer> f = e.answer();
    if (!f.isDone()) {
      return true; // one query at a time per name
    }
    DnsAnswer a = f.getNow(null);
    long age = now - e.createdNanos();
    return age < (a instanceof DnsAnswer.Failed ? FAILURE_TTL : ttl).toNanos();
  }

  private Entry start(String name, long now) {
    if (cache.size() >= MAX_CACHED) {
      cache.entrySet().removeIf(x -> x.getValue().answer().isDone());
    }
    CompletableFuture<DnsAnswer> f = new CompletableFuture<>();
    try {
      pool.execute(() -> {
        try {
          f.complete(new DnsAnswer.Addresses(Set.copyOf(java.util.Arrays.asList(resolver.resolve(name)))));
        } catch (UnknownHostException ex) {
          f.complete(new DnsAnswer.Failed("no address found for " + name));
        } catch (RuntimeException ex) {
          f.complete(new DnsAnswer.Failed(Log.oneLine(ex)));
        }
      });
    } catch (RejectedExecutionException ex) {
      f.complete(new DnsAnswer.Failed("too many DNS lookups waiting"));
    }
    return new Entry(f, now);
  }

  @Override
  public void close() {
    pool.shutdownNow();
  }
}
