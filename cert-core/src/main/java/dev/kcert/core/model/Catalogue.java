package dev.kcert.core.model;

import static dev.kcert.core.model.ExtendedKeyUsage.CLIENT_AUTH;
import static dev.kcert.core.model.ExtendedKeyUsage.SERVER_AUTH;

import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * kubeadm's certificate catalogue (v1.31 and later): the three CAs, the seven leaves in the PKI
 * folder, the kubeconfig files signed by {@code ca}, and the kubelet's own certificates, which kcert
 * lists only on request.
 */
public final class Catalogue {
  public static final String CA = "ca";
  public static final String FRONT_PROXY_CA = "front-proxy-ca";
  public static final String ETCD_CA = "etcd-ca";

  public static final String SUPER_ADMIN_CONF = "super-admin.conf";
  public static final String KUBELET_CONF = "kubelet.conf";

  private static final Set<ExtendedKeyUsage> NONE = Set.of();
  private static final Set<ExtendedKeyUsage> SERVER = EnumSet.of(SERVER_AUTH);
  private static final Set<ExtendedKeyUsage> CLIENT = EnumSet.of(CLIENT_AUTH);
  private static final Set<ExtendedKeyUsage> BOTH = EnumSet.of(SERVER_AUTH, CLIENT_AUTH);

  /** The CAs, in kubeadm's order. */
  public static final List<CatalogueEntry> CAS =
      List.of(
          new CatalogueEntry(
              CA,
              "self-signed Kubernetes CA to provision identities for other Kubernetes components",
              "ca",
              "",
              CertKind.CA,
              "kubernetes",
              List.of(),
              NONE),
          new CatalogueEntry(
              FRONT_PROXY_CA,
              "self-signed CA to provision identities for front proxy",
              "front-proxy-ca",
              "",
              CertKind.CA,
              "front-proxy-ca",
              List.of(),
              NONE),
          new CatalogueEntry(
              ETCD_CA,
              "self-signed CA to provision identities for etcd",
              "etcd/ca",
              "",
              CertKind.CA,
              "etcd-ca",
              List.of(),
              NONE));

  /** The leaves kept as {@code .crt}/{@code .key} pairs in the PKI folder. */
  public static final List<CatalogueEntry> LEAVES =
      List.of(
          new CatalogueEntry(
              "apiserver",
              "certificate for serving the Kubernetes API",
              "apiserver",
              CA,
              CertKind.LEAF,
              "kube-apiserver",
              List.of(),
              SERVER),
          new CatalogueEntry(
              "apiserver-kubelet-client",
              "certificate for the API server to connect to kubelet",
              "apiserver-kubelet-client",
              CA,
              CertKind.LEAF,
              "kube-apiserver-kubelet-client",
              List.of("kubeadm:cluster-admins"),
              CLIENT),
          new CatalogueEntry(
              "front-proxy-client",
              "certificate for the front proxy client",
              "front-proxy-client",
              FRONT_PROXY_CA,
              CertKind.LEAF,
              "front-proxy-client",
              List.of(),
              CLIENT),
          new CatalogueEntry(
              "etcd-server",
              "certificate for serving etcd",
              "etcd/server",
              ETCD_CA,
              CertKind.LEAF,
              null,
              List.of(),
              BOTH),
          new CatalogueEntry(
              "etcd-peer",
              "certificate for etcd nodes to communicate with each other",
              "etcd/peer",
              ETCD_CA,
              CertKind.LEAF,
              null,
              List.of(),
              BOTH),
          new CatalogueEntry(
              "etcd-healthcheck-client",
              "certificate for liveness probes to healthcheck etcd",
              "etcd/healthcheck-client",
              ETCD_CA,
              CertKind.LEAF,
              "kube-etcd-healthcheck-client",
              List.of(),
              CLIENT),
          new CatalogueEntry(
              "apiserver-etcd-client",
              "certificate the apiserver uses to access etcd",
              "apiserver-etcd-client",
              ETCD_CA,
              CertKind.LEAF,
              "kube-apiserver-etcd-client",
              List.of(),
              CLIENT));

