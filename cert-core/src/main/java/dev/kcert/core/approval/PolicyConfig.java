package dev.kcert.core.approval;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The operator's settings for {@link ApprovalPolicy}.
 *
 * @param allowedDnsPatterns DNS SANs matching one of these (whole name, case-insensitive, after
 *     the trailing dot is dropped) are allowed even when they are not addresses of the node
 * @param allowedIpRanges IP SANs in one of these are allowed even when they are not addresses of
 *     the node
 * @param keyPolicy allowed keys
 * @param maxExpiration the longest {@code spec.expirationSeconds} accepted, at most {@link
 *     #MAX_EXPIRATION_CAP}
 * @param nodeGracePeriod how long after a request's creation a missing node, or a node without
 *     addresses, is waited for before the request is denied
 * @param ignoreNonNodeRequesters leave requests from non-node users alone instead of denying them
 * @param nodeRequestLimit how many pending or approved requests one node may have created within
 *     {@code floodWindow} before its approvals are held back
 * @param floodWindow the sliding window of the per-node flood guard
 * @param nodeDnsPattern when present, every DNS SAN must also match it (whole name,
 *     case-insensitive), whatever the node's addresses say
 * @param nodeIpRanges when not empty, every IP SAN must also lie in one of them
 * @param verifyDns every DNS SAN must resolve to one of the node's InternalIP or ExternalIP
 *     addresses
 * @param maxSans the most DNS and IP SANs one request may carry
 * @param reserved names and addresses no node may have
 */
public record PolicyConfig(
    List<Pattern> allowedDnsPatterns,
    List<Cidr> allowedIpRanges,
    KeyPolicy keyPolicy,
    Duration maxExpiration,
    Duration nodeGracePeriod,
    boolean ignoreNonNodeRequesters,
    int nodeRequestLimit,
    Duration floodWindow,
    Optional<Pattern> nodeDnsPattern,
    List<Cidr> nodeIpRanges,
    boolean verifyDns,
    int maxSans,
    ReservedNames reserved) {

  /** The longest certificate a kubelet may be approved for, and the cap of the setting. */
  public static final Duration MAX_EXPIRATION_CAP = Duration.ofDays(367);

  public static final Duration DEFAULT_MAX_EXPIRATION = MAX_EXPIRATION_CAP;
  public static final Duration DEFAULT_NODE_GRACE_PERIOD = Duration.ofMinutes(10);

  /**
   * A kubelet whose request is not approved asks again about every 15 minutes: 96 requests over a
   * day of outage. 120 leaves room for that and for restarts.
   */
  public static final int DEFAULT_NODE_REQUEST_LIMIT = 120;

  public static final Duration DEFAULT_FLOOD_WINDOW = Duration.ofHours(24);
  public static final int DEFAULT_MAX_SANS = 10;

  public PolicyConfig {
    allowedDnsPatterns = List.copyOf(allowedDnsPatterns);
    allowedIpRanges = List.copyOf(allowedIpRanges);
    Objects.requireNonNull(keyPolicy);
    Objects.requireNonNull(maxExpiration);
    Objects.requireNonNull(nodeGracePeriod);
    Objects.requireNonNull(floodWindow);
    Objects.requireNonNull(nodeDnsPattern);
    nodeIpRanges = List.copyOf(nodeIpRanges);
    Objects.requireNonNull(reserved);
    if (maxExpiration.isNegative() || maxExpiration.isZero()) {
      throw new IllegalArgumentException("maximum expiration must be positive");
    }
    if (maxExpiration.compareTo(MAX_EXPIRATION_CAP) > 0) {
      throw new IllegalArgumentException(
          "maximum expiration must be at most 367 days, not " + maxExpiration.toDays() + " days");
    }
    if (nodeGracePeriod.isNegative()) {
      throw new IllegalArgumentException("node grace period must not be negative");
    }
    if (nodeRequestLimit < 1) {
      throw new IllegalArgumentException("node request limit must be at least 1, not " + nodeRequestLimit);
    }
    if (floodWindow.isNegative() || floodWindow.isZero()) {
      throw new IllegalArgumentException("flood window must be positive");
    }
    if (maxSans < 1) {
      throw new IllegalArgumentException("maximum number of SANs must be at least 1, not " + maxSans);
    }
  }

  /**
   * No extra DNS or IP allowances or restrictions, default keys, 367 days, 10 minutes grace, 120
   * requests per node a day, 10 SANs, kubeadm's default reserved names.
   */
  public static PolicyConfig defaults() {
    return new PolicyConfig(
        List.of(),
        List.of(),
        KeyPolicy.DEFAULT,
        DEFAULT_MAX_EXPIRATION,
        DEFAULT_NODE_GRACE_PERIOD,
        false,
        DEFAULT_NODE_REQUEST_LIMIT,
        DEFAULT_FLOOD_WINDOW,
        Optional.empty(),
        List.of(),
        false,
        DEFAULT_MAX_SANS,
        ReservedNames.defaults());
  }

  public PolicyConfig withAllowed(List<Pattern> dnsPatterns, List<Cidr> ipRanges) {
    return new PolicyConfig(dnsPatterns, ipRanges, keyPolicy, maxExpiration, nodeGracePeriod,
        ignoreNonNodeRequesters, nodeRequestLimit, floodWindow, nodeDnsPattern, nodeIpRanges, verifyDns, maxSans,
        reserved);
  }

  public PolicyConfig withKeys(KeyPolicy keys) {
    return new PolicyConfig(allowedDnsPatterns, allowedIpRanges, keys, maxExpiration, nodeGracePeriod,
        ignoreNonNodeRequesters, nodeRequestLimit, floodWindow, nodeDnsPattern, nodeIpRanges, verifyDns, maxSans,
        reserved);
  }

  public PolicyConfig withTimes(Duration maxExpiration, Duration nodeGracePeriod) {
    return new PolicyConfig(allowedDnsPatterns, allowedIpRanges, keyPolicy, maxExpiration, nodeGracePeriod,
        ignoreNonNodeRequesters, nodeRequestLimit, floodWindow, nodeDnsPattern, nodeIpRanges, verifyDns, maxSans,
        reserved);
  }

  public PolicyConfig withIgnoreNonNodeRequesters(boolean value) {
    return new PolicyConfig(allowedDnsPatterns, allowedIpRanges, keyPolicy, maxExpiration, nodeGracePeriod,
        value, nodeRequestLimit, floodWindow, nodeDnsPattern, nodeIpRanges, verifyDns, maxSans, reserved);
  }

  public PolicyConfig withFloodGuard(int limit, Duration window) {
    return new PolicyConfig(allowedDnsPatterns, allowedIpRanges, keyPolicy, maxExpiration, nodeGracePeriod,
        ignoreNonNodeRequesters, limit, window, nodeDnsPattern, nodeIpRanges, verifyDns, maxSans, reserved);
  }

  public PolicyConfig withRestrictions(Optional<Pattern> dnsPattern, List<Cidr> ipRanges, boolean verify, int sans) {
    return new PolicyConfig(allowedDnsPatterns, allowedIpRanges, keyPolicy, maxExpiration, nodeGracePeriod,
        ignoreNonNodeRequesters, nodeRequestLimit, floodWindow, dnsPattern, ipRanges, verify, sans, reserved);
  }

  public PolicyConfig withReserved(ReservedNames names) {
    return new PolicyConfig(allowedDnsPatterns, allowedIpRanges, keyPolicy, maxExpiration, nodeGracePeriod,
        ignoreNonNodeRequesters, nodeRequestLimit, floodWindow, nodeDnsPattern, nodeIpRanges, verifyDns, maxSans,
        names);
  }

  /**
   * Compiles an operator's DNS pattern: case-insensitive, matched against the whole name.
   *
   * @throws IllegalArgumentException naming the pattern and what is wrong with it
   */
  public static Pattern dnsPattern(String regex) {
    try {
      return Pattern.compile(regex, Pattern.CASE_INSENSITIVE);
    } catch (java.util.regex.PatternSyntaxException e) {
      throw new IllegalArgumentException(
          "invalid DNS pattern '" + regex + "': " + e.getDescription(), e);
    }
  }
}
