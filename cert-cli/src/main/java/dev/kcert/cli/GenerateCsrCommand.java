package dev.kcert.cli;

import dev.kcert.core.config.ClusterConfig;
import dev.kcert.core.generate.PlannedFile;
import dev.kcert.core.pki.PkiLayout;
import java.nio.file.Path;
import dev.kcert.core.renewal.NodeCsrPlanner;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
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
      "  kcert certs generate-csr --node-name cp-2 \\",
      "      --apiserver-advertise-address 10.0.0.11 \\",
      "      --control-plane-endpoint k8s.example.com:6443",
      ExitCodes.CREATE_HELP
    })
public final class GenerateCsrCommand implements Callable<Integer> {
  @Mixin NodeOptions node;

  @Mixin PkiDirs dirs;

  @Mixin NewKeyOptions keys;

  @Option(
      names = "--config",
      paramLabel = "FILE",
      description =
          "A kubeadm configuration file (InitConfiguration, ClusterConfiguration,"
              + " JoinConfiguration; kubeadm.k8s.io/v1beta3 or v1beta4). Flags win over it.")
  Path config;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    ClusterConfig cfg = InitCommand.readConfig(config, dirs, spec.commandLine().getErr());
    PkiLayout layout = dirs.layout(cfg);
    List<PlannedFile> files =
        NodeCsrPlanner.plan(
            layout, node.parameters(cfg, spec), keys.keyAlgorithm(cfg), cfg.externalEtcd());
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
            + layout.certDir()
            + " --kubeconfig-dir "
            + layout.kubeconfigDir());
    out.flush();
    return ExitCodes.OK;
  }
}
