package dev.kcert.kube;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequest;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequestBuilder;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class EventRecorderTest {
  private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-23T12:00:00Z"), ZoneOffset.UTC);
  private static final Duration WAIT = Duration.ofSeconds(10);

  private final List<Event> sent = new CopyOnWriteArrayList<>();
  private final AtomicInteger drops = new AtomicInteger();

  @Test
  void aDecisionDoesNotWaitForItsEvent() throws Exception {
    CountDownLatch apiServer = new CountDownLatch(1);
    try (EventRecorder r = recorder(e -> {
      await(apiServer);
      sent.add(e);
    }, 10)) {
      long start = System.nanoTime();
      for (int i = 0; i < 5; i++) {
        r.record(csr("csr-" + i), false, "KcertApproved", "approved");
      }
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
      assertThat(sent).isEmpty();
      apiServer.countDown();
      await("five events", WAIT, () -> sent.size() == 5);
    }
    assertThat(sent).extracting(e -> e.getInvolvedObject().getName())
        .containsExactly("csr-0", "csr-1", "csr-2", "csr-3", "csr-4");
    Event first = sent.get(0);
    assertThat(first.getType()).isEqualTo("Normal");
    assertThat(first.getReason()).isEqualTo("KcertApproved");
    assertThat(first.getMetadata().getNamespace()).isEqualTo("default");
    assertThat(first.getMetadata().getName()).startsWith("csr-0.");
    assertThat(first.getReportingInstance()).isEqualTo("replica-1");
    assertThat(first.getReportingComponent()).isEqualTo("kcert-csr-approver");
    assertThat(first.getInvolvedObject().getKind()).isEqualTo("CertificateSigningRequest");
    assertThat(first.getInvolvedObject().getApiVersion()).isEqualTo("certificates.k8s.io/v1");
    assertThat(first.getInvolvedObject().getUid()).isEqualTo("uid-csr-0");
    assertThat(first.getFirstTimestamp()).isEqualTo("2026-11-23T12:00:00Z");
    assertThat(drops).hasValue(0);
  }

  @Test
  void whenTheQueueIsFullEventsAreDroppedAndCounted() throws Exception {
    CountDownLatch apiServer = new CountDownLatch(1);
    CountDownLatch taken = new CountDownLatch(1);
    try (EventRecorder r = recorder(e -> {
      taken.countDown();
      await(apiServer);
      sent.add(e);
    }, 3)) {
      r.record(csr("csr-held"), false, "KcertApproved", "approved"); // taken by the sender, which blocks
      assertThat(taken.await(10, TimeUnit.SECONDS)).isTrue();
      for (int i = 0; i < 5; i++) {
        r.record(csr("csr-" + i), true, "KcertDenied", "denied");
      }
      assertThat(drops).hasValue(2);
      apiServer.countDown();
      await("four events", WAIT, () -> sent.size() == 4);
    }
    assertThat(sent).extracting(e -> e.getInvolvedObject().getName())
        .containsExactly("csr-held", "csr-0", "csr-1", "csr-2");
    assertThat(sent.get(1).getType()).isEqualTo("Warning");
  }

  @Test
  void closeSendsWhatIsQueued() {
    EventRecorder r = recorder(e -> {
      sleep(20);
      sent.add(e);
    }, 100);
    for (int i = 0; i < 20; i++) {
      r.record(csr("csr-" + i), false, "KcertApproved", "approved");
    }
    r.close();
    assertThat(sent).hasSize(20);
    r.record(csr("late"), false, "KcertApproved", "approved");
    sleep(200);
    assertThat(sent).hasSize(20);
  }

  @Test
  void aFailedEventDoesNotStopTheNextOnes() {
    try (EventRecorder r = recorder(e -> {
      if (e.getInvolvedObject().getName().equals("csr-bad")) {
        throw new IllegalStateException("API server said no");
      }
      sent.add(e);
    }, 10)) {
      r.record(csr("csr-bad"), false, "KcertApproved", "approved");
      r.record(csr("csr-good"), false, "KcertApproved", "approved");
      await("the good event", WAIT, () -> sent.size() == 1);
    }
    assertThat(sent.get(0).getInvolvedObject().getName()).isEqualTo("csr-good");
  }

  @Test
  void longMessagesAreCut() {
    try (EventRecorder r = recorder(sent::add, 10)) {
      r.record(csr("csr-long"), true, "KcertDenied", "x".repeat(5000));
      await("the event", WAIT, () -> sent.size() == 1);
    }
    assertThat(sent.get(0).getMessage()).hasSize(1000);
  }

  private EventRecorder recorder(EventRecorder.Sink sink, int queueSize) {
    return new EventRecorder(sink, "default", "kcert-csr-approver", "replica-1", CLOCK, drops::incrementAndGet, queueSize);
  }

  private static CertificateSigningRequest csr(String name) {
    return new CertificateSigningRequestBuilder()
        .withNewMetadata().withName(name).withUid("uid-" + name).endMetadata()
        .build();
  }

  @Test
  void eventsAboutANodeNameTheNode() {
    try (EventRecorder r = recorder(sent::add, 10)) {
      r.record(new io.fabric8.kubernetes.api.model.NodeBuilder().withNewMetadata().withName("cp-1").withUid("u1")
          .endMetadata().build(), true, "KcertRenewalFailed", "etcd did not come back");
      await("the event", WAIT, () -> sent.size() == 1);
    }
    assertThat(sent.get(0).getInvolvedObject().getKind()).isEqualTo("Node");
    assertThat(sent.get(0).getInvolvedObject().getApiVersion()).isEqualTo("v1");
    assertThat(sent.get(0).getType()).isEqualTo("Warning");
  }

  private static void await(String what, Duration timeout, java.util.function.BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + timeout.toMillis() + " ms waiting for " + what);
      }
      sleep(25);
    }
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
