package dev.kcert.examples;

import dev.kcert.core.expiry.Durations;
import dev.kcert.core.expiry.ExpiryEntry;
import dev.kcert.core.expiry.ExpiryReport;
import dev.kcert.core.inventory.InventoryOptions;
import dev.kcert.core.inventory.PkiInventory;
import dev.kcert.core.inventory.Problem;
import dev.kcert.core.pki.PkiLayout;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;

/**
 * The library in a dozen lines: lists what expires within a threshold in one node's PKI.
 *
 * <p>{@code mvn -q -pl examples -am process-classes -Prun -Dexample=ListExpiring
 * -Dexample.args="/etc/kubernetes 30d"}
 */
public final class ListExpiring {
  private ListExpiring() {}

  public static void main(String[] args) {
    System.exit(run(args, System.out));
  }

  /** The command line: {@code [DIR [DURATION]]}; the exit code is how many are due. */
  static int run(String[] args, PrintStream out) {
    Path root = Path.of(args.length > 0 ? args[0] : "/etc/kubernetes");
    Duration within = Durations.parse(args.length > 1 ? args[1] : "30d");
    return list(root, within, Clock.systemUTC(), out);
  }

  /** Prints one line per certificate due within {@code within}; returns how many there were. */
  static int list(Path root, Duration within, Clock clock, PrintStream out) {
    ExpiryReport report =
        ExpiryReport.of(PkiInventory.scan(PkiLayout.under(root), InventoryOptions.DEFAULT), clock);
    for (Problem p : report.problems()) {
      out.println(p.severity() + ": " + p.message());
    }
    int due = 0;
    for (ExpiryEntry e : report.expiringWithin(within)) {
      out.printf("%-26s %s (%s)%n", e.name(), e.expirationDate(),
          e.residualSeconds() < 0 ? "expired" : Durations.format(Duration.ofSeconds(e.residualSeconds())) + " left");
      due++;
    }
    return due;
  }
}
