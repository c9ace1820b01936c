package dev.kcert.core.model;

import java.util.List;
import java.util.Set;

/**
 * One certificate kubeadm manages, as data (kubeadm keeps the same catalogue in its certs phase).
 *
 * @param name the short name users type and see ({@code apiserver}, {@code etcd-server}, {@code
 *     admin.conf})
 * @param longName kubeadm's description
 * @param baseName the file name without extension, relative to the certificate folder ({@code
 *     etcd/server}); for kubeconfig entries the file name relative to the kubeconfig folder
 * @param caName the name of the signing CA entry; empty for CAs
 * @param kind what the entry is
 * @param commonName the subject CN kubeadm gives it; {@code null} where it depends on the node
 * @param organizations the subject O values kubeadm gives it, in order
 * @param extKeyUsages the extended key usages kubeadm gives it
 */
public record CatalogueEntry(
    String name,
    String longName,
    String baseName,
    String caName,
    CertKind kind,
    String commonName,
    List<String> organizations,
    Set<ExtendedKeyUsage> extKeyUsages) {

  public CatalogueEntry {
    organizations = List.copyOf(organizations);
    extKeyUsages = extKeyUsages.isEmpty() ? Set.of() : Set.copyOf(extKeyUsages);
  }

  public boolean isCa() {
    return kind == CertKind.CA;
  }

  public boolean isKubeconfig() {
    return kind == CertKind.KUBECONFIG;
  }
}
