package dev.kcert.cli;

import dev.kcert.core.pki.PkiLayout;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The folder options every command that reads a node's PKI shares. */
public final class PkiDirs {
  @Option(
      names = "--cert-dir",
      paramLabel = "DIR",
      description = "The folder holding the certificates (default: ${DEFAULT-VALUE}).",
      defaultValue = PkiLayout.CERT_DIR)
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

  public PkiLayout layout() {
    return new PkiLayout(certDir, kubeconfigDir, kubeletDir);
  }
}
