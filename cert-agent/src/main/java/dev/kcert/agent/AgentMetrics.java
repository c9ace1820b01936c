package dev.kcert.agent;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Instant;

/**
 * The agent's own renewal metrics. Labels take values from closed sets ({@link Phase},
 * {@link Reason}), whatever a node or a file says.
 */
public final class AgentMetrics {
  /** Where this node's agent stands. */
  enum Phase {
    IDLE, WAITING, RENEWING, RESTARTING, VERIFYING, FAILED;

    String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** Why a run failed. */
  enum Reason {
    /** a component did not come back (rolled back) */
    GATE,
    /** renewing the files failed */
    RENEW,
    /** a port still serves another certificate after the restarts */
    SERVED_MISMATCH,
    /** the Lease was lost while working */
    LOST_LOCK,
    /** an earlier run on this node stopped half-way and was rolled back */
    INTERRUPTED,
    /** anything else */
    ERROR;

    String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  private final Gauge phase;
  private final Gauge lastSuccess;
  private final Counter failures;
  private volatile Phase current = Phase.IDLE;

  public AgentMetrics(PrometheusRegistry registry) {
    phase =
        Gauge.builder()
            .name("kcert_renewal_phase")
            .help("1 for the phase this node's agent is in, 0 for the others")
            .labelNames("phase")
            .register(registry);
    lastSuccess =
        Gauge.builder()
            .name("kcert_renewal_last_success_timestamp_seconds")
            .help("When this node last finished a renewal that passed every gate, as a Unix time")
            .register(registry);
    failures =
        Counter.builder()
            .name("kcert_renewal_failures_total")
            .help("Renewal runs on this node that failed, by reason")
            .labelNames("reason")
            .register(registry);
    for (Reason r : Reason.values()) {
      failures.labelValues(r.label()); // every series from the start, so rate() sees the first failure
    }
    set(Phase.IDLE);
  }

  void set(Phase p) {
    current = p;
    for (Phase x : Phase.values()) {
      phase.labelValues(x.label()).set(x == p ? 1 : 0);
    }
  }

  Phase phase() {
    return current;
  }

  void succeeded(Instant at) {
    lastSuccess.set(at.getEpochSecond());
  }

  void failed(Reason r) {
    failures.labelValues(r.label()).inc();
  }

  double failures(Reason r) {
    return failures.labelValues(r.label()).get();
  }
}
