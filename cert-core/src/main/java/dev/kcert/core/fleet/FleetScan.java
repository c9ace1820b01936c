package dev.kcert.core.fleet;

import dev.kcert.core.expiry.ExpiryReport;
import dev.kcert.core.inventory.InventoryOptions;
import dev.kcert.core.inventory.PkiInventory;
import dev.kcert.core.pki.PkiLayout;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Iterator;
import java.util.function.Consumer;

/**
 * Expiry reports over many nodes' PKI folders, one at a time: each report is handed on as soon as it
 * is made and then dropped, so memory stays flat however many folders there are.
 */
public final class FleetScan {
  private FleetScan() {}

  /** One folder's report. */
  public record NodeReport(Path root, ExpiryReport report) {}

  /**
   * Scans every root (an {@code /etc/kubernetes}-like folder with {@code pki/} inside and the
   * kubeconfig files beside it) in order.
   *
   * @return how many certificates were read
   */
  public static long scan(
      Iterator<Path> roots, InventoryOptions options, Clock clock, Consumer<NodeReport> sink) {
    long certificates = 0;
    while (roots.hasNext()) {
      Path root = roots.next();
      ExpiryReport report = ExpiryReport.of(PkiInventory.scan(layout(root), options), clock);
      certificates += report.all().filter(e -> e.hasDate()).count();
      sink.accept(new NodeReport(root, report));
    }
    return certificates;
  }

  /**
   * A root's folders. The kubelet's certificates are read where its kubeconfig's absolute paths
   * point, below the root's file system ({@code /backup/node-1/var/lib/kubelet/pki} for {@code
   * /backup/node-1/etc/kubernetes}), so that kubelet.conf and the files it names are read from the
   * same node.
   */
  static PkiLayout layout(Path root) {
    PkiLayout under = PkiLayout.under(root);
    return new PkiLayout(
        under.certDir(),
        under.kubeconfigDir(),
        PkiLayout.onHost(under.rootfs(), PkiLayout.DEFAULT_KUBELET_DIR),
        under.rootfs());
  }
}
