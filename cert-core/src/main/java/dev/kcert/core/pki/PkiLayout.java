package dev.kcert.core.pki;

import dev.kcert.core.model.CatalogueEntry;
import dev.kcert.core.model.CertKind;
import java.nio.file.Path;

/**
 * Where a node keeps its certificates: kubeadm's PKI folder ({@code /etc/kubernetes/pki}), the
 * kubeconfig folder beside it ({@code /etc/kubernetes}) and the kubelet's own folder ({@code
 * /var/lib/kubelet/pki}).
 */
public record PkiLayout(Path certDir, Path kubeconfigDir, Path kubeletDir) {
  /** kubeadm's folders, as text for option defaults. */
  public static final String CERT_DIR = "/etc/kubernetes/pki";

  public static final String KUBECONFIG_DIR = "/etc/kubernetes";
  public static final String KUBELET_DIR = "/var/lib/kubelet/pki";
  public static final Path DEFAULT_CERT_DIR = Path.of(CERT_DIR);
  public static final Path DEFAULT_KUBECONFIG_DIR = Path.of(KUBECONFIG_DIR);
  public static final Path DEFAULT_KUBELET_DIR = Path.of(KUBELET_DIR);

  /** The usual layout below one {@code /etc/kubernetes}-like root. */
  public static PkiLayout under(Path root) {
    return new PkiLayout(root.resolve("pki"), root, root.resolve("kubelet-pki"));
  }

  /** The certificate file of a CA or leaf, or the file of a kubelet entry. */
  public Path certFile(CatalogueEntry e) {
    return switch (e.kind()) {
      case CA, LEAF -> certDir.resolve(e.baseName() + ".crt");
      case KUBECONFIG -> kubeconfigDir.resolve(e.baseName());
      case KUBELET -> kubeletDir.resolve(e.baseName());
    };
  }

  /** The private key file of a CA or leaf. */
  public Path keyFile(CatalogueEntry e) {
    if (e.kind() != CertKind.CA && e.kind() != CertKind.LEAF) {
      throw new IllegalArgumentException(e.name() + " keeps no separate key file");
    }
    return certDir.resolve(e.baseName() + ".key");
  }

  /**
   * Where {@code generate-csr} leaves a certificate request, and {@code import} looks for it:
   * beside the certificate ({@code apiserver.csr}) or the kubeconfig ({@code admin.conf.csr}).
   */
  public Path csrFile(CatalogueEntry e) {
    Path target = certFile(e);
    String name = target.getFileName().toString();
    return target.resolveSibling(
        e.isKubeconfig() ? name + ".csr" : name.replaceAll("\\.crt$", "") + ".csr");
  }

  /** The kubeconfig file of a kubeconfig entry. */
  public Path kubeconfigFile(CatalogueEntry e) {
    return kubeconfigDir.resolve(e.baseName());
  }

  public Path serviceAccountKey() {
    return certDir.resolve("sa.key");
  }

  public Path serviceAccountPub() {
    return certDir.resolve("sa.pub");
  }
}
