package dev.kcert.cli;

import dev.kcert.core.generate.PlannedFile;
import dev.kcert.core.renewal.NodeCsrPlanner;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code kcert certs generate-csr}. */
@Command(
    name = "generate-csr",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Generates keys and certificate requests for a new control-plane node whose certificates"
          + " an external CA signs, as 'kubeadm certs generate-csr' does.",
      "",
      "Writes <cert-dir>/<name>.key and <name>.csr for the seven leaves (etcd's below etcd/), and"
          + " for admin.conf, super-admin.conf, controller-manager.conf, scheduler.conf and"
          + " kubelet.conf the kubeconfig file with its client key but no certificate, and"
          + " <kubeconfig-dir>/<file>.csr. The CA certificate <cert-dir>/ca.crt must be there (the"
          + " kubeconfig files embed it); no CA key is needed. Never overwrites a file.",
      "",
      "Once the CA has signed them, put the certificates into a folder as <name>.crt (apiserver.crt,"
          + " etcd-server.crt, admin.conf.crt, kubelet.conf.crt, ...) and run 'kcert certs import"
          + " --csr-dir' on it: it checks them against these requests and installs them."
    },
    footer = {
      "%nExamples:",
      "  kcert certs generate-csr --node-name cp-2 --advertise-address 10.0.0.11 \\",
      "      --control-plane-endpoint k8s.example.com:6443",
      ExitCodes.CREATE_HELP
    })
public final class GenerateCsrCommand implements Callable<Integer> {
  @Mixin NodeOptions node;

  @Mixin PkiDirs dirs;

  @Mixin NewKeyOptions keys;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    List<PlannedFile> files = NodeCsrPlanner.plan(dirs.layout(), node.parameters(), keys.keyAlgorithm);
    NodeCsrPlanner.write(files);
    for (PlannedFile f : files) {
      out.println("Wrote " + f.path());
    }
    out.println();
    out.println(
        "Have the external CA sign the .csr files, put the certificates into a folder as"
            + " <name>.crt and run:");
    out.println(
        "  kcert certs import --csr-dir DIR --cert-dir "
            + dirs.certDir
            + " --kubeconfig-dir "
            + dirs.kubeconfigDir);
    out.flush();
    return ExitCodes.OK;
  }
}
