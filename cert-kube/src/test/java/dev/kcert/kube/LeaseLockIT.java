package dev.kcert.kube;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** LeaseLock against the mock API server (CRUD mode, which answers 409 to a stale resourceVersion). */
class LeaseLockIT {
  private static final Duration TTL = Duration.ofSeconds(30);
  private static final Set<String> NONE_GONE = Set.of();

  /** A clock the test moves by hand. */
  static final class StepClock extends Clock {
    Instant now = Instant.parse("2026-11-30T10:00:00Z");

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  private KubernetesMockServer server;
  private KubernetesClient client;
  private final StepClock clock = new StepClock();

  @BeforeEach
  void start() {
    server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
        new KubernetesCrudDispatcher(), false);
    server.init();
    client = server.createClient();
  }

  @AfterEach
  void stop() {
    client.close();
    server.destroy();
  }

  private LeaseLock lock() {
    return new LeaseLock(client, "kube-system", "kcert-renewal", TTL, clock);
  }

  private Lease lease() {
    return client.leases().inNamespace("kube-system").withName("kcert-renewal").get();
  }

  @Test
  void aFreshHoldIsKeptAndAnExpiredOneIsTakenOverWithItsAnnotations() {
    LeaseLock lock = lock();
    assertThat(lock.read().exists()).isFalse();
    Optional<LeaseLock.State> first = lock.acquire("cp-1", NONE_GONE::contains);
    assertThat(first).hasValueSatisfying(s -> assertThat(s.exists()).isFalse());
    assertThat(lease().getSpec().getHolderIdentity()).isEqualTo("cp-1");
    assertThat(lease().getSpec().getLeaseDurationSeconds()).isEqualTo(30);
    assertThat(lock.renew("cp-1", Map.of("kcert.dev/phase", "restart-etcd", "kcert.dev/backup", "b-1"))).isTrue();

    clock.now = clock.now.plus(TTL);
    assertThat(lock.acquire("cp-2", NONE_GONE::contains)).as("renewed exactly a TTL ago").isEmpty();
    clock.now = clock.now.plusSeconds(1);
    Optional<LeaseLock.State> taken = lock.acquire("cp-2", NONE_GONE::contains);
    // the successor learns the phase and backup folder of the run it takes over
    assertThat(taken).hasValueSatisfying(s -> {
      assertThat(s.holder()).isEqualTo("cp-1");
      assertThat(s.annotation("kcert.dev/phase")).contains("restart-etcd");
      assertThat(s.annotation("kcert.dev/backup")).contains("b-1");
    });
    Lease l = lease();
    assertThat(l.getSpec().getHolderIdentity()).isEqualTo("cp-2");
    assertThat(l.getSpec().getLeaseTransitions()).isEqualTo(1);
    assertThat(l.getSpec().getAcquireTime().toInstant()).isEqualTo(clock.now);
    assertThat(l.getMetadata().getAnnotations()).containsEntry("kcert.dev/phase", "restart-etcd");
    // the old holder finds out on its next renewal and cannot release the successor's hold
    assertThat(lock.renew("cp-1", Map.of("kcert.dev/phase", "done"))).isFalse();
    lock.release("cp-1", Map.of("kcert.dev/phase", "released-by-old-holder"));
    assertThat(lease().getSpec().getHolderIdentity()).isEqualTo("cp-2");
    assertThat(lease().getMetadata().getAnnotations()).containsEntry("kcert.dev/phase", "restart-etcd");
  }

  @Test
  void aHolderWhoseNodeIsGoneIsTakenOverBeforeTheTtl() {
    LeaseLock lock = lock();
    assertThat(lock.acquire("cp-1", NONE_GONE::contains)).isPresent();
    clock.now = clock.now.plusSeconds(5);
    assertThat(lock.acquire("cp-2", NONE_GONE::contains)).isEmpty();
    assertThat(lock.acquire("cp-2", Set.of("cp-1")::contains)).hasValueSatisfying(
        s -> assertThat(s.holder()).isEqualTo("cp-1"));
    assertThat(lease().getSpec().getHolderIdentity()).isEqualTo("cp-2");
    // the predicate is asked about the holder, not about anyone else
    assertThat(lock.acquire("cp-3", Set.of("cp-1")::contains)).isEmpty();
  }

