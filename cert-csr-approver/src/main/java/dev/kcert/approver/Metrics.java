package dev.kcert.approver;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;

/**
 * The approver's Prometheus metrics. Every label takes values from a closed set (results, reasons
 * of the policy's enums), so cardinality stays bounded whatever the cluster sends. Work-queue and
 * leader-election metrics carry client-go's names, so dashboards made for Kubernetes controllers
 * work unchanged; JVM and process metrics come from the Prometheus client's JVM instrumentation.
 */
final class Metrics {
  /** The {@code name} label of the work-queue metrics, as client-go names its queues. */
  static final String QUEUE_NAME = "certificatesigningrequests";

  /** client-go's buckets for work-queue latencies: 10 ns to 10 s, by tens. */
  private static final double[] QUEUE_BUCKETS = {1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1, 10};

  final PrometheusRegistry registry;
  private final Counter decisions;
  private final Counter writeErrors;
  private final Counter eventsDropped;
  private final Histogram latency;
  private final Counter queueAdds;
  private final Counter queueRetries;
  private final Histogram queueWait;
  private final Histogram queueWork;
  private final Counter heldBack;

  Metrics(PrometheusRegistry registry) {
    this.registry = registry;
    decisions =
        Counter.builder()
            .name("kcert_approver_decisions_total")
            .help("Kubelet-serving CSR decisions, by result (approve, deny, retry, ignore), reason and dry-run")
            .labelNames("result", "reason", "dry_run")
            .register(registry);
    writeErrors =
        Counter.builder()
            .name("kcert_approver_write_errors_total")
            .help("Approval writes that failed for another reason than a conflict")
            .register(registry);
    eventsDropped =
        Counter.builder()
            .name("kcert_approver_events_dropped_total")
            .help("Events not sent because the queue to the API server was full")
            .register(registry);
    heldBack =
        Counter.builder()
            .name("kcert_approver_flood_held_back_total")
            .help("Approvals held back because the requesting node has too many recent requests")
            .register(registry);
    latency =
        Histogram.builder()
            .name("kcert_approver_decision_duration_seconds")
            .help("Time to judge one CSR and write the decision")
            .labelNames("result")
            .classicOnly()
            .classicUpperBounds(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
            .register(registry);
    queueAdds =
        Counter.builder().name("workqueue_adds_total").help("Total number of adds handled by workqueue")
            .labelNames("name").register(registry);
    queueRetries =
        Counter.builder().name("workqueue_retries_total").help("Total number of retries handled by workqueue")
            .labelNames("name").register(registry);
    queueWait =
        Histogram.builder().name("workqueue_queue_duration_seconds")
            .help("How long in seconds an item stays in workqueue before being requested")
            .labelNames("name").classicOnly().classicUpperBounds(QUEUE_BUCKETS).register(registry);
    queueWork =
        Histogram.builder().name("workqueue_work_duration_seconds")
            .help("How long in seconds processing an item from workqueue takes")
            .labelNames("name").classicOnly().classicUpperBounds(QUEUE_BUCKETS).register(registry);
    Gauge build =
        Gauge.builder().name("kcert_approver_build_info")
            .help("Always 1; the labels say which build runs")
            .labelNames("version", "java_version").register(registry);
    String v = Metrics.class.getPackage().getImplementationVersion();
    build.labelValues(v == null ? "development" : v, System.getProperty("java.version", "")).set(1);
    JvmMetrics.builder().register(registry);
  }

  /** The work queue's observer, feeding client-go's work-queue metrics. */
  WorkQueue.Observer queueObserver() {
    return new WorkQueue.Observer() {
      @Override
      public void added() {
        queueAdds.labelValues(QUEUE_NAME).inc();
      }

      @Override
      public void taken(long waitedNanos) {
        queueWait.labelValues(QUEUE_NAME).observe(waitedNanos / 1e9);
      }

      @Override
      public void done(long workedNanos) {
        queueWork.labelValues(QUEUE_NAME).observe(workedNanos / 1e9);
      }

      @Override
      public void retried() {
        queueRetries.labelValues(QUEUE_NAME).inc();
      }
    };
  }

  void decided(String result, String reason, boolean dryRun, double seconds) {
    decisions.labelValues(result, reason, Boolean.toString(dryRun)).inc();
    latency.labelValues(result).observe(seconds);
  }

  void writeError() {
    writeErrors.inc();
  }

  void eventDropped() {
    eventsDropped.inc();
  }

  void heldBack() {
    heldBack.inc();
  }

  double decisionCount(String result, String reason, boolean dryRun) {
    return decisions.labelValues(result, reason, Boolean.toString(dryRun)).get();
  }

  void registerGauges(IntSupplier pending, IntSupplier queueDepth, IntSupplier nodesHeldBack, BooleanSupplier leader,
      String leaseName) {
    GaugeWithCallback.builder()
        .name("kcert_approver_pending_csrs")
        .help("Pending kubelet-serving CSRs in the informer cache")
        .callback(cb -> cb.call(pending.getAsInt()))
        .register(registry);
    GaugeWithCallback.builder()
        .name("kcert_approver_flood_guard_nodes")
        .help("Nodes whose approvals are held back because they have too many recent requests")
        .callback(cb -> cb.call(nodesHeldBack.getAsInt()))
        .register(registry);
    GaugeWithCallback.builder()
        .name("kcert_approver_leader")
        .help("1 while this replica holds the leader Lease, renewed within the renew deadline, and writes decisions")
        .callback(cb -> cb.call(leader.getAsBoolean() ? 1 : 0))
        .register(registry);
    GaugeWithCallback.builder()
        .name("leader_election_master_status")
        .help("Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master")
        .labelNames("name")
        .callback(cb -> cb.call(leader.getAsBoolean() ? 1 : 0, leaseName))
        .register(registry);
    GaugeWithCallback.builder()
        .name("workqueue_depth")
        .help("Current depth of workqueue")
        .labelNames("name")
        .callback(cb -> cb.call(queueDepth.getAsInt(), QUEUE_NAME))
        .register(registry);
  }
}
