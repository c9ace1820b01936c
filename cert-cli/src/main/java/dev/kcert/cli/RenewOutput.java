package dev.kcert.cli;

import dev.kcert.core.model.CatalogueEntry;
import dev.kcert.core.node.Component;
import dev.kcert.core.pki.PkiLayout;
import dev.kcert.core.renewal.Installer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Messages that {@code renew} and {@code import} share. */
final class RenewOutput {
  /** The control-plane components in the order kubeadm names them in its message. */
  private static final List<String> COMPONENTS =
      List.of("kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd", "kubelet");

  private RenewOutput() {}

  /** Where backups go: kubeadm's {@code /etc/kubernetes/tmp}. */
  static Path backupParent(Path kubeconfigDir) {
    return kubeconfigDir.resolve("tmp");
  }

  /** Restores the files of runs that stopped half-way, says so, and counts the runs undone. */
  static int recover(Installer installer, PkiLayout layout, PrintWriter err) {
    List<Installer.Recovery> undone = installer.recover(layout);
    for (Installer.Recovery r : undone) {
      err.println(
          "warning: an earlier run stopped half-way; restored the "
              + r.filesRestored()
              + (r.filesRestored() == 1 ? " file" : " files")
              + " it had replaced from "
              + r.backupDir());
    }
    return undone.size();
  }

  /** How kubeadm names a CA in its messages: its file's base name ({@code etcd/ca}). */
  static String caBaseName(String caName) {
    return "etcd-ca".equals(caName) ? "etcd/ca" : caName;
  }

  /** The components that read the given certificates and must be restarted to use new ones. */
  static List<String> componentsToRestart(Collection<CatalogueEntry> changed) {
    Set<String> hit = new LinkedHashSet<>();
    Component.readers(changed).forEach(c -> hit.add(c.podName()));
    List<String> ordered = new ArrayList<>();
    for (String c : COMPONENTS) {
      if (hit.contains(c)) {
        ordered.add(c);
      }
    }
    return ordered;
  }

  /** {@code a}, {@code a and b}, {@code a, b and c}. */
  static String join(List<String> words) {
    if (words.size() <= 1) {
      return String.join("", words);
    }
    return String.join(", ", words.subList(0, words.size() - 1))
        + " and "
        + words.get(words.size() - 1);
  }

  static void restartHint(Collection<CatalogueEntry> changed, PrintWriter out) {
    String advice = restartAdvice(changed);
    if (!advice.isEmpty()) {
      out.println(advice.substring(1));
    }
  }

  /**
   * kubeadm's closing advice, {@code " You must restart the kube-apiserver, ..., so that they can
   * use the new certificates."}, for the components that read what changed; empty when none does.
   */
  static String restartAdvice(Collection<CatalogueEntry> changed) {
    List<String> components = componentsToRestart(changed);
    if (components.isEmpty()) {
      return "";
    }
    return " You must restart the "
        + join(components)
        + (components.size() == 1 ? ", so that it can" : ", so that they can")
        + " use the new certificates.";
  }
}
