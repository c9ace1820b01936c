package dev.kcert.examples;

import dev.kcert.core.expiry.Durations;
import dev.kcert.core.expiry.ExpiryEntry;
import dev.kcert.core.fleet.FleetScan;
import dev.kcert.core.inventory.InventoryOptions;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/**
 * Many nodes at once with {@link FleetScan}: each folder (an {@code /etc/kubernetes}-like tree, as
 * backups of several control-plane nodes hold them) is read and reported before the next one, so
 * memory stays flat however many there are. Prints what is due within the threshold, per folder.
 *
 * <p>{@code mvn -q -pl examples -am process-classes -Prun -Dexample=FleetExpiry
 * -Dexample.args="30d /backup/node-1/etc/kubernetes /backup/node-2/etc/kubernetes"}
 */
public final class FleetExpiry {
  private FleetExpiry() {}

  public static void main(String[] args) {
    System.exit(run(args, System.out));
  }

  /** The command line: {@code DURATION FOLDER...}; exit code 3 when something is due. */
  static int run(String[] args, PrintStream out) {
    if (args.length < 2) {
      out.println("usage: FleetExpiry DURATION FOLDER...");
      return 2;
    }
    List<Path> roots = Arrays.stream(args).skip(1).map(Path::of).toList();
    return run(Durations.parse(args[0]), roots, Clock.systemUTC(), out) > 0 ? 3 : 0;
  }

  /** Prints one line per certificate due within {@code within}; returns how many there were. */
  static int run(Duration within, List<Path> roots, Clock clock, PrintStream out) {
    int[] due = {0};
    long read =
        FleetScan.scan(
            roots.iterator(),
            InventoryOptions.DEFAULT,
            clock,
            node -> {
              node.report().problems().forEach(p -> out.println(node.root() + ": " + p.message()));
              for (ExpiryEntry e : node.report().expiringWithin(within)) {
                out.println(node.root() + ": " + e.name() + " expires " + e.expirationDate());
                due[0]++;
              }
            });
    out.println(read + " certificates read in " + roots.size() + " folders, " + due[0] + " due");
    return due[0];
  }
}