  /** The kubeconfig files whose client certificates kubeadm reports and renews. */
  public static final List<CatalogueEntry> KUBECONFIGS =
      List.of(
          new CatalogueEntry(
              "admin.conf",
              "certificate embedded in the kubeconfig file for the admin to use and for kubeadm"
                  + " itself",
              "admin.conf",
              CA,
              CertKind.KUBECONFIG,
              "kubernetes-admin",
              List.of("kubeadm:cluster-admins"),
              CLIENT),
          new CatalogueEntry(
              SUPER_ADMIN_CONF,
              "certificate embedded in the kubeconfig file for the super-admin",
              "super-admin.conf",
              CA,
              CertKind.KUBECONFIG,
              "kubernetes-super-admin",
              List.of("system:masters"),
              CLIENT),
          new CatalogueEntry(
              "controller-manager.conf",
              "certificate embedded in the kubeconfig file for the controller manager to use",
              "controller-manager.conf",
              CA,
              CertKind.KUBECONFIG,
              "system:kube-controller-manager",
              List.of(),
              CLIENT),
          new CatalogueEntry(
              "scheduler.conf",
              "certificate embedded in the kubeconfig file for the scheduler manager to use",
              "scheduler.conf",
              CA,
              CertKind.KUBECONFIG,
              "system:kube-scheduler",
              List.of(),
              CLIENT));

  /** {@code kubelet.conf}: kubeadm writes it but never reports it; kcert does on request. */
  public static final CatalogueEntry KUBELET_KUBECONFIG =
      new CatalogueEntry(
          KUBELET_CONF,
          "certificate embedded in the kubeconfig file for the kubelet to use",
          "kubelet.conf",
          CA,
          CertKind.KUBECONFIG,
          null,
          List.of("system:nodes"),
          CLIENT);

  /** The kubelet's own certificates in its PKI folder (default {@code /var/lib/kubelet/pki}). */
  public static final List<CatalogueEntry> KUBELET_FILES =
      List.of(
          new CatalogueEntry(
              "kubelet-client-current.pem",
              "client certificate the kubelet rotates itself",
              "kubelet-client-current.pem",
              CA,
              CertKind.KUBELET,
              null,
              List.of("system:nodes"),
              CLIENT),
          new CatalogueEntry(
              "kubelet.crt",
              "serving certificate the kubelet signs itself",
              "kubelet.crt",
              "",
              CertKind.KUBELET,
              null,
              List.of(),
              SERVER));

  private Catalogue() {}


  /**
   * Whether kubeadm leaves an entry out when etcd is external ({@code etcd.external}): the etcd CA,
   * the certificates it signs (etcd's three and {@code apiserver-etcd-client}).
   */
  public static boolean isEtcd(CatalogueEntry e) {
    return ETCD_CA.equals(e.name()) || ETCD_CA.equals(e.caName());
  }

  /** {@code entries} without the ones {@link #isEtcd} names, when etcd is external. */
  public static List<CatalogueEntry> forEtcd(List<CatalogueEntry> entries, boolean externalEtcd) {
    return externalEtcd ? entries.stream().filter(e -> !isEtcd(e)).toList() : entries;
  }

  /** The entries that {@code renew} accepts by name: leaves and kubeconfigs. */
  public static List<CatalogueEntry> renewable() {
    return Stream.of(LEAVES, KUBECONFIGS).flatMap(List::stream).toList();
  }

  public static Optional<CatalogueEntry> find(String name) {
    return Stream.of(CAS, LEAVES, KUBECONFIGS, List.of(KUBELET_KUBECONFIG), KUBELET_FILES)
        .flatMap(List::stream)
        .filter(e -> e.name().equals(name))
        .findFirst();
  }

  public static CatalogueEntry ca(String name) {
    return CAS.stream()
        .filter(e -> e.name().equals(name))
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no CA named " + name));
  }
}
