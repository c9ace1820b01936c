package dev.kcert.cli;

import dev.kcert.core.config.ClusterConfig;
import dev.kcert.core.pki.PkiLayout;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The folder options every command that reads a node's PKI shares. */
public final class PkiDirs {
  @Option(
      names = "--cert-dir",
      paramLabel = "DIR",
      description =
          "The folder holding the certificates (default: certificatesDir of the kubeadm"
              + " configuration, else " + PkiLayout.CERT_DIR + ").")
  Path certDir;

  @Option(
      names = "--kubeconfig-dir",
      paramLabel = "DIR",
      description = "The folder holding the kubeconfig files (default: ${DEFAULT-VALUE}).",
      defaultValue = PkiLayout.KUBECONFIG_DIR)
  Path kubeconfigDir;

  @Option(
      names = "--kubelet-dir",
      paramLabel = "DIR",
      description = "The kubelet's certificate folder (default: ${DEFAULT-VALUE}).",
      defaultValue = PkiLayout.KUBELET_DIR)
  Path kubeletDir;

  @Option(
      names = "--rootfs",
      paramLabel = "DIR",
      description =
          "The node's root file system, when it is not this machine's (a mounted disk, a backup, a"
              + " container with the host at /host): every absolute path kcert reads or writes,"
              + " including those written inside kubeconfig files, is taken below DIR. Files named"
              + " on the command line as input from elsewhere (ca prepare --new-ca-cert) are read"
              + " as given.")
  Path rootfs;

  /** The folders, with kcert's defaults where no option names them. */
  public PkiLayout layout() {
    return layout(ClusterConfig.none());
  }

  /** The folders: options first, then {@code certificatesDir} of the configuration, then defaults. */
  public PkiLayout layout(ClusterConfig config) {
    Path cert =
        certDir != null
            ? certDir
            : config.certificatesDir() != null
                ? Path.of(config.certificatesDir())
                : PkiLayout.DEFAULT_CERT_DIR;
    return new PkiLayout(
        onHost(cert), onHost(kubeconfigDir), onHost(kubeletDir), rootfs == null ? null : rootfs);
  }

  /** The kubeconfig folder as read and written (below --rootfs when given). */
  public Path kubeconfigDir() {
    return onHost(kubeconfigDir);
  }

  /** A path the node names, as this machine reads it: below --rootfs when given and absolute. */
  public Path onHost(Path p) {
    return p == null ? null : PkiLayout.onHost(rootfs, p);
  }
}
