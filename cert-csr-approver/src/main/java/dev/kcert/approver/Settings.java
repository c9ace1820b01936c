package dev.kcert.approver;

import dev.kcert.core.approval.Cidr;
import dev.kcert.core.approval.PolicyConfig;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything the running approver is told, already validated.
 *
 * @param policy the approval policy settings; its reserved names are replaced at run time by
 *     {@link ClusterNames} (flags, else the kubeadm-config ConfigMap, else defaults)
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
 * @param renewDeadline how long the leader tries to renew before it stops writing
 * @param retryPeriod how often candidates try to acquire or renew
 * @param eventNamespace namespace events about the (cluster-scoped) CSRs are written to; the API
 *     server accepts only {@link #EVENT_NAMESPACE} for events about cluster-scoped objects
 * @param skipDeny leave requests that would be denied pending, with a Warning Event, instead of
 *     writing a Denied condition
 * @param names what the operator said about the cluster's own names; absent parts are read from
 *     the kubeadm-config ConfigMap
 * @param dnsTimeout how long one DNS lookup may take ({@code --verify-dns})
 * @param dnsCacheTtl how long a DNS answer is reused ({@code --verify-dns})
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
    String eventNamespace,
    boolean skipDeny,
    NameFlags names,
    Duration dnsTimeout,
    Duration dnsCacheTtl) {

  /** Where Events about cluster-scoped objects must go. */
  public static final String EVENT_NAMESPACE = "default";

  /**
   * The cluster's own names as given on the command line; empty parts come from the
   * kubeadm-config ConfigMap.
   *
   * @param serviceCidrs {@code --service-cidr}
   * @param clusterDomain {@code --cluster-domain}
   * @param controlPlaneEndpoint {@code --control-plane-endpoint} (host, or host:port)
   * @param apiServerCertSans {@code --api-server-cert-sans}
   * @param readKubeadmConfig whether to read the ConfigMap for the parts not given
   */
  public record NameFlags(
      Optional<List<Cidr>> serviceCidrs,
      Optional<String> clusterDomain,
      Optional<String> controlPlaneEndpoint,
      Optional<List<String>> apiServerCertSans,
      boolean readKubeadmConfig) {
    public static final NameFlags NONE =
        new NameFlags(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), true);

    /** Whether every part is given, so the ConfigMap has nothing to add. */
    boolean complete() {
      return serviceCidrs.isPresent() && clusterDomain.isPresent() && controlPlaneEndpoint.isPresent()
          && apiServerCertSans.isPresent();
    }
  }

  public Settings {
    Objects.requireNonNull(policy);
    Objects.requireNonNull(names);
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
    if (dnsTimeout.isNegative() || dnsTimeout.isZero()) {
      throw new IllegalArgumentException("--dns-timeout must be positive");
    }
    if (dnsCacheTtl.isNegative()) {
      throw new IllegalArgumentException("--dns-cache-ttl must not be negative");
    }
  }

  /** Defaults for everything but the policy and identity: for tests and embedding. */
  public static Settings defaults(PolicyConfig policy, String identity) {
    return new Settings(
        policy, false, 2, Duration.ofMinutes(5), Duration.ofSeconds(1), Duration.ofMinutes(5), true,
        "kcert-system", "kcert-csr-approver", identity, Duration.ofSeconds(15), Duration.ofSeconds(10),
        Duration.ofSeconds(2), EVENT_NAMESPACE, false, NameFlags.NONE, Duration.ofSeconds(2),
        Duration.ofSeconds(30));
  }

  public Settings withDryRun(boolean value) {
    return new Settings(policy, value, workers, resync, retryBaseDelay, retryMaxDelay, leaderElection,
        leaseNamespace, leaseName, identity, leaseDuration, renewDeadline, retryPeriod, eventNamespace, skipDeny,
        names, dnsTimeout, dnsCacheTtl);
  }

  public Settings withLeaderElection(boolean value, Duration lease, Duration renew, Duration retry) {
    return new Settings(policy, dryRun, workers, resync, retryBaseDelay, retryMaxDelay, value,
        leaseNamespace, leaseName, identity, lease, renew, retry, eventNamespace, skipDeny, names, dnsTimeout,
        dnsCacheTtl);
  }

  public Settings withRetryDelays(Duration base, Duration max) {
    return new Settings(policy, dryRun, workers, resync, base, max, leaderElection,
        leaseNamespace, leaseName, identity, leaseDuration, renewDeadline, retryPeriod, eventNamespace, skipDeny,
        names, dnsTimeout, dnsCacheTtl);
  }

  public Settings withSkipDeny(boolean value) {
    return new Settings(policy, dryRun, workers, resync, retryBaseDelay, retryMaxDelay, leaderElection,
        leaseNamespace, leaseName, identity, leaseDuration, renewDeadline, retryPeriod, eventNamespace, value,
        names, dnsTimeout, dnsCacheTtl);
  }

  public Settings withNames(NameFlags value) {
    return new Settings(policy, dryRun, workers, resync, retryBaseDelay, retryMaxDelay, leaderElection,
        leaseNamespace, leaseName, identity, leaseDuration, renewDeadline, retryPeriod, eventNamespace, skipDeny,
        value, dnsTimeout, dnsCacheTtl);
  }

  public Settings withWorkers(int value) {
    return new Settings(policy, dryRun, value, resync, retryBaseDelay, retryMaxDelay, leaderElection,
        leaseNamespace, leaseName, identity, leaseDuration, renewDeadline, retryPeriod, eventNamespace, skipDeny,
        names, dnsTimeout, dnsCacheTtl);
  }
}
