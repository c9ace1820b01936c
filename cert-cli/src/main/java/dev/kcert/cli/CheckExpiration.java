package dev.kcert.cli;

import dev.kcert.cli.output.ExpirationDocument;
import dev.kcert.cli.output.ExpirationText;
import dev.kcert.core.expiry.Durations;
import dev.kcert.core.expiry.ExpiryEntry;
import dev.kcert.core.expiry.ExpiryReport;
import dev.kcert.core.fleet.FleetScan;
import dev.kcert.core.inventory.InventoryOptions;
import dev.kcert.core.inventory.PkiInventory;
import dev.kcert.core.inventory.Problem;
import dev.kcert.core.pki.PkiLayout;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * What {@code kcert certs check-expiration} does once its options are known. It uses no picocli
 * type, so that {@link FastPath} can run it without loading the command-line framework.
 */
final class CheckExpiration {
  /** Output formats. */
  enum Format {
    text,
    json,
    yaml
  }

  /**
   * A parsed check-expiration command line.
   *
   * @param layout the PKI folders (ignored when roots are given)
   * @param roots {@code /etc/kubernetes}-like folders to report on one after another
   * @param output the format
   * @param warnWithin the warning threshold, or {@code null}
   * @param failWithin the failure threshold, or {@code null}
   * @param includeKubelet whether to add the kubelet's certificates
   * @param checkKeys whether to match every private key to its certificate
   * @param externalEtcd true when the kubeadm configuration says etcd is external; {@code null}
   *     decides from the disk
   */
  record Request(
      PkiLayout layout,
      List<Path> roots,
      Format output,
      Duration warnWithin,
      Duration failWithin,
      boolean includeKubelet,
      boolean checkKeys,
      Boolean externalEtcd) {
    Request(
        PkiLayout layout,
        List<Path> roots,
        Format output,
        Duration warnWithin,
        Duration failWithin,
        boolean includeKubelet,
        boolean checkKeys) {
      this(layout, roots, output, warnWithin, failWithin, includeKubelet, checkKeys, null);
    }
  }

  private CheckExpiration() {}

  static int run(Request r, Clock clock, PrintWriter out, PrintWriter err) {
    InventoryOptions options =
        new InventoryOptions(r.includeKubelet(), r.checkKeys(), r.externalEtcd());
    Tally warn = new Tally(r.warnWithin());
    Tally fail = new Tally(r.failWithin());
    boolean[] errors = {false};
    Consumer<FleetScan.NodeReport> sink =
        node -> {
          ExpiryReport report = node.report();
          String source = node.root() == null ? null : node.root().toString();
          if (source != null && r.output() == Format.text) {
            out.println("# " + source);
          }
          out.print(
              switch (r.output()) {
                case text -> ExpirationText.render(report);
                case json -> ExpirationDocument.json(report, source);
                case yaml -> (source == null ? "" : "---\n") + ExpirationDocument.yaml(report, source);
              });
          if (source != null && r.output() == Format.text) {
            out.println();
          }
          out.flush();
          for (Problem p : report.problems()) {
            err.println((p.isError() ? "error: " : "warning: ") + p.message());
          }
          err.flush();
          warn.add(report, source);
          fail.add(report, source);
          errors[0] |= report.hasErrors();
        };
    if (r.roots().isEmpty()) {
      if (PkiInventory.externalEtcd(r.layout(), options)) {
        err.println(
            "note: etcd is external"
                + (r.externalEtcd() != null
                    ? " (etcd.external in the configuration)"
                    : " (no " + r.layout().certDir().resolve("etcd") + " and no local etcd manifest)")
                + ": etcd-ca, etcd-server, etcd-peer, etcd-healthcheck-client and"
                + " apiserver-etcd-client are not reported, as kubeadm does");
        err.flush();
      }
      sink.accept(
          new FleetScan.NodeReport(
              null, ExpiryReport.of(PkiInventory.scan(r.layout(), options), clock)));
    } else {
      FleetScan.scan(r.roots().iterator(), options, clock, sink);
    }
    int code = ExitCodes.OK;
    if (warn.count > 0) {
      err.println("warning: " + warn.summary());
      code = ExitCodes.WARNING;
    }
    if (fail.count > 0) {
      err.println("error: " + fail.summary());
      code = ExitCodes.EXPIRING;
    }
    if (errors[0]) {
      code = ExitCodes.ERROR;
    }
    err.flush();
    return code;
  }

  /** Counts threshold hits across reports, keeping only the first names for the summary. */
  private static final class Tally {
    private static final int NAMES_SHOWN = 20;
    private final Duration threshold;
    private final List<String> names = new ArrayList<>();
    private long count;
    private long expired;

    Tally(Duration threshold) {
      this.threshold = threshold;
    }

    void add(ExpiryReport report, String source) {
      if (threshold == null) {
        return;
      }
      for (ExpiryEntry e : report.expiringWithin(threshold)) {
        count++;
        if (e.residualSeconds() < 0) {
          expired++;
        }
        if (names.size() < NAMES_SHOWN) {
          names.add(source == null ? e.name() : source + ": " + e.name());
        }
      }
    }

    String summary() {
      return count
          + (count == 1 ? " certificate" : " certificates")
          + " expired or expiring within "
          + Durations.format(threshold)
          + (expired > 0 ? " (" + expired + " already expired)" : "")
          + ": "
          + String.join(", ", names)
          + (count > names.size() ? " and " + (count - names.size()) + " more" : "");
    }
  }
}
