package dev.kcert.cli;

import dev.kcert.core.config.ClusterConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;

/** {@code kcert certs check-expiration}. */
@Command(
    name = "check-expiration",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Checks expiration for the certificates in the local PKI managed by kubeadm.",
      "",
      "Works offline: reads the PKI folder and the kubeconfig files beside it. The kubeadm"
          + " configuration (certificatesDir, etcd.external) is read only when asked for: from"
          + " --config, or from the \"kubeadm-config\" ConfigMap through --kubeconfig (an API"
          + " server that does not answer within --api-timeout is named in one line and the"
          + " files are reported anyway). Without either, a PKI folder with no etcd/ folder and"
          + " no manifests/etcd.yaml beside the kubeconfig files is taken for external etcd, whose"
          + " certificates kubeadm does not report. The table and the JSON/YAML output are kubeadm's"
          + " (CertificateExpirationInfo, output.kubeadm.k8s.io/v1alpha3). A file that cannot be"
          + " read is shown as !INVALID! and named on standard error; the other rows are still"
          + " reported.",
      "",
      "Given ROOT folders (each an /etc/kubernetes-like folder with pki/ inside and the"
          + " kubeconfig files beside it), reports each in turn as soon as it is read: a '# ROOT'"
          + " line before each text report; in JSON and YAML one document per folder, with an"
          + " added 'source' field. Absolute paths inside a ROOT's kubeconfig files are read"
          + " below the ROOT's file system: ROOT without a trailing etc/kubernetes, else ROOT"
          + " itself."
    },
    footer = {
      "%nExamples:",
      "  kcert certs check-expiration",
      "  kcert certs check-expiration --cert-dir /etc/kubernetes/pki -o json",
      "  kcert certs check-expiration --warn-within 30d --fail-within 7d",
      "  kcert certs check-expiration --include-kubelet",
      "  kcert certs check-expiration /backup/node-*/etc/kubernetes -o json",
      ExitCodes.CHECK_EXPIRATION_HELP
    })
public final class CheckExpirationCommand implements Callable<Integer> {
  @Mixin PkiDirs dirs;

  @Mixin ConfigOptions configOptions;

  @Option(
      names = {"-o", "--output"},
      paramLabel = "FORMAT",
      defaultValue = "text",
      description = "Output format: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
  CheckExpiration.Format output;

  @Option(
      names = "--warn-within",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description =
          "Exit with code 4 when a certificate expires within DURATION (30d, 720h, 2w, 1d12h).")
  Duration warnWithin;

  @Option(
      names = "--fail-within",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description =
          "Exit with code 3 when a certificate has expired or expires within DURATION. Missing"
              + " files are never counted (super-admin.conf is absent on joined control-plane"
              + " nodes).")
  Duration failWithin;

  @Option(
      names = "--include-kubelet",
      description =
          "Also report kubelet.conf and the kubelet's own kubelet-client-current.pem and"
              + " kubelet.crt (from --kubelet-dir).")
  boolean includeKubelet;

  @Option(
      names = "--check-keys",
      description = "Also read every private key and check that it matches its certificate.")
  boolean checkKeys;

  @Parameters(
      paramLabel = "ROOT",
      arity = "0..*",
      description = "Folders to report on instead of --cert-dir/--kubeconfig-dir, one after another.")
  List<Path> roots = new ArrayList<>();

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    Kcert root = (Kcert) spec.root().userObject();
    if (!roots.isEmpty()) {
      ParseResult parsed = spec.commandLine().getParseResult();
      if (parsed.hasMatchedOption("--cert-dir") || parsed.hasMatchedOption("--kubeconfig-dir")) {
        throw new ParameterException(
            spec.commandLine(), "ROOT folders and --cert-dir/--kubeconfig-dir exclude each other");
      }
    }
    // the configuration only when asked for: an offline report stays offline and fast
    ClusterConfig config = configOptions.resolve(dirs, false, spec.commandLine().getErr());
    List<Path> folders = roots.stream().map(dirs::onHost).toList();
    CheckExpiration.Request request =
        new CheckExpiration.Request(
            dirs.layout(config),
            folders,
            output,
            warnWithin,
            failWithin,
            includeKubelet,
            checkKeys,
            config.externalEtcd() ? Boolean.TRUE : null);
    return CheckExpiration.run(
        request, root.clock(), spec.commandLine().getOut(), spec.commandLine().getErr());
  }
}
