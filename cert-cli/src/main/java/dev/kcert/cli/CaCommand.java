package dev.kcert.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.kcert.cli.output.TabWriter;
import dev.kcert.core.keys.KeyAlgorithm;
import dev.kcert.core.kubeapi.ApiClient;
import dev.kcert.core.node.NodeEndpoints;
import dev.kcert.core.node.TlsProbe;
import dev.kcert.core.rotation.ClusterState;
import dev.kcert.core.rotation.ServedTrust;
import dev.kcert.core.rotation.ClusterTrust;
import dev.kcert.core.rotation.Workloads;
import dev.kcert.core.rotation.Interruption;
import dev.kcert.core.rotation.NewCa;
import dev.kcert.core.rotation.NodeFiles;
import dev.kcert.core.rotation.Outcome;
import dev.kcert.core.rotation.Phase;
import dev.kcert.core.rotation.PhaseRestarts;
import dev.kcert.core.rotation.Place;
import dev.kcert.core.rotation.Proof;
import dev.kcert.core.rotation.Rotation;
import dev.kcert.core.rotation.SaRotation;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code kcert ca}: rotate a CA of this node in phases. */
@Command(
    name = "ca",
    mixinStandardHelpOptions = true,
    description = {
      "Rotates a certificate authority of a kubeadm node in phases: plan, prepare, trust-both,"
          + " reissue, trust-new, finish (status and abort at any time).",
      "",
      "Each phase is one command, runs on one node, refuses to start until the previous phase"
          + " holds on disk, simulates before writing that every certificate verifies under the"
          + " trust bundles of the phase entered and the next (--dry-run prints that matrix), and"
          + " writes through the renewal code's backup, journal and crash-safe renames. The"
          + " rotation's state is kept in <cert-dir>/kcert-rotation/<ca>/. Run each phase on every"
          + " node, and restart what it names, before the next. See docs/ca-rotation.md."
    },
    footer = {
      "%nExamples:",
      "  kcert ca plan --ca ca",
      "  kcert ca prepare --ca ca",
      "  kcert ca trust-both --ca ca --dry-run",
      "  kcert ca status -o json",
      ExitCodes.CA_HELP
    })
public final class CaCommand {
  /** The command with its subcommands, as {@code kcert} adds it. */
  static CommandLine commandLine() {
    CommandLine ca = new CommandLine(new CaCommand());
    ca.addSubcommand(new PlanCommand());
    ca.addSubcommand(new PrepareCommand());
    for (Phase p : List.of(Phase.TRUST_BOTH, Phase.REISSUED, Phase.TRUST_NEW, Phase.FINISHED)) {
      CommandLine.Model.CommandSpec spec = CommandLine.Model.CommandSpec.forAnnotatedObject(new PhaseCommand(p));
      spec.name(p.command());
      spec.usageMessage().description(
          "Enters phase " + p.command() + ": " + p.changes() + ".",
          "",
          "Restarts needed afterwards: " + p.restarts() + ".");
      ca.addSubcommand(p.command(), new CommandLine(spec));
    }
    ca.addSubcommand(new StatusCommand());
    ca.addSubcommand(new WorkloadsCommand());
    ca.addSubcommand(new AbortCommand());
    return ca;
  }

  /** The options every {@code kcert ca} command shares. */
  static final class Target {
    @Option(
        names = "--ca",
        paramLabel = "NAME",
        defaultValue = "ca",
        description = "The CA to rotate: ca, front-proxy-ca or etcd-ca; or sa, the service-account"
            + " key pair (default: ${DEFAULT-VALUE}).")
    String ca;

    @Mixin PkiDirs dirs;

    @Option(
        names = "--manifest-dir",
        paramLabel = "DIR",
        defaultValue = NodeFiles.MANIFEST_DIR,
        description = "The static pod manifests (default: ${DEFAULT-VALUE}).")
    Path manifestDir;

    @Mixin KubeletConfigOption kubelet;

    Rotation rotation(Clock clock) {
      if (!Rotation.CAS.contains(ca)) {
        throw new IllegalArgumentException("unknown CA \"" + ca + "\"; one of "
            + String.join(", ", Rotation.CAS) + ", " + SaRotation.NAME);
      }
      return Rotation.of(node(), ca, clock);
    }

    /** Whether {@code --ca sa}: the service-account key pair, not a CA. */
    boolean sa() {
      return SaRotation.NAME.equals(ca);
    }

    SaRotation saRotation(Clock clock) {
      return SaRotation.of(node(), clock);
    }

    NodeFiles node() {
      return new NodeFiles(dirs.layout(), manifestDir, kubelet.file);
    }
  }

  enum Format {
    text,
    json
  }

