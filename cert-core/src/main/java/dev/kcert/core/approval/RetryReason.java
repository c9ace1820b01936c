package dev.kcert.core.approval;

/** Why a request is left pending for now, to be judged again later. Closed set: a metric label. */
public enum RetryReason {
  /** The requesting node is not registered yet; within the grace period. */
  NODE_NOT_REGISTERED("NodeNotRegistered"),
  /** The requesting node has no addresses yet; within the grace period. */
  NODE_WITHOUT_ADDRESSES("NodeWithoutAddresses"),
  /** The requesting node has too many recent requests: its approvals are held back. */
  FLOOD_GUARD("FloodGuard"),
  /** With {@code --verify-dns}: a DNS SAN could not be resolved yet (error or timeout). */
  DNS_UNRESOLVED("DnsUnresolved");

  private final String reason;

  RetryReason(String reason) {
    this.reason = reason;
  }

  public String reason() {
    return reason;
  }
}
