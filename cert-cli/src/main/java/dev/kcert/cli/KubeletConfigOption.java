package dev.kcert.cli;

import dev.kcert.core.node.NodeEndpoints;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * {@code --kubelet-config}: the kubelet's configuration file, which says where the kubelet serves
 * and with which certificate, and where the static pod manifests are. Shared by the commands that
 * look at what a node serves.
 */
final class KubeletConfigOption {
  @Option(
      names = "--kubelet-config",
      paramLabel = "FILE",
      defaultValue = NodeEndpoints.KUBELET_CONFIG,
      description = "The kubelet's configuration file (default: ${DEFAULT-VALUE}).")
  Path file;
}
