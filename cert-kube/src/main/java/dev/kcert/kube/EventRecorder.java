package dev.kcert.kube;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
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
 * Writes core/v1 Events about objects (CSRs, Nodes), so {@code kubectl describe} shows what was
 * decided or done.
 *
 * <p>Events are best effort and sent from a thread of their own, as Kubernetes' own recorders do: a
 * decision never waits for its event. A bounded queue sits in between; when the API server cannot
 * keep up, further events are dropped (and counted) rather than held in memory.
 */
public final class EventRecorder implements AutoCloseable {
  /** Events waiting to be sent at most; Kubernetes' recorders keep 1,000 too. */
  public static final int QUEUE_SIZE = 1000;
  private static final Logger LOG = LoggerFactory.getLogger(EventRecorder.class);

  /** Where events go: the API server, or a test's collector. */
  public interface Sink {
    void create(Event event);
  }

  private final Sink sink;
  private final String namespace;
  private final String component;
  private final String identity;
  private final Clock clock;
  private final Runnable onDrop;
  private final BlockingQueue<Event> queue;
  private final Thread sender;
  private volatile boolean closed;
  private long dropped;

  /**
   * @param component the {@code source.component} and {@code reportingComponent} of every event
   * @param identity the {@code reportingInstance}: this replica or node
   */
  public EventRecorder(KubernetesClient client, String namespace, String component, String identity, Clock clock,
      Runnable onDrop) {
    this(e -> client.v1().events().inNamespace(namespace).resource(e).create(), namespace, component, identity,
        clock, onDrop, QUEUE_SIZE);
  }

  public EventRecorder(Sink sink, String namespace, String component, String identity, Clock clock, Runnable onDrop,
      int queueSize) {
    this.sink = sink;
    this.namespace = namespace;
    this.component = component;
    this.identity = identity;
    this.clock = clock;
    this.onDrop = onDrop;
    this.queue = new ArrayBlockingQueue<>(queueSize);
    this.sender = new Thread(this::send, "event-sender");
    sender.setDaemon(true);
    sender.start();
  }

  /** Queues an event; returns at once. */
  public void record(HasMetadata object, boolean warning, String reason, String message) {
    if (closed) {
      return;
    }
    Event event = event(object, warning, reason, message);
    if (!queue.offer(event)) {
      onDrop.run();
      long n;
      synchronized (this) {
        n = dropped++;
      }
      if (n % 100 == 0) {
        LOG.warn("event=dropped kind={} name={} reason={} queue_full=true dropped_so_far={}",
            HasMetadata.getKind(object.getClass()), Log.q(object.getMetadata().getName()), reason, n + 1);
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
        LOG.warn("event=failed kind={} name={} reason={} error=\"{}\"", event.getInvolvedObject().getKind(),
            Log.q(event.getInvolvedObject().getName()), event.getReason(), Log.oneLine(e));
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

  private Event event(HasMetadata object, boolean warning, String reason, String message) {
    String name = object.getMetadata().getName();
    String ts = clock.instant().truncatedTo(ChronoUnit.SECONDS).toString();
    return new EventBuilder()
        .withNewMetadata()
        .withName(name + "." + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE)
            .toLowerCase(Locale.ROOT))
        .withNamespace(namespace)
        .endMetadata()
        .withInvolvedObject(
            new ObjectReferenceBuilder()
                .withApiVersion(HasMetadata.getApiVersion(object.getClass()))
                .withKind(HasMetadata.getKind(object.getClass()))
                .withName(name)
                .withNamespace(object.getMetadata().getNamespace())
                .withUid(object.getMetadata().getUid())
                .build())
        .withType(warning ? "Warning" : "Normal")
        .withReason(reason)
        .withMessage(message.length() > 1000 ? message.substring(0, 1000) : message)
        .withFirstTimestamp(ts)
        .withLastTimestamp(ts)
        .withCount(1)
        .withNewSource()
        .withComponent(component)
        .endSource()
        .withReportingComponent(component)
        .withReportingInstance(identity)
        .build();
  }
}
