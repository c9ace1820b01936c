package dev.kcert.approver;

import dev.kcert.core.approval.PolicyConfig;
import java.time.Duration;
import java.util.Objects;

/**
 * Everything the running approver is told, already validated.
 *
 * @param policy the approval policy settings
 * @param dryRun judge and log, never write approvals, denials or events
 * @param workers how many requests are judged in parallel
 * @param resync how often the informers re-deliver every object
 * @param retryBaseDelay first delay of the per-request exponential backoff
 * @param retryMaxDelay longest delay of the per-request exponential backoff
 * @param leaderElection whether to elect a leader on a Lease (off: this replica always writes)
 * @param leaseNamespace namespace of the Lease
 * @param leaseName name of the Lease
 * @param identity this replica's name in the Lease
 * @param leaseDuration how long a Lease is held without renewal
 * @param renewDeadline how long the leader tries to renew before giving up
 * @param retryPeriod how often candidates try to acquire or renew
 * @param eventNamespace namespace events about the (cluster-scoped) CSRs are written to; the API
 *     server accepts only {@link #EVENT_NAMESPACE} for events about cluster-scoped objects
 */
public record Settings(
    PolicyConfig policy,
    boolean dryRun,
    int workers,
    Duration resync,
    Duration retryBaseDelay,
    Duration retryMaxDelay,
    boolean leaderElection,
    String leaseNamespace,
    String leaseName,
    String identity,
    Duration leaseDuration,
    Duration renewDeadline,
    Duration retryPeriod,
    String eventNamespace) {

  /** Where Events about cluster-scoped objects must go. */
  public static final String EVENT_NAMESPACE = "default";

  public Settings {
    Objects.requireNonNull(policy);
    if (workers < 1) {
      throw new IllegalArgumentException("--workers must be at least 1, not " + workers);
    }
    if (retryBaseDelay.isNegative() || retryBaseDelay.isZero() || retryMaxDelay.compareTo(retryBaseDelay) < 0) {
      throw new IllegalArgumentException("retry delays must be positive, the maximum no less than the base");
    }
    if (leaderElection) {
      if (renewDeadline.compareTo(leaseDuration) >= 0) {
        throw new IllegalArgumentException("--renew-deadline must be shorter than --lease-duration");
      }
      if (retryPeriod.compareTo(renewDeadline) >= 0) {
        throw new IllegalArgumentException("--retry-period must be shorter than --renew-deadline");
      }
    }
  }

  /** Defaults for everything but the policy and identity: for tests and embedding. */
  public static Settings defaults(PolicyConfig policy, String identity) {
    return new Settings(
        policy, false, 2, Duration.ofMinutes(5), Duration.ofSeconds(1), Duration.ofMinutes(5), true,
        "kcert-system", "kcert-csr-approver", identity, Duration.ofSeconds(15), Duration.ofSeconds(10),
        Duration.ofSeconds(2), EVENT_NAMESPACE);
  }

  public Settings withDryRun(boolean value) {
    return new Settings(policy, value, workers, resync, retryBaseDelay, retryMaxDelay, leaderElection,
        leaseNamespace, leaseName, identity, leaseDuration, renewDeadline, retryPeriod, eventNamespace);
  }

  public Settings withLeaderElection(boolean value, Duration lease, Duration renew, Duration retry) {
    return new Settings(policy, dryRun, workers, resync, retryBaseDelay, retryMaxDelay, value,
        leaseNamespace, leaseName, identity, lease, renew, retry, eventNamespace);
  }

  public Settings withRetryDelays(Duration base, Duration max) {
    return new Settings(policy, dryRun, workers, resync, base, max, leaderElection,
        leaseNamespace, leaseName, identity, leaseDuration, renewDeadline, retryPeriod, eventNamespace);
  }
}
