package dev.kcert.cli;

import dev.kcert.cli.output.ExpirationText;
import dev.kcert.cli.output.TabWriter;
import dev.kcert.core.expiry.Durations;
import dev.kcert.core.config.ClusterConfig;
import dev.kcert.core.keys.KeyAlgorithm;
import dev.kcert.core.model.Catalogue;
import dev.kcert.core.model.CatalogueEntry;
import dev.kcert.core.pki.PkiLayout;
import dev.kcert.core.renewal.CsrPlanner;
import dev.kcert.core.renewal.FileOps;
import dev.kcert.core.renewal.Installer;
import dev.kcert.core.renewal.RenewalPlanner;
import dev.kcert.core.renewal.RenewalPlanner.Item;
import dev.kcert.core.renewal.RenewalPlanner.Status;
import dev.kcert.core.renewal.Renewer;
import dev.kcert.core.renewal.RunLock;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code kcert certs renew}. */
@Command(
    name = "renew",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Renews certificates of a kubeadm cluster against the CA on disk.",
      "",
      "NAME is a leaf (apiserver, apiserver-kubelet-client, front-proxy-client, etcd-server,"
          + " etcd-peer, etcd-healthcheck-client, apiserver-etcd-client), a kubeconfig file"
          + " (admin.conf, super-admin.conf, controller-manager.conf, scheduler.conf) or all.",
      "",
      "As kubeadm does, the existing certificate is the source of truth: its subject, SANs and"
          + " extended key usages are kept, it gets a new serial and a new key, and is valid from"
          + " five minutes ago for --validity. Unlike kubeadm, kcert first copies every file it"
          + " replaces to <kubeconfig-dir>/tmp/kcert-backup-<UTC time>/, writes each file"
          + " to a temporary file that it flushes and renames into place, reads the result back"
          + " and checks it, and restores the backup when anything fails. A run that was killed"
          + " half-way is undone by the next renew or import.",
      "",
      "With --csr-only, nothing in the PKI folder changes: a key and a certificate request per"
          + " certificate are written to --csr-dir for an external CA; bring the signed"
          + " certificates back with 'kcert certs import'.",
      "",
      "kubeadm's configuration is read from --config, else from the \"kubeadm-config\" ConfigMap"
          + " through --kubeconfig (default /etc/kubernetes/admin.conf, when it exists; an API"
          + " server that does not answer within --api-timeout is named in one line and the files"
          + " are used). Flags win over it. It gives certificatesDir, certificateValidityPeriod,"
          + " encryptionAlgorithm and etcd.external. With external etcd (configured, or no etcd/"
          + " folder and no manifests/etcd.yaml), 'all' leaves etcd's certificates and"
          + " apiserver-etcd-client to etcd's owner."
    },
    footer = {
      "%nExamples:",
      "  kcert certs renew all",
      "  kcert certs renew all --dry-run",
      "  kcert certs renew all --renew-within 30d   (timers: exit 5 if nothing is due)",
      "  kcert certs renew apiserver --key-algorithm ECDSA-P256",
      "  kcert certs renew all --csr-only --csr-dir /root/kcert-csr",
      "  kcert certs renew all --restart   (then restart the changed static pods)",
      "  kcert certs renew all --config kubeadm.yaml",
      "  kcert certs renew all --kubeconfig /etc/kubernetes/admin.conf --api-timeout 2s",
      ExitCodes.RENEW_HELP
    })
public final class RenewCommand implements Callable<Integer> {

  @Parameters(index = "0", paramLabel = "NAME", description = "What to renew: a name, or all.")
  String name;

  @Mixin PkiDirs dirs;

  @Mixin ConfigOptions configOptions;

  @Option(
      names = "--validity",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description =
          "How long renewed certificates are valid (default: certificateValidityPeriod of the"
              + " kubeadm configuration, else 8760h, one year).")
  Duration validity;

