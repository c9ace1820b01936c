package dev.kcert.approver;

import dev.kcert.core.approval.ApprovalPolicy;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One running approver: controller, leader election and HTTP endpoints, wired together. */
public final class Approver implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Approver.class);

  private final Settings settings;
  private final Metrics metrics;
  private final Controller controller;
  private final Leadership leadership;
  private final EventRecorder events;
  private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();
  private HealthServer http;

  public Approver(KubernetesClient client, Settings settings, Clock clock) {
    this.settings = settings;
    this.metrics = new Metrics(new PrometheusRegistry());
    ApprovalPolicy policy = new ApprovalPolicy(settings.policy());
    this.events =
        new EventRecorder(client, settings.eventNamespace(), settings.identity(), clock, metrics::eventDropped);
    ApprovalWriter writer = new ApprovalWriter(client, clock);
    Controller[] self = new Controller[1];
    this.leadership = new Leadership(client, settings, () -> self[0].enqueueAll());
    this.controller =
        new Controller(client, policy, settings, metrics, events, writer, clock, leadership::isLeader);
    self[0] = controller;
  }

  /**
   * Starts informers, workers and leader election; and the HTTP endpoints unless port is negative.
   *
   * @param port 0 picks a free port
   */
  public void start(String httpHost, int port) throws IOException {
    LOG.info("starting identity={} dry_run={} workers={} leader_election={}", settings.identity(),
        settings.dryRun(), settings.workers(), settings.leaderElection());
    if (port >= 0) {
      http = new HealthServer(httpHost, port, metrics.registry, this::notReadyBecause);
      LOG.info("http=listening address={}:{} paths=/healthz,/readyz,/metrics", httpHost, http.port());
    }
    controller.start();
    leadership.start();
  }

  /** Null when ready: informers synced and leadership known; otherwise why not. */
  public String notReadyBecause() {
    if (!controller.hasSynced()) {
      return "informers not synced";
    }
    if (!leadership.isKnown()) {
      return "leadership not known";
    }
    return null;
  }

  public boolean isLeader() {
    return leadership.isLeader();
  }

  /** The HTTP port, or -1 when the endpoints are off. */
  public int httpPort() {
    return http == null ? -1 : http.port();
  }

  /** How many decisions of one result and reason this replica made (for tests and the demo). */
  public double decisions(String result, String reason) {
    return metrics.decisionCount(result, reason, settings.dryRun());
  }

  @Override
  public void close() {
    if (closed.getAndSet(true)) {
      return;
    }
    leadership.close();
    controller.close();
    events.close();
    if (http != null) {
      http.close();
    }
    LOG.info("stopped identity={}", settings.identity());
  }
}
