package dev.kcert.core.approval;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The operator's settings for {@link ApprovalPolicy}.
 *
 * @param allowedDnsPatterns DNS SANs matching one of these (whole name, case-insensitive, after
 *     the trailing dot is dropped) are allowed even when they are not addresses of the node
 * @param allowedIpRanges IP SANs in one of these are allowed even when they are not addresses of
 *     the node
 * @param keyPolicy allowed keys
 * @param maxExpiration the longest {@code spec.expirationSeconds} accepted
 * @param nodeGracePeriod how long after a request's creation a missing node, or a node without
 *     addresses, is waited for before the request is denied
 * @param ignoreNonNodeRequesters leave requests from non-node users alone instead of denying them
 * @param floodMargin how many pending requests beyond the number of nodes are tolerated
 */
public record PolicyConfig(
    List<Pattern> allowedDnsPatterns,
    List<Cidr> allowedIpRanges,
    KeyPolicy keyPolicy,
    Duration maxExpiration,
    Duration nodeGracePeriod,
    boolean ignoreNonNodeRequesters,
    int floodMargin) {

  public static final Duration DEFAULT_MAX_EXPIRATION = Duration.ofDays(367);
  public static final Duration DEFAULT_NODE_GRACE_PERIOD = Duration.ofMinutes(10);
  public static final int DEFAULT_FLOOD_MARGIN = 10;

  public PolicyConfig {
    allowedDnsPatterns = List.copyOf(allowedDnsPatterns);
    allowedIpRanges = List.copyOf(allowedIpRanges);
    Objects.requireNonNull(keyPolicy);
    Objects.requireNonNull(maxExpiration);
    Objects.requireNonNull(nodeGracePeriod);
    if (maxExpiration.isNegative() || maxExpiration.isZero()) {
      throw new IllegalArgumentException("maximum expiration must be positive");
    }
    if (nodeGracePeriod.isNegative()) {
      throw new IllegalArgumentException("node grace period must not be negative");
    }
    if (floodMargin < 0) {
      throw new IllegalArgumentException("flood margin must not be negative: " + floodMargin);
    }
  }

  /** No extra DNS or IP allowances, default keys, 367 days, 10 minutes grace, margin 10. */
  public static PolicyConfig defaults() {
    return new PolicyConfig(
        List.of(),
        List.of(),
        KeyPolicy.DEFAULT,
        DEFAULT_MAX_EXPIRATION,
        DEFAULT_NODE_GRACE_PERIOD,
        false,
        DEFAULT_FLOOD_MARGIN);
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