  @Test
  void theHolderTakesItsOwnLeaseAgainWithoutATransition() {
    LeaseLock lock = lock();
    assertThat(lock.acquire("cp-1", NONE_GONE::contains)).isPresent();
    clock.now = clock.now.plusSeconds(10);
    assertThat(lock.acquire("cp-1", NONE_GONE::contains)).hasValueSatisfying(
        s -> assertThat(s.holder()).isEqualTo("cp-1"));
    Lease l = lease();
    assertThat(l.getSpec().getLeaseTransitions()).isNull();
    assertThat(l.getSpec().getRenewTime().toInstant()).isEqualTo(clock.now);
    assertThat(l.getSpec().getAcquireTime().toInstant()).isEqualTo(clock.now.minusSeconds(10));
  }

  @Test
  void annotationsOutliveTheReleaseAndNullRemovesOne() {
    LeaseLock lock = lock();
    assertThat(lock.acquire("cp-1", NONE_GONE::contains)).isPresent();
    Map<String, String> marks = new HashMap<>();
    marks.put("kcert.dev/phase", "restart-kube-apiserver");
    marks.put("kcert.dev/failed", "cp-1: kube-apiserver did not serve the new certificate");
    assertThat(lock.renew("cp-1", marks)).isTrue();
    Map<String, String> onRelease = new HashMap<>();
    onRelease.put("kcert.dev/phase", null);
    lock.release("cp-1", onRelease);

    LeaseLock.State s = lock.read();
    assertThat(s.exists()).isTrue();
    assertThat(s.held()).isFalse();
    assertThat(s.renewed()).isNull();
    assertThat(s.annotations()).doesNotContainKey("kcert.dev/phase")
        .containsEntry("kcert.dev/failed", "cp-1: kube-apiserver did not serve the new certificate");
    // a free Lease is free at once, whatever the TTL; the mark stays for whoever reads it
    assertThat(lock.acquire("cp-2", NONE_GONE::contains)).hasValueSatisfying(
        b -> assertThat(b.annotation("kcert.dev/failed")).isPresent());
  }

  @Test
  void aStaleWriteIsRejectedByTheApiServer() {
    LeaseLock lock = lock();
    assertThat(lock.acquire("cp-1", NONE_GONE::contains)).isPresent();
    Lease stale = lease();
    assertThat(lock.renew("cp-1", Map.of("kcert.dev/phase", "renew"))).isTrue();
    // what LeaseLock relies on: an update carrying an old resourceVersion is a 409
    Lease write = new LeaseBuilder(stale).build();
    write.getSpec().setHolderIdentity("cp-2");
    try {
      client.leases().inNamespace("kube-system").resource(write).update();
      throw new AssertionError("a stale update was accepted");
    } catch (KubernetesClientException e) {
      assertThat(e.getCode()).isEqualTo(409);
    }
    assertThat(lease().getSpec().getHolderIdentity()).isEqualTo("cp-1");
  }

  @Test
  void candidatesRacingForAFreeOrExpiredLeaseNeverBothWin() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(3);
    try {
      LeaseLock lock = lock();
      for (int round = 0; round < 15; round++) {
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Optional<LeaseLock.State>>> results = new ArrayList<>();
        for (String node : List.of("cp-1", "cp-2", "cp-3")) {
          LeaseLock mine = lock();
          results.add(pool.submit(() -> {
            go.await();
            return mine.acquire(node, NONE_GONE::contains);
          }));
        }
        go.countDown();
        List<Integer> winners = new ArrayList<>();
        for (int i = 0; i < results.size(); i++) {
          if (results.get(i).get().isPresent()) {
            winners.add(i);
          }
        }
        assertThat(winners).as("round %d", round).hasSize(1);
        String holder = List.of("cp-1", "cp-2", "cp-3").get(winners.get(0));
        assertThat(lease().getSpec().getHolderIdentity()).isEqualTo(holder);
        // odd rounds start from a released Lease, even rounds from an expired hold
        if (round % 2 == 1) {
          lock.release(holder, Map.of());
        } else {
          clock.now = clock.now.plus(TTL).plusSeconds(1);
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
