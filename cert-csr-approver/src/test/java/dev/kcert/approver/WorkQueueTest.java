package dev.kcert.approver;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class WorkQueueTest {

  @Test
  void aKeyIsQueuedOnceHoweverOftenItIsAdded() throws Exception {
    try (WorkQueue q = new WorkQueue(Duration.ofMillis(10), Duration.ofSeconds(1))) {
      q.add("a");
      q.add("b");
      q.add("a");
      assertThat(q.size()).isEqualTo(2);
      assertThat(q.take()).contains("a");
      assertThat(q.take()).contains("b");
      assertThat(q.size()).isZero();
    }
  }

  @Test
  void aKeyAddedWhileHeldIsHandedOutAgainOnlyAfterDone() throws Exception {
    try (WorkQueue q = new WorkQueue(Duration.ofMillis(10), Duration.ofSeconds(1))) {
      q.add("a");
      assertThat(q.take()).contains("a");
      q.add("a");
      q.add("a");
      assertThat(q.size()).as("not handed to a second worker while held").isZero();
      q.done("a");
      assertThat(q.size()).isEqualTo(1);
      assertThat(q.take()).contains("a");
      q.done("a");
      assertThat(q.size()).isZero();
    }
  }

  @Test
  void backoffDoublesPerKeyUpToTheMaximumAndForgetResetsIt() {
    try (WorkQueue q = new WorkQueue(Duration.ofMillis(100), Duration.ofMillis(500))) {
      assertThat(q.nextDelay("a")).isEqualTo(Duration.ofMillis(100));
      assertThat(q.nextDelay("a")).isEqualTo(Duration.ofMillis(200));
      assertThat(q.nextDelay("a")).isEqualTo(Duration.ofMillis(400));
      assertThat(q.nextDelay("a")).isEqualTo(Duration.ofMillis(500));
      assertThat(q.nextDelay("a")).isEqualTo(Duration.ofMillis(500));
      assertThat(q.nextDelay("b")).isEqualTo(Duration.ofMillis(100));
      q.forget("a");
      assertThat(q.failures("a")).isZero();
      assertThat(q.nextDelay("a")).isEqualTo(Duration.ofMillis(100));
    }
  }

  @Test
  void rateLimitedKeysComeBackAfterTheirDelay() throws Exception {
    try (WorkQueue q = new WorkQueue(Duration.ofMillis(50), Duration.ofSeconds(1))) {
      long start = System.nanoTime();
      q.addRateLimited("a");
      assertThat(q.size()).isZero();
      assertThat(q.take()).contains("a");
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(45));
    }
  }

  @Test
  void closeReleasesWaitingWorkers() throws Exception {
    WorkQueue q = new WorkQueue(Duration.ofMillis(10), Duration.ofSeconds(1));
    java.util.concurrent.atomic.AtomicReference<Optional<String>> got = new java.util.concurrent.atomic.AtomicReference<>();
    Thread t = new Thread(() -> {
      try {
        got.set(q.take());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    t.start();
    Thread.sleep(50);
    q.close();
    t.join(2000);
    assertThat(t.isAlive()).isFalse();
    assertThat(got.get()).isEmpty();
  }

  @Test
  void keysAddedLaterWaitBehindEveryOtherKeyUnlessAddedAgain() throws Exception {
    try (WorkQueue q = new WorkQueue(Duration.ofMillis(10), Duration.ofSeconds(1))) {
      q.addLater("flood-1");
      q.addLater("flood-2");
      q.add("other");
      q.addLater("flood-3");
      q.add("flood-3"); // wanted now after all
      assertThat(q.size()).isEqualTo(4);
      List<String> order = new java.util.ArrayList<>();
      for (int i = 0; i < 4; i++) {
        String k = q.take().orElseThrow();
        order.add(k);
        q.done(k);
      }
      assertThat(order).containsExactly("other", "flood-3", "flood-1", "flood-2");
    }
  }
}
