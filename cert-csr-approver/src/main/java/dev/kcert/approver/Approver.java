package dev.kcert.approver;

import dev.kcert.kube.EventRecorder;
import dev.kcert.kube.HealthServer;
import dev.kcert.kube.Leadership;
import dev.kcert.core.approval.DnsAnswer;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One running approver: controller, cluster names, leader election and HTTP endpoints, wired together. */
public final class Approver implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Approver.class);

  private final Settings settings;
  private final Metrics metrics;
  private final Controller controller;
  private final Leadership leadership;
  private final ClusterNames names;
  private final EventRecorder events;
  private final DnsVerifier dns;
  private final AtomicBoolean closed = new AtomicBoolean();
  private HealthServer http;

  public Approver(KubernetesClient client, Settings settings, Clock clock) {
    this.settings = settings;
    this.metrics = new Metrics(new PrometheusRegistry());
    this.events =
        new EventRecorder(client, settings.eventNamespace(), "kcert-csr-approver", settings.identity(), clock,
            metrics::eventDropped);
    ApprovalWriter writer = new ApprovalWriter(client, clock);
    Controller[] self = new Controller[1];
    this.leadership = new Leadership(client,
        new Leadership.Config(settings.leaderElection(), settings.leaseNamespace(), settings.leaseName(),
            settings.identity(), settings.leaseDuration(), settings.renewDeadline(), settings.retryPeriod()),
        () -> self[0].enqueueAll(), System::nanoTime);
    this.names = new ClusterNames(client, settings.names(), reserved -> {
      if (self[0] != null) {
        self[0].reservedNamesChanged(reserved);
      }
    });
    this.dns = settings.policy().verifyDns() ? DnsVerifier.system(settings.dnsTimeout(), settings.dnsCacheTtl()) : null;
    Function<String, DnsAnswer> lookup =
        dns == null ? name -> new DnsAnswer.Failed("DNS verification is off") : dns::lookup;
    this.controller =
        new Controller(client, settings, metrics, events, writer, clock, leadership, names, lookup);
    self[0] = controller;
  }

  /**
   * Starts informers, workers and leader election; and the HTTP endpoints unless port is negative.
   *
   * @param port 0 picks a free port
   */
  public void start(String httpHost, int port) throws IOException {
    LOG.info("starting identity={} dry_run={} skip_deny={} workers={} leader_election={}", settings.identity(),
        settings.dryRun(), settings.skipDeny(), settings.workers(), settings.leaderElection());
    if (port >= 0) {
      http = new HealthServer(httpHost, port, metrics.registry, this::brokenBecause, this::notReadyBecause);
      LOG.info("http=listening address={}:{} paths=/healthz,/readyz,/metrics", httpHost, http.port());
    }
    names.start();
    controller.start();
    leadership.start();
  }

  /** Null while the process can go on; otherwise why it cannot (then /healthz fails). */
  public String brokenBecause() {
    return controller.stoppedForGood();
  }

  /** Null when ready: informers synced, cluster names known and leadership known; otherwise why not. */
  public String notReadyBecause() {
    if (!names.known()) {
      return "cluster names not known yet";
    }
    if (!controller.hasSynced()) {
      return "informers not synced";
    }
    if (!leadership.isKnown()) {
      return "leadership not known";
    }
    return null;
  }

  /** Whether this replica writes now (leader, renewed within the deadline). */
  public boolean isLeader() {
    return leadership.mayWrite();
  }

  /** The names and addresses no node may have, as now known. */
  dev.kcert.core.approval.ReservedNames reservedNames() {
    return names.current();
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
    names.close();
    events.close();
    if (dns != null) {
      dns.close();
    }
    if (http != null) {
      http.close();
    }
    LOG.info("stopped identity={}", settings.identity());
  }
}
