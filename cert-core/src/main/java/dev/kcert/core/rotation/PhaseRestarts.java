package dev.kcert.core.rotation;

import dev.kcert.core.model.KcertException;
import dev.kcert.core.node.Component;
import dev.kcert.core.node.NodeEndpoints;
import dev.kcert.core.node.ServedCheck;
import dev.kcert.core.node.ServingEndpoint;
import dev.kcert.core.node.StaticPodManifest;
import dev.kcert.core.node.StaticPodRestarter;
import dev.kcert.core.node.TlsProbe;
import dev.kcert.core.pki.AtomicFiles;
import dev.kcert.core.renewal.FileOps;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * {@code kcert ca <phase> --restart}: after a phase's files are written, restarts the static pods
 * that read them through {@link StaticPodRestarter} (one at a time, etcd first, each gated on its
 * health and the certificate on disk), then runs the served proof ({@link ServedTrust}) against the
 * phase's trust bundle. The phase counts as proven only when every restart and the proof passed.
 *
 * <p>A static pod reads a file when its manifest was written by the phase or names a written file
 * in one of its flags (a trust file, a certificate, a kubeconfig, the signer copy). Until the phase
 * is proven, {@code <rotation folder>/restarts} names the phase and the pods still to restart. It
 * is written as part of the phase's commit, before the phase's first file ({@link #begin}), so a
 * process killed anywhere after that leaves it: when it names the phase the state records, that
 * phase is done but not proven and the next phase refuses; when it names another phase, that
 * phase was started and did not complete. Running the phase again with {@code --restart} retries
 * (the phase's files are in place already, so only the restarts and the proof run). Abort keeps
 * its record in the otherwise emptied rotation folder, so {@code abort --restart} can be retried
 * too; {@code prepare} refuses while it is there.
 *
 * <p>What the input can influence: the manifests name the files and ports (the restarter writes
 * only their annotation); a port's answer is judged by its signature and dates alone. A failed gate
 * leaves the phase's files as they are: they are the phase, and abort is the way back.
 */
public final class PhaseRestarts {
  static final String FILE_NAME = "restarts";

  private PhaseRestarts() {}

  /**
   * What the restarts and the proof found.
   *
   * @param planned the static pods to restart (the phase's and those pending from a try before)
   * @param restarted the static pods restarted and back, in order
   * @param failed the static pod that did not come back, or {@code null}
   * @param reason why it did not, or {@code null}
   * @param served the served proof's rows; empty when a restart failed first
   * @param failure one line naming the component that failed, or {@code null} when proven
   */
  public record Result(List<Component> planned, List<Component> restarted, Component failed,
      String reason, List<ServedTrust.Row> served, String failure) {
    public Result {
      planned = List.copyOf(planned);
      restarted = List.copyOf(restarted);
      served = List.copyOf(served);
    }

    public boolean proven() {
      return failure == null;
    }
  }

  /**
   * The record: which phase ({@link Phase#NONE} for abort) and which static pods are still to
   * restart before it is proven.
   */
  public record Record(Phase phase, List<Component> pods) {
    public Record {
      pods = List.copyOf(pods);
    }

    /** The command that runs the phase again ({@code trust-both}, {@code abort}). */
    public String command() {
      return label(phase);
    }
  }

  /** The file that marks the rotation's current phase as not proven yet. */
  public static Path file(Rotation r) {
    return r.dir().resolve(FILE_NAME);
  }

  /**
   * The static pods (in restart order) whose manifest is among {@code written} or names a file
   * among {@code written} in one of its flags; manifests in {@code <kubeconfig-dir>/manifests}.
   */
  public static List<Component> readers(NodeFiles node, Collection<Path> written) {
    Set<Path> files = new HashSet<>();
    written.forEach(p -> files.add(norm(p)));
    Set<Component> hit = EnumSet.noneOf(Component.class);
    for (Component c : Component.values()) {
      if (!c.isStaticPod()) {
        continue;
      }
      Path manifest = NodeEndpoints.manifestFile(node.layout().kubeconfigDir(), c);
      if (!Files.exists(manifest)) {
        continue;
      }
      if (files.contains(norm(manifest))) {
        hit.add(c);
        continue;
      }
      for (StaticPodManifest.Flag f : StaticPodManifest.read(manifest).flags()) {
        Path named;
        try {
          named = norm(Path.of(f.value()));
        } catch (InvalidPathException e) {
          continue; // a flag whose value is not a path
        }
        if (files.contains(named)) {
          hit.add(c);
          break;
        }
      }
    }
    return new ArrayList<>(hit);
  }

  /** The record, when there is one. */
  public static java.util.Optional<Record> recorded(Rotation r) {
    Path f = file(r);
    if (!Files.exists(f)) {
      return java.util.Optional.empty();
    }
    List<Component> pods = new ArrayList<>();
    Phase phase = null;
    try {
      for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
        if (line.startsWith("pod\t")) {
          Component c = Component.byPodName(line.substring(4))
              .orElseThrow(() -> KcertException.about(f, "names an unknown static pod: " + line.substring(4)));
          pods.add(c);
        } else if (line.startsWith("phase\t")) {
          try {
            String name = line.substring(6);
            phase = name.equals("abort") ? Phase.NONE : Phase.ofCommand(name);
          } catch (IllegalArgumentException e) {
            throw KcertException.about(f, "names an unknown phase: " + line.substring(6), e);
          }
        }
      }
    } catch (IOException e) {
      throw KcertException.about(f, "cannot read: " + KcertException.oneLine(e), e);
    }
    if (phase == null) {
      throw KcertException.about(f, "names no phase");
    }
    return java.util.Optional.of(new Record(phase, pods));
  }

  /** The pods recorded as still to restart; empty when there is no record. */
  public static List<Component> pending(Rotation r) {
    return recorded(r).map(Record::pods).orElse(List.of());
  }

  /**
   * Refuses when the phase the rotation is at (abort, when no rotation is recorded) was entered
   * with {@code --restart} and is not proven. A record of another phase is a run of that phase
   * that did not complete: running that phase again is what it asks for.
   */
  public static void requireProven(Rotation r, Phase next) {
    java.util.Optional<Record> rec = recorded(r);
    Phase at = r.phase();
    if (rec.isPresent() && rec.get().phase() == at) {
      throw new KcertException(r.caName() + ": " + (at == Phase.NONE ? "abort" : "phase " + at.command())
          + " is not proven (its restarts or served proof failed; " + file(r) + "), so "
          + next.command() + " will not start: run kcert ca " + label(at) + " --ca " + r.caName()
          + " --restart again");
    }
  }

  /**
   * Records {@code pods} (the kubelet, say) as still to restart for {@code phase}, beside those
   * recorded already; the phase is unproven until the record is cleared.
   */
  public static void markPending(Rotation r, Phase phase, List<Component> pods) {
    List<Component> all = new ArrayList<>(pending(r));
    pods.stream().filter(c -> !all.contains(c)).forEach(all::add);
    write(r, phase, all);
  }

  /**
   * Writes the record of {@code phase} before it writes {@code files}: the pods that read them,
   * with those still pending from an earlier try of the same phase. Written through {@code ops}
   * (a flushed temporary file renamed over the old record).
   */
  public static void begin(Rotation r, NodeFiles node, FileOps ops, Phase phase, Collection<Path> files) {
    List<Component> pods = new ArrayList<>(readers(node, files));
    recorded(r).filter(rec -> rec.phase() == phase)
        .ifPresent(rec -> rec.pods().stream().filter(c -> !pods.contains(c)).forEach(pods::add));
    ops.createDirectories(r.dir(), java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    Path tmp = ops.writeTemp(file(r), render(phase, pods), AtomicFiles.PRIVATE);
    ops.rename(tmp, file(r));
  }

  /** Forgets the record. */
  public static void clear(Rotation r) {
    try {
      Files.deleteIfExists(file(r));
    } catch (IOException e) {
      throw KcertException.about(file(r), "cannot delete: " + KcertException.oneLine(e), e);
    }
  }

  /**
   * Restarts {@code pods} (with those still pending from an earlier try), then checks what every
   * port of the node serves against the bundle of {@code phase}. For a phase before {@code finish}
   * (abort included, {@link Phase#NONE}) the record is kept until both pass.
   *
   * @param backupDir where the restarter keeps the original manifests
   */
  public static Result run(Rotation r, NodeFiles node, Phase phase, List<Component> pods,
      Path backupDir, StaticPodRestarter.Options options, Consumer<String> progress) {
    List<Component> all = new ArrayList<>(pods);
    recorded(r).filter(rec -> rec.phase() == phase)
        .ifPresent(rec -> rec.pods().stream().filter(c -> !all.contains(c)).forEach(all::add));
    write(r, phase, all);
    StaticPodRestarter restarter =
        new StaticPodRestarter(node.layout(), options, progress, new RestartSeen(node, options));
    List<Component> done;
    try {
      done = restarter.restart(all, backupDir, () -> { });
    } catch (StaticPodRestarter.GateFailure e) {
      List<Component> before = new ArrayList<>();
      for (Component c : Component.values()) {
        if (c == e.component()) {
          break;
        }
        if (all.contains(c)) {
          before.add(c);
        }
      }
      return new Result(all, before, e.component(), e.reason(), List.of(),
          r.caName() + ": " + label(phase) + " is not proven: " + e.reason());
    }
    write(r, phase, List.of());
    NodeEndpoints.Result ends = NodeEndpoints.read(node.layout(), node.kubeletConfig());
    List<ServedTrust.Row> rows = ServedTrust.check(r, phase, ends.endpoints(),
        TlsProbe.withTimeout(options.probeTimeout()), options.clock().instant());
    for (ServedTrust.Row row : rows) {
      if (!row.ok()) {
        return new Result(all, done, null, null, rows, r.caName() + ": " + label(phase) + " is not proven: "
            + row.endpoint().describe() + " serves a certificate the " + label(phase)
            + " bundle rejects (" + (row.detail().isEmpty() ? row.servedBy() : row.detail()) + ")");
      }
    }
    clear(r);
    return new Result(all, done, null, null, rows, null);
  }

  /**
   * The gate that tells a restart from a pod the kubelet has not touched yet. A phase that changes
   * only trust files leaves a component's certificate as it was, so its ports answer with the
   * certificate on disk before and after the restart alike; this gate passes only once a port of
   * the component has been seen closed (or serving another certificate) since its manifest changed.
   * A watcher looks every {@link #LOOK} from just before the change until it sees that or the
   * component's timeout ends.
   */
  private static final class RestartSeen implements StaticPodRestarter.Gate {
    private static final Duration LOOK = Duration.ofMillis(50);
    private final NodeFiles node;
    private final StaticPodRestarter.Options options;
    private final Map<Component, AtomicBoolean> seen =
        new ConcurrentHashMap<>();

    RestartSeen(NodeFiles node, StaticPodRestarter.Options options) {
      this.node = node;
      this.options = options;
    }

    @Override
    public void beforeRestart(Component c) {
      AtomicBoolean flag = new AtomicBoolean();
      seen.put(c, flag);
      Path manifest = NodeEndpoints.manifestFile(node.layout().kubeconfigDir(), c);
      List<ServingEndpoint> ends =
          NodeEndpoints.fromManifest(c, StaticPodManifest.read(manifest));
      TlsProbe probe = TlsProbe.withTimeout(options.probeTimeout());
      List<X509Certificate> before = new ArrayList<>();
      for (ServingEndpoint e : ends) {
        TlsProbe.Served s = probe.fetch(e.host(), e.port());
        if (!s.reached()) {
          flag.set(true); // not running now: whatever answers later was started after the change
          return;
        }
        before.add(s.leaf());
      }
      long deadline = System.nanoTime() + options.timeout().toNanos();
      Thread watcher = new Thread(() -> {
        while (!flag.get() && System.nanoTime() < deadline) {
          for (int i = 0; i < ends.size(); i++) {
            TlsProbe.Served s = probe.fetch(ends.get(i).host(), ends.get(i).port());
            if (!s.reached() || !ServedCheck.same(s.leaf(), before.get(i))) {
              flag.set(true);
              return;
            }
          }
          try {
            Thread.sleep(LOOK.toMillis());
          } catch (InterruptedException ex) {
            return;
          }
        }
      }, "kcert-restart-watch-" + c.podName());
      watcher.setDaemon(true);
      watcher.start();
    }

    @Override
    public String check(Component c) {
      AtomicBoolean flag = seen.get(c);
      return flag == null || flag.get() ? null
          : c.podName() + " has not restarted yet: its ports never stopped answering";
    }
  }

  private static String label(Phase p) {
    return p == Phase.NONE ? "abort" : p.command();
  }

  private static void write(Rotation r, Phase phase, List<Component> pods) {
    AtomicFiles.write(file(r), render(phase, pods), AtomicFiles.PRIVATE);
  }

  private static byte[] render(Phase phase, List<Component> pods) {
    StringBuilder sb = new StringBuilder(
        "# kcert: this phase is not proven until its restarts and served proof pass\n");
    sb.append("phase\t").append(label(phase)).append('\n');
    pods.forEach(c -> sb.append("pod\t").append(c.podName()).append('\n'));
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static Path norm(Path p) {
    return p.toAbsolutePath().normalize();
  }
}
