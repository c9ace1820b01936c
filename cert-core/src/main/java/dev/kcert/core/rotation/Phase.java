package dev.kcert.core.rotation;

import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;

/**
 * Where a CA's rotation stands on one node, and what each phase changes. The trust bundle of each
 * phase is ordered on purpose: kubeadm and kcert sign with the first certificate of the CA file
 * (and the key beside it), so the old CA stays first until {@link #REISSUED}.
 */
public enum Phase {
  /** No rotation: every place trusts the old CA alone. */
  NONE("none", "", ""),
  /** The new CA exists beside the PKI; nothing the cluster reads has changed. */
  PREPARED(
      "prepare",
      "makes or imports the new CA into the rotation folder; nothing the cluster reads changes",
      "nothing"),
  /** Every trust place holds old and new, old first; the old CA still signs. */
  TRUST_BOTH(
      "trust-both",
      "every trust place holds old+new (old first, so the old CA keeps signing); kubeconfigs'"
          + " certificate-authority-data too; the controller manager's --cluster-signing-cert-file"
          + " moves to a single-certificate copy of the old CA",
      "kube-controller-manager (its manifest changes); then every pod that reads this CA, so that"
          + " it loads the bundle"),
  /** Leaves and kubeconfigs are re-signed by the new CA (keys kept); the new CA signs. */
  REISSUED(
      "reissue",
      "client certificates, then server certificates, re-signed by the new CA with their keys"
          + " kept; the CA file becomes new+old and the CA key the new one; the signer copy"
          + " becomes the new CA",
      "kube-apiserver, kube-controller-manager, kube-scheduler, etcd and the kubelet, so that"
          + " they present the re-signed certificates"),
  /** The old CA is gone from every trust place. */
  TRUST_NEW(
      "trust-new",
      "the old CA is removed from every trust place and kubeconfig",
      "every component and pod that read the bundle (after all of them have restarted since"
          + " trust-both)"),
  /** The signer copy is gone; the rotation is over. */
  FINISHED(
      "finish",
      "--cluster-signing-cert-file points at the CA file again; the signer copy and the copy of"
          + " the old CA key are removed; the join discovery hash is printed",
      "kube-controller-manager (its manifest changes)");

  private final String command;
  private final String changes;
  private final String restarts;

  Phase(String command, String changes, String restarts) {
    this.command = command;
    this.changes = changes;
    this.restarts = restarts;
  }

  /** The command that enters this phase ({@code trust-both}); {@code none} for {@link #NONE}. */
  public String command() {
    return command;
  }

  public String changes() {
    return changes;
  }

  public String restarts() {
    return restarts;
  }

  /** The phase before this one; empty for {@link #NONE}. */
  public Optional<Phase> previous() {
    return ordinal() == 0 ? Optional.empty() : Optional.of(values()[ordinal() - 1]);
  }

  /** The phase after this one; empty for {@link #FINISHED}. */
  public Optional<Phase> next() {
    return ordinal() == values().length - 1
        ? Optional.empty()
        : Optional.of(values()[ordinal() + 1]);
  }

  /** The phases a rotation goes through, in order. */
  public static List<Phase> steps() {
    return List.of(PREPARED, TRUST_BOTH, REISSUED, TRUST_NEW, FINISHED);
  }

  /** The phase a command enters. */
  public static Phase ofCommand(String command) {
    for (Phase p : steps()) {
      if (p.command.equals(command)) {
        return p;
      }
    }
    throw new IllegalArgumentException("unknown rotation phase " + command);
  }

  /** The trust bundle every trust place holds in this phase, in file order. */
  public List<X509Certificate> bundle(X509Certificate oldCa, X509Certificate newCa) {
    return switch (this) {
      case NONE, PREPARED -> List.of(oldCa);
      case TRUST_BOTH -> List.of(oldCa, newCa);
      case REISSUED -> List.of(newCa, oldCa);
      case TRUST_NEW, FINISHED -> List.of(newCa);
    };
  }

  /** Whether the new CA signs (and leaves are signed by it) in this phase. */
  public boolean newSigns() {
    return ordinal() >= REISSUED.ordinal();
  }

  /** Whether the controller manager signs from the single-certificate copy in this phase. */
  public boolean usesSignerCopy() {
    return this == TRUST_BOTH || this == REISSUED || this == TRUST_NEW;
  }
}
