package dev.kcert.core.rotation;

import java.nio.file.Path;

/**
 * One place on the node that trusts the CA or is signed by it.
 *
 * @param kind {@code ca-file}, {@code trust-file}, {@code manifest-flag}, {@code kubelet-config},
 *     {@code kubeconfig-ca}, {@code signer-file}, {@code leaf} or {@code client-cert}
 * @param name what users call it ({@code apiserver}, {@code admin.conf}, {@code
 *     kube-controller-manager --root-ca-file})
 * @param file the file it is in
 * @param trust which CAs it holds (trust places) or which CA signed it (leaves, client certificates)
 * @param detail the order of a bundle ({@code old,new}), a flag's value, or why it is unreadable
 */
public record Place(String kind, String name, Path file, Trust trust, String detail) {
  /** What a place holds, relative to the rotation's old and new CA. */
  public enum Trust {
    OLD_ONLY("old-only"),
    BOTH("both"),
    NEW_ONLY("new-only"),
    /** Holds, or is signed by, neither CA. */
    OTHER("other"),
    MISSING("missing"),
    INVALID("invalid");

    private final String text;

    Trust(String text) {
      this.text = text;
    }

    public String text() {
      return text;
    }
  }
}
