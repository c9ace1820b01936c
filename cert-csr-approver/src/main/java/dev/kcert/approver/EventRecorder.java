package dev.kcert.approver;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequest;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes core/v1 Events about CSRs, so {@code kubectl describe csr} shows what was decided.
 *
 * <p>Events are best effort and sent from a thread of their own, as Kubernetes' own recorders do: a
 * decision never waits for its event. A bounded queue sits in between; when the API server cannot
 * keep up, further events are dropped (and counted) rather than held in memory.
 */
final class EventRecorder implements AutoCloseable {
  static final String COMPONENT = "kcert-csr-approver";
  /** Events waiting to be sent at most; Kubernetes' recorders keep 1,000 too. */
  static final int QUEUE_SIZE = 1000;
  private static final Logger LOG = LoggerFactory.getLogger(EventRecorder.class);

  /** Where events go: the API server, or a test's collector. */
  interface Sink {
    void create(Event event);
  }

  private final Sink sink;
  private final String namespace;
  private final String identity;
  private final Clock clock;
  private final Runnable onDrop;
  private final BlockingQueue<Event> queue;
  private final Thread sender;
  private volatile boolean closed;
  private long dropped;

  EventRecorder(KubernetesClient client, String namespace, String identity, Clock clock, Runnable onDrop) {
    this(e -> client.v1().events().inNamespace(namespace).resource(e).create(), namespace, identity, clock,
        onDrop, QUEUE_SIZE);
  }

  EventRecorder(Sink sink, String namespace, String identity, Clock clock, Runnable onDrop, int queueSize) {
    this.sink = sink;
    this.namespace = namespace;
    this.identity = identity;
    this.clock = clock;
    this.onDrop = onDrop;
    this.queue = new ArrayBlockingQueue<>(queueSize);
    this.sender = new Thread(this::send, "event-sender");
    sender.setDaemon(true);
    sender.start();
  }

  /** Queues an event; returns at once. */
  void record(CertificateSigningRequest csr, boolean warning, String reason, String message) {
    if (closed) {
      return;
    }
    Event event = event(csr, warning, reason, message);
    if (!queue.offer(event)) {
      onDrop.run();
      long n;
      synchronized (this) {
        n = dropped++;
      }
      if (n % 100 == 0) {
        LOG.warn("event=dropped csr={} reason={} queue_full=true dropped_so_far={}",
            csr.getMetadata().getName(), reason, n + 1);
      }
    }
  }

  private void send() {
    while (true) {
      Event event;
      try {
        event = queue.poll(100, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        return;
      }
      if (event == null) {
        if (closed) {
          return;
        }
        continue;
      }
      try {
        sink.create(event);
      } catch (RuntimeException e) {
        LOG.warn("event=failed csr={} reason={} error=\"{}\"", event.getInvolvedObject().getName(),
            event.getReason(), Log.oneLine(e));
      }
    }
  }

  /** Sends what is queued (for up to two seconds), then stops. */
  @Override
  public void close() {
    closed = true;
    try {
      sender.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    sender.interrupt();
  }

  private Event event(CertificateSigningRequest csr, boolean warning, String reason, String message) {
    String name = csr.getMetadata().getName();
    String ts = clock.instant().truncatedTo(ChronoUnit.SECONDS).toString();
    return new EventBuilder()
        .withNewMetadata()
        .withName(name + "." + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE)
            .toLowerCase(Locale.ROOT))
        .withNamespace(namespace)
        .endMetadata()
        .withInvolvedObject(
            new ObjectReferenceBuilder()
                .withApiVersion("certificates.k8s.io/v1")
                .withKind("CertificateSigningRequest")
                .withName(name)
                .withUid(csr.getMetadata().getUid())
                .build())
        .withType(warning ? "Warning" : "Normal")
        .withReason(reason)
        .withMessage(message.length() > 1000 ? message.substring(0, 1000) : message)
        .withFirstTimestamp(ts)
        .withLastTimestamp(ts)
        .withCount(1)
        .withNewSource()
        .withComponent(COMPONENT)
        .endSource()
        .withReportingComponent(COMPONENT)
        .withReportingInstance(identity)
        .build();
  }
}
