package dev.kcert.cli;

import dev.kcert.cli.output.ExpirationText;
import dev.kcert.core.model.Catalogue;
import dev.kcert.core.model.CatalogueEntry;
import dev.kcert.core.renewal.FileOps;
import dev.kcert.core.renewal.ImportPlanner;
import dev.kcert.core.renewal.Installer;
import dev.kcert.core.renewal.RenewalPlanner;
import dev.kcert.core.renewal.RunLock;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code kcert certs import}. */
@Command(
    name = "import",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Installs the certificates an external CA signed for 'kcert certs renew --csr-only'.",
      "",
      "Reads DIR/<name>.crt for every certificate kcert renews and kubelet.conf (or for the NAMEs"
          + " given). Each must be signed by the CA certificate on disk, match its private key"
          + " (DIR/<name>.key, or the installed key when the request was made with --reuse-key or"
          + " by generate-csr), carry the subject and SANs of its request (DIR/<name>.csr, or the"
          + " one generate-csr wrote), have the extended key usages the component needs and be"
          + " valid now (neither expired nor valid only from a later date). One refused"
          + " certificate refuses the whole import, naming the reason. What is installed is what"
          + " was parsed: the certificates in canonical PEM and the key re-encoded; a certificate"
          + " that outlives its CA gets a warning.",
      "",
      "Installation takes the same path as renew: backup to"
          + " <kubeconfig-dir>/tmp/kcert-backup-<UTC time>/, crash-safe writes, read-back checks,"
          + " restore on failure. Kubeconfig files get the certificate and key embedded and the"
          + " cluster CA refreshed from ca.crt."
    },
    footer = {
      "%nExamples:",
      "  kcert certs import --csr-dir /root/kcert-csr",
      "  kcert certs import --csr-dir /root/kcert-csr apiserver admin.conf",
      ExitCodes.IMPORT_HELP
    })
public final class ImportCommand implements Callable<Integer> {
  @Parameters(
      paramLabel = "NAME",
      arity = "0..*",
      description = "Import only these (default: every <name>.crt found in --csr-dir).")
  List<String> names = new ArrayList<>();

  @Mixin PkiDirs dirs;

  @Option(
      names = "--csr-dir",
      paramLabel = "DIR",
      required = true,
      description = "The folder holding <name>.crt, <name>.csr and <name>.key.")
  Path csrDir;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    Clock clock = ((Kcert) spec.root().userObject()).clock();
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    boolean named = !names.isEmpty() && !names.equals(List.of(RenewalPlanner.ALL));
    List<CatalogueEntry> entries = new ArrayList<>();
    if (named) {
      for (String n : names) {
        entries.addAll(
            Catalogue.KUBELET_CONF.equals(n)
                ? List.of(Catalogue.KUBELET_KUBECONFIG)
                : RenewalPlanner.select(n));
      }
    } else {
      entries.addAll(RenewalPlanner.select(RenewalPlanner.ALL));
      entries.add(Catalogue.KUBELET_KUBECONFIG);
    }
    Installer installer = new Installer(FileOps.system());
    List<ImportPlanner.Item> items = null;
    if (installer.interrupted(dirs.layout()).isEmpty()) {
      items = plan(entries, named, clock);
      if (items.isEmpty()) {
        return nothingToImport(items, out, err);
      }
    }
    // something will be written (or a run that stopped half-way undone): only now the lock, and
    // with it <kubeconfig-dir>/tmp
    RunLock lock = RunLock.acquire(RenewOutput.backupParent(dirs.kubeconfigDir()));
    try {
      if (RenewOutput.recover(installer, dirs.layout(), err) > 0 || items == null) {
        items = plan(entries, named, clock); // the files have changed since
      }
      if (items.isEmpty()) {
        return nothingToImport(items, out, err);
      }
      return install(installer, items, out, err);
    } finally {
      lock.close();
    }
  }

  private List<ImportPlanner.Item> plan(List<CatalogueEntry> entries, boolean named, Clock clock) {
    return ImportPlanner.plan(dirs.layout(), entries, dirs.onHost(csrDir), named, clock);
  }

  private static void warn(List<ImportPlanner.Item> items, PrintWriter err) {
    java.util.Set<String> warned = new java.util.LinkedHashSet<>();
    items.forEach(i -> warned.addAll(i.warnings()));
    for (String w : warned) {
      err.println("warning: " + w);
    }
    err.flush();
  }

  private int nothingToImport(List<ImportPlanner.Item> items, PrintWriter out, PrintWriter err) {
    warn(items, err);
    out.println("Nothing to import: " + csrDir + " holds no <name>.crt; nothing was written.");
    out.flush();
    return ExitCodes.NOTHING_TO_DO;
  }

  private int install(
      Installer installer, List<ImportPlanner.Item> items, PrintWriter out, PrintWriter err) {
    warn(items, err);
    Installer.Result result =
        installer.install(
            dirs.layout(),
            ((Kcert) spec.root().userObject()).clock().instant(),
            items.stream().map(ImportPlanner.Item::change).toList());
    out.println("Backed up the files that were replaced to " + result.backupDir());
    for (ImportPlanner.Item i : items) {
      out.println(
          i.entry().longName()
              + " imported into "
              + i.target()
              + " (expires "
              + ExpirationText.DATE.format(i.notAfter())
              + ")");
    }
    out.println();
    RenewOutput.restartHint(items.stream().map(ImportPlanner.Item::entry).toList(), out);
    out.flush();
    return ExitCodes.OK;
  }
}
