package dev.kcert.cli;

import dev.kcert.core.config.ClusterConfig;
import dev.kcert.core.config.KubeadmConfigParser;
import dev.kcert.core.generate.GenerationOptions;
import dev.kcert.core.generate.PkiGenerator;
import dev.kcert.core.generate.PlannedFile;
import dev.kcert.core.pem.Pem;
import dev.kcert.core.pki.NodeParameters;
import dev.kcert.core.pki.PkiLayout;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code kcert certs init}. */
@Command(
    name = "init",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Creates the certificates of a new control-plane node, as 'kubeadm init phase certs all'"
          + " and 'kubeadm init phase kubeconfig all' do.",
      "",
      "Writes the CAs ca, front-proxy-ca and etcd/ca (a CA whose certificate and key are already"
          + " on disk is reused, kubeadm's \"bring your own CA\"), the seven leaves, sa.key and"
          + " sa.pub, and admin.conf, super-admin.conf, controller-manager.conf, scheduler.conf and"
          + " kubelet.conf. Refuses to start when any of those files exists; never overwrites."
    },
    footer = {
      "%nExamples:",
      "  kcert certs init --node-name cp-1 --apiserver-advertise-address 10.0.0.10",
      "  kcert certs init --config kubeadm.yaml",
      "  kcert certs init --node-name cp-1 --apiserver-advertise-address 10.0.0.10 \\",
      "      --control-plane-endpoint k8s.example.com:6443 \\",
      "      --apiserver-cert-extra-sans 10.0.0.100 --key-algorithm ECDSA-P256 \\",
      "      --cert-dir /tmp/pki --kubeconfig-dir /tmp",
      ExitCodes.CREATE_HELP
    })
public final class InitCommand implements Callable<Integer> {
  @Mixin NodeOptions node;

  @Mixin PkiDirs dirs;

  @Mixin NewKeyOptions keys;

  @Option(
      names = "--config",
      paramLabel = "FILE",
      description =
          "A kubeadm configuration file (InitConfiguration, ClusterConfiguration; kubeadm.k8s.io"
              + "/v1beta3 or v1beta4): node facts, certificatesDir, certificateValidityPeriod,"
              + " caCertificateValidityPeriod, encryptionAlgorithm, etcd. Flags win over it.")
  Path config;

  @Option(
      names = "--validity",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description =
          "How long leaves and kubeconfig certificates are valid (default:"
              + " certificateValidityPeriod, else 8760h).")
  Duration validity;

  @Option(
      names = "--ca-validity",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description =
          "How long new CAs are valid (default: caCertificateValidityPeriod, else 87600h, ten"
              + " years).")
  Duration caValidity;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    Clock clock = ((Kcert) spec.root().userObject()).clock();
    ClusterConfig cfg = readConfig(config, dirs, spec.commandLine().getErr());
    GenerationOptions options =
        new GenerationOptions(
            keys.keyAlgorithm(cfg),
            caValidity != null
                ? caValidity
                : cfg.caCertificateValidityPeriod() != null
                    ? cfg.caCertificateValidityPeriod()
                    : GenerationOptions.DEFAULT_CA_VALIDITY,
            validity != null
                ? validity
                : cfg.certificateValidityPeriod() != null
                    ? cfg.certificateValidityPeriod()
                    : GenerationOptions.DEFAULT_VALIDITY,
            Map.of(),
            true,
            clock);
    create(
        dirs.layout(cfg),
        node.parameters(cfg, spec),
        options,
        cfg.externalEtcd(),
        spec.commandLine().getOut(),
        true);
    return ExitCodes.OK;
  }

  /** Reads --config (below --rootfs) and says so on {@code err}; none without it. */
  static ClusterConfig readConfig(Path config, PkiDirs dirs, PrintWriter err) {
    if (config == null) {
      return ClusterConfig.none();
    }
    Path file = dirs.onHost(config);
    ClusterConfig c = KubeadmConfigParser.parse(Pem.readFile(file), file.toString());
    err.println("Reading configuration from " + file);
    err.flush();
    return c;
  }

  /** Generates and writes a PKI, naming the CAs it reused and, when asked, every file it wrote. */
  static PkiGenerator.Plan create(
      PkiLayout layout,
      NodeParameters node,
      GenerationOptions options,
      PrintWriter out,
      boolean listFiles) {
    return create(layout, node, options, false, out, listFiles);
  }

  /** As above; with {@code externalEtcd}, etcd's CA and certificates are left to etcd's owner. */
  static PkiGenerator.Plan create(
      PkiLayout layout,
      NodeParameters node,
      GenerationOptions options,
      boolean externalEtcd,
      PrintWriter out,
      boolean listFiles) {
    if (options.validity().isNegative() || options.validity().isZero()
        || options.caValidity().isNegative() || options.caValidity().isZero()) {
      throw new IllegalArgumentException("--validity and --ca-validity must be positive");
    }
    PkiGenerator.Plan plan = PkiGenerator.generate(layout, node, options, externalEtcd);
    for (String ca : plan.reusedCas()) {
      out.println("Using the existing " + ca + " certificate authority");
    }
    if (listFiles) {
      for (PlannedFile f : plan.files()) {
        out.println("Wrote " + f.path());
      }
      if (externalEtcd) {
        out.println(
            "etcd is external: its CA, its certificates and apiserver-etcd-client are left to"
                + " etcd's owner");
      }
      out.println(
        "Created the PKI of node "
            + node.nodeName()
            + " ("
            + options.keyAlgorithm()
            + " keys): "
            + plan.files().size()
            + " files.");
    }
    out.flush();
    return plan;
  }
}
