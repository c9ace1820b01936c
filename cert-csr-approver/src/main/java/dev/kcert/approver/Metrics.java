package dev.kcert.approver;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;

/**
 * The approver's Prometheus metrics. Every label takes values from a closed set (results, reasons
 * of the policy's enums), so cardinality stays bounded whatever the cluster sends.
 */
final class Metrics {
  final PrometheusRegistry registry;
  private final Counter decisions;
  private final Counter writeErrors;
  private final Counter eventsDropped;
  private final Histogram latency;

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
    latency =
        Histogram.builder()
            .name("kcert_approver_decision_duration_seconds")
            .help("Time to judge one CSR and write the decision")
            .labelNames("result")
            .classicOnly()
            .classicUpperBounds(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
            .register(registry);
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

  double decisionCount(String result, String reason, boolean dryRun) {
    return decisions.labelValues(result, reason, Boolean.toString(dryRun)).get();
  }

  void registerGauges(IntSupplier pending, BooleanSupplier floodActive, BooleanSupplier leader) {
    GaugeWithCallback.builder()
        .name("kcert_approver_pending_csrs")
        .help("Pending kubelet-serving CSRs in the informer cache")
        .callback(cb -> cb.call(pending.getAsInt()))
        .register(registry);
    GaugeWithCallback.builder()
        .name("kcert_approver_flood_guard_active")
        .help("1 while approvals are paused because too many kubelet-serving CSRs are pending")
        .callback(cb -> cb.call(floodActive.getAsBoolean() ? 1 : 0))
        .register(registry);
    GaugeWithCallback.builder()
        .name("kcert_approver_leader")
        .help("1 while this replica holds the leader Lease and writes decisions")
        .callback(cb -> cb.call(leader.getAsBoolean() ? 1 : 0))
        .register(registry);
  }
}
