package dev.kcert.core.approval;

/** Why a request is none of the approver's business. Closed set: a metric label. */
public enum IgnoreReason {
  /** {@code spec.signerName} is not {@code kubernetes.io/kubelet-serving}. */
  OTHER_SIGNER("OtherSigner"),
  /** Already Approved, Denied or Failed, or already carrying a certificate. */
  ALREADY_DECIDED("AlreadyDecided"),
  /** Not requested by a node, and the approver is configured to leave those alone. */
  NOT_A_NODE("NotANode");

  private final String reason;

  IgnoreReason(String reason) {
    this.reason = reason;
  }

  public String reason() {
    return reason;
  }
}
