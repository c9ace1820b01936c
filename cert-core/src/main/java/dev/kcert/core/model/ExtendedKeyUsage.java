package dev.kcert.core.model;

/** The extended key usages kubeadm certificates carry. */
public enum ExtendedKeyUsage {
  SERVER_AUTH("1.3.6.1.5.5.7.3.1", "server auth"),
  CLIENT_AUTH("1.3.6.1.5.5.7.3.2", "client auth");

  private final String oid;
  private final String kubernetesName;

  ExtendedKeyUsage(String oid, String kubernetesName) {
    this.oid = oid;
    this.kubernetesName = kubernetesName;
  }

  public String oid() {
    return oid;
  }

  /** The usage as Kubernetes spells it in a CertificateSigningRequest. */
  public String kubernetesName() {
    return kubernetesName;
  }

  /** The usage with this OID, or {@code null} when kcert does not know it. */
  public static ExtendedKeyUsage ofOid(String oid) {
    for (ExtendedKeyUsage u : values()) {
      if (u.oid.equals(oid)) {
        return u;
      }
    }
    return null;
  }
}
