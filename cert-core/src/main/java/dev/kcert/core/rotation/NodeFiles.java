package dev.kcert.core.rotation;

import dev.kcert.core.model.KcertException;
import dev.kcert.core.node.NodeEndpoints;
import dev.kcert.core.pki.PkiLayout;
import dev.kcert.core.renewal.Installer;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The files of one node that a CA rotation reads: the PKI and kubeconfig folders, the static pod
 * manifests and the kubelet's configuration.
 *
 * @param layout the PKI, kubeconfig and kubelet certificate folders
 * @param manifestDir the static pod manifests ({@code /etc/kubernetes/manifests})
 * @param kubeletConfig the kubelet's configuration file ({@code /var/lib/kubelet/config.yaml})
 */
public record NodeFiles(PkiLayout layout, Path manifestDir, Path kubeletConfig) {
  public static final String MANIFEST_DIR = "/etc/kubernetes/manifests";

  /** The usual places below one {@code /etc/kubernetes}-like root (tests and generated PKIs). */
  public static NodeFiles under(Path root) {
    return new NodeFiles(
        PkiLayout.under(root), NodeEndpoints.manifestsDir(root), root.resolve("kubelet-config.yaml"));
  }

  /** Where kcert keeps each rotation's state, beside the PKI. */
  public Path rotationRoot() {
    return layout.certDir().resolve("kcert-rotation");
  }

  /** The folder that receives the backups of every phase ({@code /etc/kubernetes/tmp}). */
  public Path backupParent() {
    return Installer.backupParent(layout);
  }

  /** How a file is named inside a backup folder, as renewal names it. */
  String backupName(Path file) {
    return Installer.backupName(layout, file);
  }

  /** The static pod manifests ({@code *.yaml}, {@code *.yml}) in name order; none without the folder. */
  List<Path> manifests() {
    List<Path> files = new ArrayList<>();
    if (!Files.isDirectory(manifestDir)) {
      return files;
    }
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(manifestDir, "*.{yaml,yml}")) {
      ds.forEach(files::add);
    } catch (IOException e) {
      throw KcertException.about(manifestDir, "cannot list: " + KcertException.oneLine(e), e);
    }
    files.sort(null);
    return files;
  }
}