  /** The {@code -o} option of every subcommand that reports. */
  static final class Output {
    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "text",
        description = "text or json (default: ${DEFAULT-VALUE}).")
    Format format;
  }

  static Clock clock(CommandSpec spec) {
    return ((Kcert) spec.root().userObject()).clock();
  }

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  static void printJson(PrintWriter out, String kind, Map<String, Object> body) {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("apiVersion", "kcert.dev/v1alpha1");
    doc.put("kind", kind);
    doc.putAll(body);
    try {
      out.println(JSON.writeValueAsString(doc));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    out.flush();
  }

  static List<Map<String, Object>> placesJson(List<Place> places) {
    List<Map<String, Object>> rows = new ArrayList<>();
    for (Place p : places) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("kind", p.kind());
      m.put("name", p.name());
      m.put("file", p.file().toString());
      m.put("trust", p.trust().text());
      m.put("detail", p.detail());
      rows.add(m);
    }
    return rows;
  }

  static String placesTable(List<Place> places) {
    TabWriter t = TabWriter.kubeadm().line("KIND\tPLACE\tHOLDS\tDETAIL\tFILE");
    for (Place p : places) {
      t.line(p.kind() + "\t" + p.name() + "\t" + p.trust().text() + "\t"
          + (p.detail().isEmpty() ? "-" : p.detail()) + "\t" + p.file());
    }
    return t.render();
  }

  static String clusterTable(List<ClusterTrust.Entry> entries) {
    TabWriter t = TabWriter.kubeadm().line("KIND\tPLACE\tHOLDS\tDETAIL");
    for (ClusterTrust.Entry e : entries) {
      t.line(e.kind() + "\t" + e.where() + "\t" + e.trust().text() + "\t"
          + (e.detail().isEmpty() ? "-" : e.detail()));
    }
    return t.render();
  }

  static Map<String, Object> clusterJson(ApiClient api, String unreachable,
      List<ClusterTrust.Entry> entries, Phase phase) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("server", api.server());
    m.put("reachable", unreachable == null);
    if (unreachable != null) {
      m.put("reason", unreachable);
      return m;
    }
    List<Map<String, Object>> rows = new ArrayList<>();
    for (ClusterTrust.Entry e : entries) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("kind", e.kind());
      row.put("namespace", e.namespace());
      row.put("name", e.name());
      row.put("trust", e.trust().text());
      row.put("detail", e.detail());
      rows.add(row);
    }
    m.put("places", rows);
    m.put("behind", ClusterTrust.behind(entries, phase));
    m.put("namespacesBehind", ClusterTrust.namespacesBehind(entries, phase));
    return m;
  }

  static String proofTable(Proof proof) {
    String entered = proof.entered() == Phase.NONE ? "abort" : proof.entered().command();
    String next = proof.next() == Phase.NONE ? "abort" : proof.next().command();
    TabWriter t = TabWriter.kubeadm().line("CERTIFICATE\tSIGNED BY\t" + entered.toUpperCase()
        + (next.equals(entered) ? "" : "\t" + next.toUpperCase()));
    for (Proof.Row r : proof.rows()) {
      t.line(r.name() + "\t" + r.signedBy() + "\t" + (r.inEntered() ? "ok" : "FAIL")
          + (next.equals(entered) ? "" : "\t" + (r.inNext() ? "ok" : "FAIL")));
    }
    return t.render();
  }

  static Map<String, Object> proofJson(Proof proof) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("entered", proof.entered().command());
    m.put("next", proof.next().command());
    m.put("ok", proof.ok());
    List<Map<String, Object>> rows = new ArrayList<>();
    for (Proof.Row r : proof.rows()) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("name", r.name());
      row.put("signedBy", r.signedBy());
      row.put("inEntered", r.inEntered());
      row.put("inNext", r.inNext());
      rows.add(row);
    }
    m.put("rows", rows);
    return m;
  }

  /** Prints what a phase did; the exit code. */
  static int report(PrintWriter out, Format format, Outcome o) {
    return report(out, format, o, CaCluster.Report.none());
  }

  /** Prints what a phase did on the node and on the cluster side; the exit code. */
  static int report(PrintWriter out, Format format, Outcome o, CaCluster.Report cluster) {
    return report(out, format, o, cluster, null);
  }

  /**
   * As {@link #report(PrintWriter, Format, Outcome, CaCluster.Report)}; in JSON with the restarts
   * and served proof of {@code --restart} ({@code null}: not asked, or nothing to restart).
   */
  static int report(PrintWriter out, Format format, Outcome o, CaCluster.Report cluster,
      PhaseRestarts.Result restarts) {
    if (format == Format.json) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("ca", o.caName());
      m.put("phase", o.phase().command());
      m.put("alreadyDone", o.alreadyDone());
      m.put("dryRun", o.dryRun());
      if (o.proof() != null) {
        m.put("proof", proofJson(o.proof()));
      }
      m.put("backupDir", o.backupDir() == null ? null : o.backupDir().toString());
      m.put("written", o.written().stream().map(Path::toString).toList());
      if (o.discoveryHash() != null) {
        m.put("discoveryTokenCaCertHash", o.discoveryHash());
      }
      m.put("notes", o.notes());
      if (cluster.json() != null) {
        m.put("cluster", cluster.json());
      }
      if (restarts != null) {
        m.put("restarts", CaRestart.json(restarts));
      }
      printJson(out, "CaRotationPhase", m);
    } else {
      String name = o.phase() != Phase.NONE ? o.phase().command()
          : o.proof() != null ? "abort" : "prepare --request";
      if (o.proof() != null && (o.dryRun() || !o.proof().ok())) {
        out.print(proofTable(o.proof()));
        out.println();
      }
      if (o.dryRun()) {
        out.println(o.caName() + ": " + name + (o.proof() == null || o.proof().ok()
            ? " would succeed; nothing was written" : " would be refused; nothing was written"));
      } else if (o.alreadyDone()) {
        out.println(o.caName() + ": " + name + " is done already; nothing was written");
      } else {
        out.println(o.caName() + ": " + name + " done: " + o.written().size()
            + (o.written().size() == 1 ? " file written" : " files written")
            + (o.backupDir() == null ? "" : ", the replaced ones backed up in " + o.backupDir()));
      }
      if (o.discoveryHash() != null) {
        out.println("join commands now need --discovery-token-ca-cert-hash " + o.discoveryHash());
      }
      o.notes().forEach(n -> out.println(n));
      cluster.lines().forEach(n -> out.println(n));
    }
    out.flush();
    return o.dryRun() && o.proof() != null && !o.proof().ok() ? ExitCodes.ERROR : ExitCodes.OK;
  }

  /** {@code kcert ca plan}. */
  @Command(
      name = "plan",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      description = {
        "Lists every place on this node that trusts the CA or is signed by it: the CA file, the"
            + " static pod flags that name a CA file, the kubelet's clientCAFile, the kubeconfigs'"
            + " certificate-authority-data and client certificates, and the leaves; each marked"
            + " old-only, both or new-only (missing and invalid places are rows too). Then the"
            + " ordered phases, with what each changes and restarts. Writes nothing."
      },
      footer = {"%nExamples:", "  kcert ca plan", "  kcert ca plan --ca etcd-ca -o json", ExitCodes.CA_HELP})
  static final class PlanCommand implements Callable<Integer> {
    @Mixin Target target;

    @Mixin CaCluster cluster;

    @Mixin Output output;

    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      if (target.sa()) {
        return CaSa.plan(target.saRotation(clock(spec)), cluster.client(target.dirs), output.format,
            spec.commandLine().getOut(), spec.commandLine().getErr());
      }
      Rotation r = target.rotation(clock(spec));
      PrintWriter out = spec.commandLine().getOut();
      List<Place> places = r.inventory();
      Phase at = r.phase();
      ApiClient api = cluster.client(target.dirs);
      List<ClusterTrust.Entry> clusterPlaces = null;
      String unreachable = null;
      if (api != null) {
        try {
          clusterPlaces = ClusterTrust.inventory(api, r.caName(), ClusterTrust.cas(r));
        } catch (ApiClient.Unreachable e) {
          unreachable = e.getMessage();
          CaCluster.warnUnreachable(spec.commandLine().getErr(), api, e,
              "the cluster places are not listed");
        }
      }
      if (output.format == Format.json) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("ca", r.caName());
        m.put("phase", at.command());
        m.put("places", placesJson(places));
        if (api != null) {
          m.put("cluster", clusterJson(api, unreachable, clusterPlaces, at));
        }
        List<Map<String, Object>> phases = new ArrayList<>();
        for (Phase p : Phase.steps()) {
          Map<String, Object> pm = new LinkedHashMap<>();
          pm.put("phase", p.command());
          pm.put("done", p.ordinal() <= at.ordinal());
          pm.put("changes", p.changes());
          pm.put("restarts", p.restarts());
          phases.add(pm);
        }
        m.put("phases", phases);
        printJson(out, "CaRotationPlan", m);
        return ExitCodes.OK;
      }
      out.print(placesTable(places));
      out.println();
      if (clusterPlaces != null) {
        out.println("Cluster places (" + api.server() + "):");
        out.print(clusterTable(clusterPlaces));
        out.println();
      }
      out.println("Phases of the rotation of " + r.caName() + " (now: " + at.command() + "):");
      int i = 1;
      for (Phase p : Phase.steps()) {
        out.println((p.ordinal() <= at.ordinal() ? "  [done] " : "  [    ] ") + i++ + ". "
            + p.command() + ": " + p.changes());
        out.println("           restarts: " + p.restarts());
      }
      out.flush();
      return ExitCodes.OK;
    }
  }

  /** {@code kcert ca prepare}. */
  @Command(
      name = "prepare",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      description = {
        "Makes the new CA (or imports one) into <cert-dir>/kcert-rotation/<ca>/, with a copy of"
            + " the old CA and its key for abort. Nothing the cluster reads changes.",
        "",
        "By default the new CA is self-signed, with the old one's subject. --import-cert and"
            + " --import-key take a CA made elsewhere. For an intermediate under an external root:"
            + " --request writes a key and new.csr; have the root sign it as a CA, then"
            + " --complete <signed.crt>. Run prepare on one node and copy the rotation folder's"
            + " new.crt and new.key to the other control-plane nodes' --import-cert/--import-key."
      },
      footer = {
        "%nExamples:",
        "  kcert ca prepare --ca ca",
        "  kcert ca prepare --ca etcd-ca --key-algorithm ECDSA-P256 --validity 43800h",
        "  kcert ca prepare --ca ca --cross-sign",
        "  kcert ca prepare --import-cert new-ca.crt --import-key new-ca.key",
        "  kcert ca prepare --request   (then: kcert ca prepare --complete signed.crt)",
        "  kcert ca prepare --new-ca-cert new.crt   (a worker node: no ca.key)",
        "  kcert ca prepare --new-ca-hash sha256:<hex>   (a worker node, from cluster-info)",
        ExitCodes.CA_HELP
      })
  static final class PrepareCommand implements Callable<Integer> {
    @Mixin Target target;

    @ArgGroup(exclusive = true)
    Source source;

    static final class Source {
      @ArgGroup(exclusive = false)
      Imported imported;

      @Option(names = "--request", description = "Write a key and a CSR for an external root.")
      boolean request;

      @Option(names = "--complete", paramLabel = "FILE",
          description = "The certificate the external root signed for the --request key.")
      Path complete;
    }

    static final class Imported {
      @Option(names = "--import-cert", paramLabel = "FILE",
          description = "The new CA's certificate (its chain may follow it).")
      Path cert;

      @Option(names = "--import-key", paramLabel = "FILE",
          description = "The new CA's private key (with --ca sa: the new service-account key).")
      Path key;

      @Option(names = "--import-pub", paramLabel = "FILE",
          description = "With --ca sa: the new service-account public key (new.pub of the node"
              + " that made the pair).")
      Path pub;
    }

    @Option(names = "--key-algorithm", paramLabel = "ALG", converter = KeyAlgorithmConverter.class,
        defaultValue = "RSA-2048",
        description = "Type of the new CA key: RSA-2048, RSA-3072, RSA-4096, ECDSA-P256 or"
            + " ECDSA-P384 (default: ${DEFAULT-VALUE}, as kubeadm).")
    KeyAlgorithm keyAlgorithm;

    @Option(names = "--validity", paramLabel = "DURATION", converter = DurationConverter.class,
        description = "How long a new self-signed CA is valid (default: 87600h, ten years).")
    Duration validity = Duration.ofDays(3650);

    @Option(names = "--cross-sign",
        description = "Also cross-sign the new CA with the old one (cross.crt in the rotation"
            + " folder); reissue then hands out every re-signed certificate with it as its chain,"
            + " so that peers still trusting only the old CA accept them.")
    boolean crossSign;

    @Option(names = "--dry-run", description = "Check the inputs; write nothing.")
    boolean dryRun;

    @Mixin CaWorker.NewCaSource workerSource;

    @Mixin CaCluster cluster;

    @Mixin Output output;

    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      Imported imp = source == null ? null : source.imported;
      if (target.sa()) {
        if (crossSign || workerSource.given()
            || (source != null && (source.request || source.complete != null))
            || (imp != null && imp.cert != null)
            || spec.commandLine().getParseResult().hasMatchedOption("--validity")) {
          throw new IllegalArgumentException("--ca sa has no certificate: prepare takes"
              + " --key-algorithm, or --import-key with --import-pub");
        }
        KeyAlgorithm alg = spec.commandLine().getParseResult().hasMatchedOption("--key-algorithm")
            ? keyAlgorithm : null;
        return CaSa.prepare(target.saRotation(clock(spec)), alg, imp == null ? null : imp.key,
            imp == null ? null : imp.pub, dryRun, output.format, spec.commandLine().getOut());
      }
      if (CaWorker.applies(target)) {
        if (source != null || crossSign) {
          throw new CommandLine.ParameterException(spec.commandLine(), "this is a worker node (no"
              + " ca.key): --import-cert, --request, --complete and --cross-sign are for"
              + " control-plane nodes;"
              + " give --new-ca-cert or --new-ca-hash");
        }
        return CaWorker.prepare(spec.commandLine(), target, workerSource, cluster, dryRun,
            output.format, clock(spec));
      }
      if (workerSource.given()) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--new-ca-cert and"
            + " --new-ca-hash are for worker nodes (no ca.key); this node has "
            + target.dirs.layout().keyFile(dev.kcert.core.model.Catalogue.ca(dev.kcert.core.model.Catalogue.CA)));
      }
      if (imp != null && (imp.cert == null || imp.key == null || imp.pub != null)) {
        throw new IllegalArgumentException("a CA is imported with --import-cert and --import-key"
            + " together (--import-pub is for --ca sa)");
      }
      NewCa how;
      if (source == null) {
        how = new NewCa.Generate(keyAlgorithm, validity);
      } else if (source.imported != null) {
        how = new NewCa.Import(source.imported.cert, source.imported.key);
      } else if (source.request) {
        how = new NewCa.Request(keyAlgorithm);
      } else {
        how = new NewCa.Complete(source.complete);
      }
      Rotation r = target.rotation(clock(spec));
      if (r.state().isEmpty()) {
        PhaseRestarts.requireProven(r, Phase.PREPARED); // an abort whose restarts failed
      }
      return report(spec.commandLine().getOut(), output.format, r.prepare(how, crossSign, dryRun));
    }
  }

  /** {@code kcert ca trust-both}, {@code reissue}, {@code trust-new}, {@code finish}. */
  @Command(mixinStandardHelpOptions = true, sortOptions = false,
      footer = {"%nExamples:", "  kcert ca <phase> --ca ca --dry-run", "  kcert ca <phase> --ca ca", ExitCodes.CA_HELP})
  static final class PhaseCommand implements Callable<Integer> {
    private final Phase phase;

    PhaseCommand(Phase phase) {
      this.phase = phase;
    }

    @Mixin Target target;

    @Option(names = "--dry-run",
        description = "Print the proof matrix (every certificate against this phase's and the"
            + " next phase's trust bundle); write nothing.")
    boolean dryRun;

    @Option(names = "--force",
        description = "trust-new only: go on although pods that started before the trust change"
            + " still run (with --ca sa: although the token refresh wait since reissue has not"
            + " passed or legacy token Secrets signed by the old key remain).")
    boolean force;

    @Mixin CaCluster cluster;

    @Mixin CaLease lease;

    @Mixin CaRestart restart;

    @Mixin CaWorker.CsrWait csrWait;

    @Mixin Output output;

    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      restart.check(spec.commandLine(), target.node());
      if (target.sa()) {
        CaSa.refuseRestart(restart.restart);
        SaRotation sa = target.saRotation(clock(spec));
        ApiClient api = cluster.client(target.dirs);
        PrintWriter err = spec.commandLine().getErr();
        return lease.around(api, "sa " + phase.command(), dryRun, clock(spec), err, note ->
            CaSa.phase(sa, phase, api, dryRun, force, output.format, spec.commandLine().getOut(), err));
      }
      Rotation r = target.rotation(clock(spec));
      if (r.phase() != phase) {
        PhaseRestarts.requireProven(r, phase);
      }
      if (CaWorker.applies(target)) {
        return CaWorker.phase(spec.commandLine(), phase, target, dryRun, cluster, csrWait, restart,
            output.format, clock(spec));
      }
      PrintWriter err = spec.commandLine().getErr();
      ApiClient api = cluster.client(target.dirs);
      return lease.around(api, r.caName() + " " + phase.command(), dryRun, clock(spec), err, note -> {
        if (phase == Phase.TRUST_NEW && !force) {
          String refusal = CaCluster.podsBeforeTrustChange(api, r, err);
          if (refusal != null) {
            err.println("error: " + refusal);
            err.flush();
            return ExitCodes.ERROR;
          }
        }
        Outcome o = r.advance(phase, dryRun, restart.commit(r, target.node()));
        CaCluster.Report c = o.proof() != null && !o.proof().ok()
            ? CaCluster.Report.none()
            : CaCluster.afterPhase(api, r, ClusterTrust.cas(r), phase, o, dryRun, clock(spec), err, note);
        return reportAndRestart(spec, output.format, restart, r, target.node(), phase, o, c, api);
      });
    }
  }

  /**
   * Reports a phase and runs its restarts: in text the phase's lines come first and the restarts'
   * progress after; in JSON the restarts run first, so that one document holds them.
   */
  static int reportAndRestart(CommandSpec spec, Format format, CaRestart restart, Rotation r,
      NodeFiles node, Phase phase, Outcome o, CaCluster.Report c, ApiClient api) {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (format == Format.text) {
      int code = report(out, format, o, c);
      return restart.after(code, r, node, phase, o, api, clock(spec), true, out, err);
    }
    int ok = o.dryRun() && o.proof() != null && !o.proof().ok() ? ExitCodes.ERROR : ExitCodes.OK;
    PhaseRestarts.Result result = restart.run(ok, r, node, phase, o, api, clock(spec), false, out);
    int code = report(out, format, o, c, result);
    return restart.report(code, result, r, phase, o, false, out, err);
  }

  /** The rows of the served proof, as {@code status --served -o json} and the restarts print them. */
  static List<Map<String, Object>> servedJson(List<ServedTrust.Row> servedRows) {
    List<Map<String, Object>> rows = new ArrayList<>();
    for (ServedTrust.Row row : servedRows) {
      Map<String, Object> x = new LinkedHashMap<>();
      x.put("component", row.endpoint().component().podName());
      x.put("address", row.endpoint().address());
      x.put("servedBy", row.servedBy());
      x.put("counts", row.counts());
      x.put("ok", row.ok());
      x.put("okNext", row.okNext());
      x.put("detail", row.detail());
      rows.add(x);
    }
    return rows;
  }

  /** {@code kcert ca status}. */
  @Command(
      name = "status",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      description = {
        "Shows where the rotation of a CA stands on this node, and whatever on disk contradicts"
            + " that phase (exit 1 then). Also exit 1, with the command to run: a killed command"
            + " left its phase half-done, or a phase run with --restart is not proven yet."
            + " Writes nothing."
      },
      footer = {"%nExamples:", "  kcert ca status", "  kcert ca status --ca etcd-ca -o json", ExitCodes.CA_HELP})
  static final class StatusCommand implements Callable<Integer> {
    @Mixin Target target;

    @Mixin CaCluster cluster;

    @Option(names = "--served",
        description = "Also fetch the certificate every TLS port of this node serves (as kcert"
            + " certs check-served does) and check it against the trust bundle of the phase and"
            + " of the next; exit 1 when a port of this CA serves one the phase's bundle rejects."
            + " Run it after the restarts a phase names.")
    boolean served;

    @Option(names = "--served-timeout", paramLabel = "DURATION", converter = DurationConverter.class,
        defaultValue = "5s", description = "How long to wait for each port (default: ${DEFAULT-VALUE}).")
    Duration servedTimeout;

    @Mixin Output output;

    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      if (target.sa()) {
        if (served) {
          throw new IllegalArgumentException("--served checks certificates; --ca sa has none");
        }
        return CaSa.status(target.saRotation(clock(spec)), cluster.client(target.dirs), clock(spec),
            output.format, spec.commandLine().getOut(), spec.commandLine().getErr());
      }
      Rotation r = target.rotation(clock(spec));
      Rotation.Status s = CaWorker.applies(target)
          ? CaWorker.rotation(target, clock(spec)).status() : r.status();
      PrintWriter out = spec.commandLine().getOut();
      String next = s.phase() == Phase.FINISHED ? "" : s.phase().next().map(Phase::command).orElse("");
      ClusterState cs = s.phase() == Phase.NONE ? ClusterState.empty() : ClusterState.read(r);
      ApiClient api = cluster.client(target.dirs);
      List<String> clusterLines = new ArrayList<>();
      Map<String, Object> clusterJson = null;
      if (cs.pending() != null) {
        clusterLines.add("cluster: the cluster side of " + cs.pending().command() + " is pending"
            + " (the API server did not answer): run kcert ca " + cs.pending().command()
            + " --ca " + s.caName() + " again");
      }
      if (api != null) {
        List<ClusterTrust.Entry> entries = null;
        String unreachable = null;
        List<Workloads.Group> before = List.of();
        boolean podsMatter = s.phase() == Phase.TRUST_BOTH || s.phase() == Phase.REISSUED;
        try {
          entries = ClusterTrust.inventory(api, s.caName(), ClusterTrust.cas(r));
          if (podsMatter && cs.trustChangedAt() != null) {
            before = Workloads.startedBefore(api, cs.trustChangedAt());
          }
        } catch (ApiClient.Unreachable e) {
          unreachable = e.getMessage();
          CaCluster.warnUnreachable(spec.commandLine().getErr(), api, e,
              "the cluster side is not checked");
        }
        clusterJson = clusterJson(api, unreachable, entries, s.phase());
        clusterJson.put("pending", cs.pending() == null ? null : cs.pending().command());
        clusterJson.put("trustChangedAt",
            cs.trustChangedAt() == null ? null : cs.trustChangedAt().toString());
        if (entries != null) {
          List<String> behind = ClusterTrust.behind(entries, s.phase());
          if (behind.isEmpty()) {
            clusterLines.add("cluster: every cluster place holds what " + s.phase().command()
                + " wants");
          } else {
            clusterLines.add("cluster: " + behind.size() + " cluster place(s) behind "
                + s.phase().command() + ":");
            behind.forEach(b -> clusterLines.add("  " + b));
            List<String> ns = ClusterTrust.namespacesBehind(entries, s.phase());
            if (!ns.isEmpty()) {
              clusterLines.add("  namespaces whose kube-root-ca.crt or token Secrets are not"
                  + " re-published yet: " + CaCluster.shortList(ns));
            }
          }
          java.util.Optional<ClusterTrust.Entry> authOld =
              ClusterTrust.extensionAuthOldOnly(entries, s.phase());
          if (authOld.isPresent()) {
            extensionAuth(api, authOld.get(), s, cs, clusterLines, clusterJson,
                spec.commandLine().getErr());
          }
          if (podsMatter && cs.trustChangedAt() != null) {
            int pods = before.stream().mapToInt(g -> g.pods().size()).sum();
            clusterLines.add("cluster: " + pods + " pod(s) started before the trust change at "
                + cs.trustChangedAt() + (pods == 0 ? "" : " (kcert ca workloads --ca "
                + s.caName() + " lists them)"));
            clusterJson.put("podsBeforeTrustChange", pods);
          }
        }
      }
      List<ServedTrust.Row> servedRows = null;
      if (served) {
        NodeEndpoints.Result ends = NodeEndpoints.read(target.dirs.layout(), target.kubelet.file);
        servedRows = ServedTrust.check(r, s.phase(), ends.endpoints(),
            TlsProbe.withTimeout(servedTimeout), clock(spec).instant());
      }
      boolean servedOk = servedRows == null || servedRows.stream().allMatch(ServedTrust.Row::ok);
      java.util.Optional<PhaseRestarts.Record> record = PhaseRestarts.recorded(r);
      boolean restartsPending = record.isPresent();
      // the record names the phase recorded (done, not proven) or another one (started, not done)
      boolean unprovenHere = record.isPresent() && record.get().phase() == s.phase();
      java.util.Optional<String> interrupted = Interruption.of(r, target.node());
      if (output.format == Format.json) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("ca", s.caName());
        m.put("phase", s.phase().command());
        m.put("proven", s.problems().isEmpty());
        if (servedRows != null) {
          m.put("served", servedJson(servedRows));
        }
        m.put("problems", s.problems());
        m.put("interrupted", interrupted.orElse(null));
        m.put("restartsPending", restartsPending
            ? record.get().pods().stream().map(c -> c.podName()).toList() : null);
        if (record.isPresent()) {
          Map<String, Object> u = new LinkedHashMap<>();
          u.put("phase", record.get().command());
          u.put("phaseDone", unprovenHere);
          u.put("pods", record.get().pods().stream().map(c -> c.podName()).toList());
          u.put("file", PhaseRestarts.file(r).toString());
          u.put("retry", "kcert ca " + record.get().command() + " --ca " + s.caName() + " --restart");
          m.put("unproven", u);
        } else {
          m.put("unproven", null);
        }
        m.put("next", next);
        m.put("places", placesJson(s.places()));
        if (clusterJson != null || cs.pending() != null) {
          if (clusterJson == null) {
            clusterJson = new LinkedHashMap<>();
            clusterJson.put("pending", cs.pending().command());
          }
          m.put("cluster", clusterJson);
        }
        printJson(out, "CaRotationStatus", m);
      } else {
        out.println(s.caName() + ": phase " + s.phase().command()
            + (s.problems().isEmpty() ? ", proven on disk" : ", NOT proven on disk:"));
        s.problems().forEach(p -> out.println("  " + p));
        interrupted.ifPresent(i -> out.println("  " + i));
        if (unprovenHere) {
          out.println("  NOT proven by its restarts and served proof yet: run kcert ca "
              + record.get().command() + " --ca " + s.caName() + " --restart again");
        } else if (restartsPending) {
          out.println("  " + record.get().command() + " was started with --restart and did not"
              + " complete (" + PhaseRestarts.file(r) + "): run kcert ca " + record.get().command()
              + " --ca " + s.caName() + " --restart again"
              + (record.get().phase() == Phase.NONE ? "" : ", or kcert ca abort --ca " + s.caName()));
        }
        if (servedRows != null) {
          String now = s.phase().command().toUpperCase();
          String after = s.phase() == Phase.NONE ? now
              : s.phase().next().orElse(s.phase()).command().toUpperCase();
          TabWriter t = TabWriter.kubeadm().line("PORT\tSERVES\t" + now + "\t" + after + "\tDETAIL");
          for (ServedTrust.Row row : servedRows) {
            String serves = switch (row.servedBy()) {
              case "old", "new" -> "signed by " + row.servedBy();
              case "unreachable" -> "unreachable";
              default -> "other CA";
            };
            t.line(row.endpoint().describe() + "\t" + serves + "\t"
                + (!row.counts() ? "-" : row.ok() ? "ok" : "FAIL") + "\t"
                + (!row.counts() ? "-" : row.okNext() ? "ok" : "FAIL") + "\t"
                + (row.detail().isEmpty() ? "-" : row.detail()));
          }
          out.print(t.render());
          out.println(servedOk ? "served: every port of this CA serves a certificate the "
              + s.phase().command() + " bundle accepts"
              : "served: NOT every port of this CA serves a certificate the "
              + s.phase().command() + " bundle accepts");
        }
        clusterLines.forEach(out::println);
        if (!next.isEmpty()) {
          out.println("next: kcert ca " + next + " --ca " + s.caName());
        }
        out.flush();
      }
      return s.problems().isEmpty() && servedOk && !restartsPending && interrupted.isEmpty()
          ? ExitCodes.OK : ExitCodes.ERROR;
    }
  }

  /**
   * The lines for {@code extension-apiserver-authentication} holding the old CA alone although
   * the phase needs the new one: kcert never writes it (every kube-apiserver publishes it from its
   * flags, merged with what it holds), so status says whether the API servers restarted since the
   * trust change and what that means.
   */
  static void extensionAuth(ApiClient api, ClusterTrust.Entry e, Rotation.Status s, ClusterState cs,
      List<String> lines, Map<String, Object> json, PrintWriter err) {
    String flag = s.caName().equals("ca") ? "--client-ca-file" : "--requestheader-client-ca-file";
    Boolean restarted = null;
    if (cs.trustChangedAt() != null) {
      try {
        restarted = ClusterTrust.apiServersStartedSince(api, cs.trustChangedAt()).orElse(null);
      } catch (ApiClient.Unreachable u) {
        CaCluster.warnUnreachable(err, api, u, "the kube-apiserver pods are not checked");
      }
    }
    if (Boolean.TRUE.equals(restarted)) {
      lines.add("cluster: " + e.where() + " still holds the old CA alone although every"
          + " kube-apiserver pod started after the trust change at " + cs.trustChangedAt()
          + ": an API server runs with an old-only " + flag + " (kcert ca status on each"
          + " control-plane node), and extension API servers reject clients of the new CA");
    } else {
      lines.add("cluster: " + e.where() + " holds the old CA alone: kcert does not write it; every"
          + " kube-apiserver publishes it from " + flag + " once it restarts with the "
          + s.phase().command() + " bundle (kcert ca " + s.phase().command() + " --ca " + s.caName()
          + " --restart restarts this node's)");
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("place", e.where());
    m.put("trust", e.trust().text());
    m.put("apiServersRestarted", restarted);
    json.put("extensionAuthenticationOldOnly", m);
  }

  /** {@code kcert ca workloads}. */
  @Command(
      name = "workloads",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      description = {
        "Lists the pods that started before the trust change (recorded at trust-both on this"
            + " node), grouped by the workload that owns them: they loaded the old CA alone and"
            + " must restart before trust-new, which refuses while they run.",
        "",
        "--restart-workloads restarts their Deployments, DaemonSets and StatefulSets as kubectl"
            + " rollout restart does (the pod template annotation kubectl.kubernetes.io/restartedAt),"
            + " one at a time, waiting for each rollout; a workload whose pods a"
            + " PodDisruptionBudget allowing no disruption covers is reported and left alone."
            + " Other pods (static pods, Jobs, bare pods) are listed for a restart by hand."
      },
      footer = {"%nExamples:", "  kcert ca workloads --ca ca",
          "  kcert ca workloads --ca ca --restart-workloads --rollout-timeout 10m",
          "%nExit codes:%n  0  no pod from before the trust change is left (or all restarted)%n"
              + "  1  pods from before the trust change remain, a restart was held or timed out,"
              + " or an error%n  2  bad usage%n"})
  static final class WorkloadsCommand implements Callable<Integer> {
    @Mixin Target target;

    @Mixin CaCluster cluster;

    @Option(names = "--restart-workloads",
        description = "Roll the Deployments, DaemonSets and StatefulSets listed, one at a time.")
    boolean restart;

    @Option(names = "--rollout-timeout", paramLabel = "DURATION",
        converter = DurationConverter.class, defaultValue = "5m",
        description = "How long to wait for each rollout (default: ${DEFAULT-VALUE}).")
    Duration rolloutTimeout;

    @Option(names = "--poll", paramLabel = "DURATION", converter = DurationConverter.class,
        defaultValue = "2s", hidden = true)
    Duration poll;

    @Mixin Output output;

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws ApiClient.Unreachable {
      if (target.sa()) {
        throw new IllegalArgumentException("workloads lists pods that loaded a CA bundle; for --ca sa"
            + " the kubelets refresh projected tokens themselves (kcert ca status --ca sa lists the"
            + " legacy token Secrets)");
      }
      Rotation r = target.rotation(clock(spec));
      ClusterState cs = ClusterState.read(r);
      if (cs.trustChangedAt() == null) {
        throw new dev.kcert.core.model.KcertException(r.caName() + ": no trust change recorded"
            + " on this node (" + ClusterState.file(r) + "); run kcert ca trust-both first");
      }
      ApiClient api = cluster.client(target.dirs);
      if (api == null) {
        throw new IllegalArgumentException("no kubeconfig: give --kubeconfig (the default "
            + ConfigOptions.DEFAULT_KUBECONFIG + " does not exist)");
      }
      PrintWriter out = spec.commandLine().getOut();
      List<Workloads.Group> groups;
      try {
        groups = Workloads.startedBefore(api, cs.trustChangedAt());
      } catch (ApiClient.Unreachable e) {
        throw new dev.kcert.core.model.KcertException("the API server at " + api.server()
            + " is unreachable (" + e.getMessage() + ")");
      }
      if (output.format == Format.text && !groups.isEmpty()) {
        TabWriter t = TabWriter.kubeadm().line("NAMESPACE\tOWNER\tPODS\tRESTART");
        for (Workloads.Group g : groups) {
          t.line(g.namespace() + "\t" + g.kind() + "/" + g.name() + "\t" + g.pods().size()
              + "\t" + (g.restartable() ? "rollout" : "by hand"));
        }
        out.print(t.render());
        out.flush();
      }
      List<Workloads.Restart> restarts = List.of();
      if (restart) {
        boolean text = output.format == Format.text;
        try {
          restarts = Workloads.restart(api, groups, clock(spec), rolloutTimeout, poll, line -> {
            if (text) {
              out.println(line);
              out.flush();
            }
          });
        } catch (ApiClient.Unreachable e) {
          throw new dev.kcert.core.model.KcertException("the API server at " + api.server()
              + " stopped answering during the restarts (" + e.getMessage() + ")");
        }
      }
      boolean clean = groups.isEmpty() || (restart
          && restarts.stream().allMatch(x -> x.result() == Workloads.Result.RESTARTED)
          && groups.stream().allMatch(Workloads.Group::restartable)
          && restarts.size() == groups.size());
      if (output.format == Format.json) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("ca", r.caName());
        m.put("trustChangedAt", cs.trustChangedAt().toString());
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Workloads.Group g : groups) {
          Map<String, Object> row = new LinkedHashMap<>();
          row.put("namespace", g.namespace());
          row.put("kind", g.kind());
          row.put("name", g.name());
          row.put("pods", g.pods());
          row.put("restartable", g.restartable());
          restarts.stream().filter(x -> x.group().equals(g)).findFirst()
              .ifPresent(x -> row.put("restart", x.result().name().toLowerCase().replace('_', '-')));
          rows.add(row);
        }
        m.put("owners", rows);
        printJson(out, "CaRotationWorkloads", m);
      } else {
        if (groups.isEmpty()) {
          out.println(r.caName() + ": no pod started before the trust change at "
              + cs.trustChangedAt());
        } else {
          int pods = groups.stream().mapToInt(g -> g.pods().size()).sum();
          out.println(r.caName() + ": " + pods + " pod(s) of " + groups.size() + " owner(s)"
              + " started before the trust change at " + cs.trustChangedAt()
              + (restart ? "" : "; --restart-workloads rolls the Deployments, DaemonSets and"
                  + " StatefulSets"));
        }
        out.flush();
      }
      return clean ? ExitCodes.OK : ExitCodes.ERROR;
    }
  }

  /** {@code kcert ca abort}. */
  @Command(
      name = "abort",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      description = {
        "Returns this node to the old CA alone from any phase before finish: trust files and"
            + " kubeconfigs hold the old CA again, certificates the new CA signed are re-signed by"
            + " the old one (keys kept), the CA key is the old one, the controller manager's"
            + " signer flag points where it did; then the rotation folder is emptied. Every"
            + " replaced file is backed up first. With --restart, the record of the restarts stays"
            + " until they and the served proof pass: run abort --restart again to retry."
      },
      footer = {"%nExamples:", "  kcert ca abort --ca ca --dry-run", "  kcert ca abort --ca ca", ExitCodes.CA_HELP})
  static final class AbortCommand implements Callable<Integer> {
    @Mixin Target target;

    @Option(names = "--dry-run", description = "Print the proof matrix; write nothing.")
    boolean dryRun;

    @Mixin Output output;

    @Spec CommandSpec spec;

    @Mixin CaCluster cluster;

    @Mixin CaLease lease;

    @Mixin CaRestart restart;

    @Override
    public Integer call() {
      restart.check(spec.commandLine(), target.node());
      if (target.sa()) {
        CaSa.refuseRestart(restart.restart);
        SaRotation sa = target.saRotation(clock(spec));
        ApiClient api = sa.phase() == Phase.NONE ? null : cluster.client(target.dirs);
        return lease.around(api, "sa abort", dryRun, clock(spec), spec.commandLine().getErr(), note ->
            CaSa.abort(sa, dryRun, output.format, spec.commandLine().getOut()));
      }
      if (CaWorker.applies(target)) {
        return CaWorker.abort(spec.commandLine(), target, dryRun, cluster, restart, output.format,
            clock(spec));
      }
      Rotation r = target.rotation(clock(spec));
      ApiClient api = r.phase() == Phase.NONE ? null : cluster.client(target.dirs);
      ClusterTrust.CaPair cas = api == null ? null : ClusterTrust.cas(r); // before abort removes it
      return lease.around(api, r.caName() + " abort", dryRun, clock(spec), spec.commandLine().getErr(), note -> {
        Outcome o = r.abort(dryRun, restart.commit(r, target.node()));
        CaCluster.Report c = api == null || (o.proof() != null && !o.proof().ok())
            ? CaCluster.Report.none()
            : CaCluster.afterPhase(api, r, cas, Phase.NONE, o, dryRun, clock(spec),
                spec.commandLine().getErr(), note);
        if (!o.dryRun() && !restart.restart) {
          PhaseRestarts.clear(r); // with --restart, the record goes once the restarts are proven
        }
        return reportAndRestart(spec, output.format, restart, r, target.node(), Phase.NONE, o, c, api);
      });
    }
  }
}