  @Option(
      names = "--key-algorithm",
      paramLabel = "ALG",
      converter = KeyAlgorithmConverter.class,
      description =
          "Type of the new keys: RSA-2048, RSA-3072, RSA-4096, ECDSA-P256 or ECDSA-P384"
              + " (default: encryptionAlgorithm of the kubeadm configuration, else the type and"
              + " size of each old key).")
  KeyAlgorithm keyAlgorithm;

  @Option(names = "--reuse-key", description = "Keep the existing private keys.")
  boolean reuseKey;

  @Option(
      names = "--renew-within",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description =
          "Renew only certificates that have expired or expire within DURATION (30d, 720h, 2w);"
              + " the others are left alone, so nothing needs a restart needlessly.")
  Duration renewWithin;

  @Mixin RestartOptions restart;

  @Option(
      names = "--dry-run",
      description = "Show what would be renewed, with old and new expiry; change nothing.")
  boolean dryRun;

  @Option(
      names = "--csr-only",
      description =
          "Write keys and certificate requests to --csr-dir instead of renewing (for an external"
              + " CA).")
  boolean csrOnly;

  @Option(
      names = "--csr-dir",
      paramLabel = "DIR",
      description = "Where --csr-only writes <name>.key and <name>.csr.")
  Path csrDir;

  @Spec CommandSpec spec;

  /** The kubeadm configuration, once read; none when there is none. */
  private ClusterConfig config = ClusterConfig.none();

