package dev.kcert.core.pki;

import dev.kcert.core.model.CatalogueEntry;
import dev.kcert.core.model.CertKind;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * Where a node keeps its certificates: kubeadm's PKI folder ({@code /etc/kubernetes/pki}), the
 * kubeconfig folder beside it ({@code /etc/kubernetes}) and the kubelet's own folder ({@code
 * /var/lib/kubelet/pki}).
 *
 * @param rootfs the node's root file system when it is not this machine's ({@code --rootfs}, or
 *     the root of a copied tree): absolute paths written inside kubeconfig files are read below it.
 *     {@code null} reads them as they are.
 */
public record PkiLayout(Path certDir, Path kubeconfigDir, Path kubeletDir, Path rootfs) {
  public PkiLayout(Path certDir, Path kubeconfigDir, Path kubeletDir) {
    this(certDir, kubeconfigDir, kubeletDir, null);
  }

  /** kubeadm's folders, as text for option defaults. */
  public static final String CERT_DIR = "/etc/kubernetes/pki";

  public static final String KUBECONFIG_DIR = "/etc/kubernetes";
  public static final String KUBELET_DIR = "/var/lib/kubelet/pki";
  public static final Path DEFAULT_CERT_DIR = Path.of(CERT_DIR);
  public static final Path DEFAULT_KUBECONFIG_DIR = Path.of(KUBECONFIG_DIR);
  public static final Path DEFAULT_KUBELET_DIR = Path.of(KUBELET_DIR);

  /**
   * The usual layout below one {@code /etc/kubernetes}-like root. Absolute paths inside its
   * kubeconfig files are read below {@link #hostRoot(Path) the root's file system}.
   */
  public static PkiLayout under(Path root) {
    return new PkiLayout(root.resolve("pki"), root, root.resolve("kubelet-pki"), hostRoot(root));
  }

  /**
   * The file system a copied {@code /etc/kubernetes}-like folder came from: the folder without a
   * trailing {@code etc/kubernetes} ({@code /backup/node-1/etc/kubernetes} gives {@code
   * /backup/node-1}), else the folder itself. A kubeconfig there that names {@code
   * /var/lib/kubelet/pki/kubelet-client-current.pem} is read from {@code
   * <that>/var/lib/kubelet/pki/kubelet-client-current.pem}, never from this machine.
   */
  public static Path hostRoot(Path root) {
    Path abs = root.toAbsolutePath().normalize();
    Path parent = abs.getParent();
    if (abs.getFileName() != null && abs.getFileName().toString().equals("kubernetes")
        && parent != null && parent.getFileName() != null
        && parent.getFileName().toString().equals("etc") && parent.getParent() != null) {
      return parent.getParent();
    }
    return abs;
  }

  /**
   * Whether this node's etcd looks external when no configuration says: the PKI folder holds the
   * cluster CA ({@code ca.crt}: a kubeadm PKI, not an empty or wrong folder) but no {@code etcd/}
   * folder, and there is no local etcd static pod ({@code <kubeconfig-dir>/manifests/etcd.yaml}).
   * Costs up to three file-system look-ups.
   */
  public boolean etcdLooksExternal() {
    return Files.exists(certDir.resolve("ca.crt"))
        && !Files.exists(certDir.resolve("etcd"), LinkOption.NOFOLLOW_LINKS)
        && !Files.exists(kubeconfigDir.resolve("manifests").resolve("etcd.yaml"),
            LinkOption.NOFOLLOW_LINKS);
  }

  /** {@code path} as the node sees it, read below {@code rootfs} when that is set. */
  public static Path onHost(Path rootfs, Path path) {
    if (rootfs == null || !path.isAbsolute()) {
      return path;
    }
    Path rel = path.getRoot().relativize(path);
    return rel.toString().isEmpty() ? rootfs : rootfs.resolve(rel);
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
