package dev.kcert.cli;

import dev.kcert.cli.output.ExpirationDocument;
import dev.kcert.cli.output.ExpirationText;
import dev.kcert.core.expiry.Durations;
import dev.kcert.core.expiry.ExpiryEntry;
import dev.kcert.core.expiry.ExpiryReport;
import dev.kcert.core.inventory.InventoryOptions;
import dev.kcert.core.inventory.PkiInventory;
import dev.kcert.core.inventory.Problem;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code kcert certs check-expiration}. */
@Command(
    name = "check-expiration",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Checks expiration for the certificates in the local PKI managed by kubeadm.",
      "",
      "Works offline: reads the PKI folder and the kubeconfig files beside it, never the API"
          + " server. The table and the JSON/YAML output are kubeadm's"
          + " (CertificateExpirationInfo, output.kubeadm.k8s.io/v1alpha3). A file that cannot be"
          + " read is shown as !INVALID! and named on standard error; the other rows are still"
          + " reported."
    },
    footer = {
      "%nExamples:",
      "  kcert certs check-expiration",
      "  kcert certs check-expiration --cert-dir /etc/kubernetes/pki -o json",
      "  kcert certs check-expiration --warn-within 30d --fail-within 7d",
      "  kcert certs check-expiration --include-kubelet",
      ExitCodes.CHECK_EXPIRATION_HELP
    })
public final class CheckExpirationCommand implements Callable<Integer> {
  /** Output formats. */
  enum Format {
    text,
    json,
    yaml
  }

  @Mixin PkiDirs dirs;

  @Option(
      names = {"-o", "--output"},
      paramLabel = "FORMAT",
      defaultValue = "text",
      description = "Output format: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
  Format output;

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

  @ParentCommand CertsCommand parent;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    Kcert root = (Kcert) spec.root().userObject();
    ExpiryReport report =
        ExpiryReport.of(
            PkiInventory.scan(dirs.layout(), new InventoryOptions(includeKubelet, checkKeys)),
            root.clock());
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    out.print(
        switch (output) {
          case text -> ExpirationText.render(report);
          case json -> ExpirationDocument.json(report);
          case yaml -> ExpirationDocument.yaml(report);
        });
    out.flush();
    for (Problem p : report.problems()) {
      err.println((p.isError() ? "error: " : "warning: ") + p.message());
    }
    int code = ExitCodes.OK;
    if (warnWithin != null) {
      List<ExpiryEntry> hits = report.expiringWithin(warnWithin);
      if (!hits.isEmpty()) {
        err.println("warning: " + summary(hits, warnWithin));
        code = ExitCodes.WARNING;
      }
    }
    if (failWithin != null) {
      List<ExpiryEntry> hits = report.expiringWithin(failWithin);
      if (!hits.isEmpty()) {
        err.println("error: " + summary(hits, failWithin));
        code = ExitCodes.EXPIRING;
      }
    }
    if (report.hasErrors()) {
      code = ExitCodes.ERROR;
    }
    err.flush();
    return code;
  }

  private static String summary(List<ExpiryEntry> hits, Duration threshold) {
    long expired = hits.stream().filter(e -> e.residualSeconds() < 0).count();
    String names = hits.stream().map(ExpiryEntry::name).collect(Collectors.joining(", "));
    return hits.size()
        + (hits.size() == 1 ? " certificate" : " certificates")
        + " expired or expiring within "
        + Durations.format(threshold)
        + (expired > 0 ? " (" + expired + " already expired)" : "")
        + ": "
        + names;
  }
}
