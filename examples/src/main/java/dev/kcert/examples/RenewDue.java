package dev.kcert.examples;

import dev.kcert.core.expiry.Durations;
import dev.kcert.core.model.Catalogue;
import dev.kcert.core.pki.PkiLayout;
import dev.kcert.core.renewal.FileOps;
import dev.kcert.core.renewal.Installer;
import dev.kcert.core.renewal.RenewalPlanner;
import dev.kcert.core.renewal.Renewer;
import dev.kcert.core.renewal.RunLock;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;

/**
 * Renewal with the library, as {@code kcert certs renew all --renew-within} does: plan in memory
 * (new keys, new certificates, the bytes of every file), and only when something is due take the
 * lock and install it (backup, crash-safe writes, verification, roll-back on failure).
 *
 * <p>{@code mvn -q -pl examples -am process-classes -Prun -Dexample=RenewDue
 * -Dexample.args="/tmp/etc-kubernetes 30d"}
 */
public final class RenewDue {
  private RenewDue() {}

  public static void main(String[] args) {
    System.exit(run(args, System.out));
  }

  /** The command line: {@code DIR DURATION}; exit code 5 when nothing was due. */
  static int run(String[] args, PrintStream out) {
    if (args.length != 2) {
      out.println("usage: RenewDue DIR DURATION");
      return 2;
    }
    return run(Path.of(args[0]), Durations.parse(args[1]), Clock.systemUTC(), out) > 0 ? 0 : 5;
  }

  /** Renews what expires within {@code within} below {@code root}; returns how many. */
  static int run(Path root, Duration within, Clock clock, PrintStream out) {
    PkiLayout layout = PkiLayout.under(root);
    RenewalPlanner.Plan plan =
        RenewalPlanner.plan(
            layout,
            Catalogue.renewable(),
            new RenewalPlanner.Options(Renewer.DEFAULT_VALIDITY, null, false, within, false, clock));
    plan.warnings().forEach(w -> out.println("warning: " + w));
    if (plan.renewals().isEmpty()) {
      out.println("nothing due within " + Durations.format(within) + "; nothing written");
      return 0;
    }
    try (RunLock lock = RunLock.acquire(Installer.backupParent(layout))) {
      Installer.Result result =
          new Installer(FileOps.system()).install(layout, clock.instant(), plan.changes());
      plan.renewals().forEach(i -> out.println("renewed " + i.entry().name() + " until " + i.newNotAfter()));
      out.println("backup of the replaced files: " + result.backupDir());
    }
    return plan.renewals().size();
  }
}
