package dev.kcert.core.approval;

/**
 * Why a request was denied. {@link #reason()} is written as the condition reason and used as a
 * metric label, so the set is closed.
 */
public enum DenyReason {
  /** The requester is not {@code system:node:<name>} in group {@code system:nodes}. */
  NOT_A_NODE("NotANode"),
  /** {@code spec.request} is not one PEM-encoded PKCS#10 request. */
  INVALID_REQUEST("InvalidRequest"),
  /** The request's self-signature does not verify. */
  BAD_SIGNATURE("BadSignature"),
  /** Subject CN is not the username, or O is not exactly {@code system:nodes}. */
  SUBJECT_MISMATCH("SubjectMismatch"),
  /** An Email, URI or other SAN type is present. */
  FORBIDDEN_SAN_TYPE("ForbiddenSanType"),
  /** No DNS or IP SAN. */
  NO_SAN("NoSan"),
  /** A SAN is neither an address of the requesting node nor allowed by configuration. */
  SAN_NOT_OWNED_BY_NODE("SanNotOwnedByNode"),
  /** {@code spec.usages} is not one of the two allowed sets. */
  BAD_USAGES("BadUsages"),
  /** The key type or size is not allowed. */
  WEAK_KEY("WeakKey"),
  /** The request asks for CA rights. */
  CA_REQUESTED("CaRequested"),
  /** {@code spec.expirationSeconds} is above the configured cap. */
  EXPIRATION_TOO_LONG("ExpirationTooLong"),
  /** The node was still not registered when the grace period ended. */
  NODE_NOT_FOUND("NodeNotFound"),
  /** The node still had no addresses when the grace period ended. */
  NODE_WITHOUT_ADDRESSES("NodeWithoutAddresses"),
  /** A DNS SAN no node may have: the API server's names, Service names, wildcards. */
  RESERVED_NAME("ReservedName"),
  /** An IP SAN no node may have: service CIDR, loopback, link-local, multicast and the like. */
  RESERVED_ADDRESS("ReservedAddress"),
  /** A SAN outside {@code --node-dns-pattern} or {@code --node-ip-ranges}. */
  SAN_NOT_PERMITTED("SanNotPermitted"),
  /** With {@code --verify-dns}: a DNS SAN does not resolve to an address of the node. */
  DNS_NOT_NODE("DnsNotNode"),
  /** More SANs than {@code --max-sans}. */
  TOO_MANY_SANS("TooManySans");

  private final String reason;

  DenyReason(String reason) {
    this.reason = reason;
  }

  /** The CamelCase reason written on the Denied condition. */
  public String reason() {
    return reason;
  }
}