  @Override
  public Integer call() {
    Clock clock = ((Kcert) spec.root().userObject()).clock();
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    checkUsage();
    try {
      RenewalPlanner.select(name); // an unknown name or a CA is a usage error
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    config = configOptions.resolve(dirs, true, err);
    boolean externalEtcd = ConfigOptions.externalEtcd(config, dirs.layout(config));
    // kubeadm's order: sorted by name
    List<CatalogueEntry> entries =
        RenewalPlanner.select(name, externalEtcd).stream()
            .sorted(Comparator.comparing(CatalogueEntry::name))
            .toList();
    if (externalEtcd && RenewalPlanner.ALL.equals(name)) {
      out.println(
          "etcd is external"
              + (config.externalEtcd() ? " (etcd.external in the configuration)" : " (no "
                  + dirs.layout(config).certDir().resolve("etcd") + " and no local etcd manifest)")
              + ": "
              + Catalogue.renewable().stream()
                  .filter(Catalogue::isEtcd)
                  .map(CatalogueEntry::name)
                  .collect(Collectors.joining(", "))
              + " are left to etcd's owner");
    }
    if (csrOnly) {
      return csrOnly(entries, out);
    }
    if (dryRun) {
      return dryRun(entries, clock, out, err);
    }
    return renew(entries, clock, out, err);
  }

  private int dryRun(List<CatalogueEntry> entries, Clock clock, PrintWriter out, PrintWriter err) {
    Installer installer = new Installer(FileOps.system());
    for (Path dir : installer.interrupted(dirs.layout(config))) {
      err.println(
          "warning: an earlier run stopped half-way; the next renew or import restores the"
              + " files it had replaced from "
              + dir);
    }
    RenewalPlanner.Plan plan = plan(entries, clock, err);
    out.print(table(plan));
    out.println();
    if (restart.restart && !plan.renewals().isEmpty()) {
      List<CatalogueEntry> renewed = plan.renewals().stream().map(Item::entry).toList();
      String refusal = restart.refusal(dirs.layout(config), renewed);
      if (refusal != null) {
        out.flush();
        err.println(refusal);
        err.flush();
        return ExitCodes.ERROR;
      }
      restart.dryRun(renewed, out);
    }
    out.println(
        plan.renewals().isEmpty()
            ? "Nothing to renew. Dry run: nothing was written."
            : "Dry run: nothing was written.");
    out.flush();
    return plan.renewals().isEmpty() ? ExitCodes.NOTHING_TO_DO : ExitCodes.OK;
  }

  private RenewalPlanner.Plan plan(List<CatalogueEntry> entries, Clock clock, PrintWriter err) {
    RenewalPlanner.Plan plan =
        RenewalPlanner.plan(
            dirs.layout(config),
            entries,
            new RenewalPlanner.Options(
                validity != null
                    ? validity
                    : config.certificateValidityPeriod() != null
                        ? config.certificateValidityPeriod()
                        : Renewer.DEFAULT_VALIDITY,
                newKeyAlgorithm(),
                reuseKey,
                renewWithin,
                dryRun,
                clock));
    for (String w : plan.warnings()) {
      err.println("warning: " + w);
    }
    err.flush();
    return plan;
  }

  /**
   * Plans first and takes the lock (creating {@code <kubeconfig-dir>/tmp}) only when there is
   * something to write: a run that renews nothing leaves the disk as it was. A run that stopped
   * half-way is something to write: it is undone under the lock before planning.
   */
  private int renew(List<CatalogueEntry> entries, Clock clock, PrintWriter out, PrintWriter err) {
    Installer installer = new Installer(FileOps.system());
    PkiLayout layout = dirs.layout(config);
    RenewalPlanner.Plan plan = null;
    if (installer.interrupted(layout).isEmpty()) {
      plan = plan(entries, clock, err);
      if (plan.renewals().isEmpty()) {
        return nothingToRenew(plan, out);
      }
      if (refused(layout, plan, err)) {
        return ExitCodes.ERROR;
      }
    }
    RunLock lock = RunLock.acquire(Installer.backupParent(layout));
    try {
      if (RenewOutput.recover(installer, layout, err) > 0 || plan == null) {
        plan = plan(entries, clock, err); // the files have changed since
        if (plan.renewals().isEmpty()) {
          return nothingToRenew(plan, out);
        }
        if (refused(layout, plan, err)) {
          return ExitCodes.ERROR;
        }
      }
      Installer.Result result = installer.install(layout, clock.instant(), plan.changes());
      out.println("Backed up the files that were replaced to " + result.backupDir());
      for (Item i : plan.items()) {
        out.println(line(i));
      }
      List<CatalogueEntry> renewed = plan.renewals().stream().map(Item::entry).toList();
      out.println();
      if (restart.restart) {
        out.println("Done renewing certificates.");
        out.flush();
        return restart.run(
            layout, renewed, result.backupDir(),
            () -> installer.rollBack(layout, result.backupDir()),
            clock, out, err);
      }
      out.println("Done renewing certificates." + RenewOutput.restartAdvice(renewed));
      out.flush();
      return ExitCodes.OK;
    } finally {
      lock.close();
    }
  }

  /** --restart without the static pods' manifests: refused before anything is written. */
  private boolean refused(PkiLayout layout, RenewalPlanner.Plan plan, PrintWriter err) {
    String refusal = restart.refusal(layout, plan.renewals().stream().map(Item::entry).toList());
    if (refusal != null) {
      err.println(refusal);
      err.flush();
    }
    return refusal != null;
  }

  /**
   * Nothing was written. As kubeadm, a PKI whose CAs are all external is not a failure: its lines
   * say why nothing was renewed and the exit code is 0; otherwise (missing, not due) 5.
   */
  private int nothingToRenew(RenewalPlanner.Plan plan, PrintWriter out) {
    for (Item i : plan.items()) {
      out.println(line(i));
    }
    boolean external = plan.items().stream().anyMatch(i -> i.status() == Status.EXTERNAL_CA);
    boolean allExternal =
        external
            && plan.items().stream()
                .allMatch(i -> i.status() == Status.EXTERNAL_CA || i.status() == Status.MISSING);
    out.println("Nothing to renew; nothing was written.");
    out.flush();
    return allExternal ? ExitCodes.OK : ExitCodes.NOTHING_TO_DO;
  }

  /**
   * The type of new keys, by kubeadm's rule: --key-algorithm, else the configuration's
   * encryptionAlgorithm; none with --reuse-key; null keeps each old key's type.
   */
  private KeyAlgorithm newKeyAlgorithm() {
    if (keyAlgorithm != null || reuseKey) {
      return keyAlgorithm;
    }
    return config.encryptionAlgorithm();
  }

  private void checkUsage() {
    if (validity != null && (validity.isZero() || validity.isNegative())) {
      throw new ParameterException(
          spec.commandLine(), "Invalid value for option '--validity': must be longer than 0s");
    }
    if (reuseKey && keyAlgorithm != null) {
      throw new ParameterException(
          spec.commandLine(), "--reuse-key and --key-algorithm exclude each other");
    }
    restart.checkUsage(spec.commandLine(), csrOnly);
    if (csrOnly) {
      if (csrDir == null) {
        throw new ParameterException(spec.commandLine(), "--csr-only needs --csr-dir");
      }
      if (dryRun || renewWithin != null || validity != null) {
        throw new ParameterException(
            spec.commandLine(),
            "--csr-only does not take --dry-run, --renew-within or --validity (the external CA"
                + " decides the validity)");
      }
    } else if (csrDir != null) {
      throw new ParameterException(spec.commandLine(), "--csr-dir is only used with --csr-only");
    }
  }

  private int csrOnly(List<CatalogueEntry> entries, PrintWriter out) {
    PkiLayout layout = dirs.layout(config);
    Path requests = dirs.onHost(csrDir);
    CsrPlanner.Plan plan =
        CsrPlanner.plan(layout, entries, requests, newKeyAlgorithm(), reuseKey);
    for (CatalogueEntry e : plan.missing()) {
      out.println(e.name() + ": " + layout.certFile(e) + " is missing; skipped");
    }
    if (plan.files().isEmpty()) {
      out.println("Nothing to do; nothing was written.");
      out.flush();
      return ExitCodes.NOTHING_TO_DO;
    }
    CsrPlanner.write(plan);
    for (CsrPlanner.CsrFiles f : plan.files()) {
      out.println(
          f.key() != null
              ? "Wrote " + f.key() + " and " + f.csr()
              : "Wrote " + f.csr() + " (signed with the existing key)");
    }
    out.println();
    out.println(
        "The PKI folder was not changed. Have the external CA sign the requests, put each"
            + " certificate into "
            + requests
            + " as <name>.crt, then run:");
    out.println(
        "  kcert certs import --csr-dir "
            + requests
            + " --cert-dir "
            + layout.certDir()
            + " --kubeconfig-dir "
            + layout.kubeconfigDir());
    out.flush();
    return ExitCodes.OK;
  }

  /** kubeadm's line for an entry ({@code MISSING!}, {@code Detected external}, {@code renewed}). */
  private String line(Item i) {
    return switch (i.status()) {
      case RENEW -> i.entry().longName() + " renewed";
      case MISSING -> "MISSING! " + i.entry().longName();
      case EXTERNAL_CA ->
          "Detected external "
              + RenewOutput.caBaseName(i.entry().caName())
              + ", "
              + i.entry().longName()
              + " can't be renewed";
      case NOT_DUE ->
          i.entry().name()
              + ": expires "
              + ExpirationText.DATE.format(i.oldNotAfter())
              + ", not within "
              + Durations.format(renewWithin)
              + "; skipped";
    };
  }

  private String table(RenewalPlanner.Plan plan) {
    TabWriter tw = TabWriter.kubeadm();
    tw.line("CERTIFICATE\tEXPIRES\tNEW EXPIRY\tACTION");
    for (Item i : plan.items()) {
      String old = i.oldNotAfter() == null ? "-" : ExpirationText.DATE.format(i.oldNotAfter());
      String action =
          switch (i.status()) {
            case RENEW -> reuseKey ? "renew (same key)" : "renew (new " + i.keyDescription() + " key)";
            case MISSING -> "skip: missing";
            case EXTERNAL_CA -> "skip: external " + i.entry().caName();
            case NOT_DUE -> "skip: not within " + Durations.format(renewWithin);
          };
      String renewed = i.newNotAfter() == null ? "-" : ExpirationText.DATE.format(i.newNotAfter());
      tw.line(i.entry().name() + "\t" + old + "\t" + renewed + "\t" + action);
    }
    return tw.render();
  }

}
