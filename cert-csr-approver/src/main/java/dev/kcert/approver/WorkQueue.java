package dev.kcert.approver;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A queue of object names for the workers. A name is held at most once; a name added while a
 * worker holds it is handed out again only after that worker is done, so one object is never
 * judged by two workers at once. Failed names come back after a per-name exponential backoff.
 */
final class WorkQueue implements AutoCloseable {
  /** What the queue reports, for client-go's work-queue metrics. */
  interface Observer {
    Observer NONE = new Observer() {};

    /** A key was added (not already waiting). */
    default void added() {}

    /** A key was handed to a worker after waiting this long. */
    default void taken(long waitedNanos) {}

    /** A worker finished a key it held this long. */
    default void done(long workedNanos) {}

    /** A key was put back after a failure. */
    default void retried() {}
  }

  private final Deque<String> queue = new ArrayDeque<>();
  /** Keys handed out only when {@link #queue} is empty (see {@link #addLater}). */
  private final Deque<String> later = new ArrayDeque<>();
  private final Set<String> laterKeys = new HashSet<>();
  private final Map<String, Long> addedAt = new HashMap<>();
  private final Map<String, Long> takenAt = new HashMap<>();
  private final Observer observer;
  private final Set<String> dirty = new HashSet<>();
  private final Set<String> processing = new HashSet<>();
  private final Map<String, Integer> failures = new HashMap<>();
  private final ScheduledExecutorService delayer;
  private final Duration baseDelay;
  private final Duration maxDelay;
  private boolean shutdown;

  WorkQueue(Duration baseDelay, Duration maxDelay) {
    this(baseDelay, maxDelay, Observer.NONE);
  }

  WorkQueue(Duration baseDelay, Duration maxDelay, Observer observer) {
    this.observer = observer;
    this.baseDelay = baseDelay;
    this.maxDelay = maxDelay;
    this.delayer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "approver-queue-delay");
              t.setDaemon(true);
              return t;
            });
  }

  synchronized void add(String key) {
    if (laterKeys.remove(key) && later.remove(key)) {
      // promoted: it waited behind everything else and is now wanted at once
      dirty.remove(key);
    }
    if (shutdown || dirty.contains(key)) {
      return;
    }
    dirty.add(key);
    addedAt.putIfAbsent(key, System.nanoTime());
    observer.added();
    if (!processing.contains(key)) {
      queue.addLast(key);
      notifyAll();
    }
  }

  /**
   * Adds a key that waits until every key added with {@link #add} has been handed out, so that a
   * pile of one kind (a flooding node's requests) never delays the others.
   */
  synchronized void addLater(String key) {
    if (shutdown || dirty.contains(key)) {
      return;
    }
    dirty.add(key);
    laterKeys.add(key);
    addedAt.putIfAbsent(key, System.nanoTime());
    observer.added();
    if (!processing.contains(key)) {
      later.addLast(key);
      notifyAll();
    }
  }

  void addAfter(String key, Duration delay) {
    if (delay.isZero() || delay.isNegative()) {
      add(key);
      return;
    }
    synchronized (this) {
      if (shutdown) {
        return;
      }
    }
    delayer.schedule(() -> add(key), delay.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Adds the key back after its next backoff delay, and returns that delay. */
  Duration addRateLimited(String key) {
    Duration delay = nextDelay(key);
    addAfter(key, delay);
    return delay;
  }

  /** The delay the next {@link #addRateLimited} would use, counting one more failure. */
  synchronized Duration nextDelay(String key) {
    observer.retried();
    int n = failures.merge(key, 1, Integer::sum);
    long millis = baseDelay.toMillis();
    for (int i = 1; i < n && millis < maxDelay.toMillis(); i++) {
      millis *= 2;
    }
    return Duration.ofMillis(Math.min(millis, maxDelay.toMillis()));
  }

  /** Clears the backoff of a key that was handled. */
  synchronized void forget(String key) {
    failures.remove(key);
  }

  synchronized int failures(String key) {
    return failures.getOrDefault(key, 0);
  }

  /** Waits for a key; empty once the queue is shut down. */
  synchronized Optional<String> take() throws InterruptedException {
    while (queue.isEmpty() && later.isEmpty() && !shutdown) {
      wait();
    }
    if (shutdown) {
      return Optional.empty();
    }
    String key = queue.isEmpty() ? later.pollFirst() : queue.pollFirst();
    laterKeys.remove(key);
    processing.add(key);
    dirty.remove(key);
    long now = System.nanoTime();
    Long added = addedAt.remove(key);
    observer.taken(added == null ? 0 : now - added);
    takenAt.put(key, now);
    return Optional.of(key);
  }

  /** Marks a key taken with {@link #take} as finished. */
  synchronized void done(String key) {
    processing.remove(key);
    Long taken = takenAt.remove(key);
    if (taken != null) {
      observer.done(System.nanoTime() - taken);
    }
    if (dirty.contains(key)) {
      (laterKeys.contains(key) ? later : queue).addLast(key);
      notifyAll();
    }
  }

  synchronized int size() {
    return queue.size() + later.size();
  }

  @Override
  public void close() {
    synchronized (this) {
      shutdown = true;
      notifyAll();
    }
    delayer.shutdownNow();
  }
}
