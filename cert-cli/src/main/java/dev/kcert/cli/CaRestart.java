package dev.kcert.cli;

import dev.kcert.core.kubeapi.ApiClient;
import dev.kcert.core.model.Catalogue;
import dev.kcert.core.node.Component;
import dev.kcert.core.node.NodeEndpoints;
import dev.kcert.core.node.StaticPodRestarter;
import dev.kcert.core.renewal.FileOps;
import dev.kcert.core.rotation.NodeFiles;
import dev.kcert.core.rotation.Outcome;
import dev.kcert.core.rotation.Phase;
import dev.kcert.core.rotation.PhaseRestarts;
import dev.kcert.core.rotation.KubeletRestart;
import dev.kcert.core.rotation.Rotation;
import dev.kcert.core.rotation.WorkerRotation;
import java.net.URI;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** {@code kcert ca <phase> --restart}: restart what the phase changed, then prove what is served. */
final class CaRestart {
  @Option(names = "--restart",
      description = "After the phase's files are written, restart the static pods whose trust"
          + " files, certificates, kubeconfigs or manifest it changed, one at a time in the order"
          + " etcd, kube-apiserver, kube-controller-manager, kube-scheduler (an annotation in each"
          + " manifest), each gated on its health and the certificate on disk; then check that"
          + " every port of this CA serves a certificate the phase's bundle accepts. Only then is"
          + " the phase proven; otherwise one line names the component, the exit code is 1 and"
          + " the next phase refuses (run the phase again with --restart to retry).")
  boolean restart;

  @Option(names = "--restart-timeout", paramLabel = "DURATION", converter = DurationConverter.class,
      description = "How long each component has to come back after its restart (default: 5m).")
  Duration timeout;

  @Option(names = "--kubelet-restart-command", paramLabel = "COMMAND",
      defaultValue = KubeletRestart.DEFAULT_COMMAND,
      description = "With --restart, when the phase changed what the kubelet reads at start-up"
          + " (ca.crt, its clientCAFile, kubelet.conf, its client certificate): how to restart the"
          + " kubelet, split on blanks, no shell (default: ${DEFAULT-VALUE}).")
  String kubeletCommand;

  @Option(names = "--kubelet-healthz", paramLabel = "URL", defaultValue = KubeletRestart.DEFAULT_HEALTHZ,
      description = "The kubelet's health endpoint, which must answer 200 after its restart"
          + " (default: ${DEFAULT-VALUE}); then, where the API server answers, the Node's Ready"
          + " condition must have a heartbeat newer than the restart.")
  URI kubeletHealthz;

  /** How often the gates look; tests make it short. */
  Duration pollInterval = Duration.ofSeconds(1);

  /** Refuses bad usage before anything is written. */
  void check(CommandLine cl, NodeFiles node) {
    if (timeout != null && !restart) {
      throw new ParameterException(cl, "--restart-timeout is only used with --restart");
    }
    if (timeout != null && (timeout.isZero() || timeout.isNegative())) {
      throw new ParameterException(cl, "--restart-timeout must be positive");
    }
    Path kubeadms = NodeEndpoints.manifestsDir(node.layout().kubeconfigDir());
    if (restart && !norm(kubeadms).equals(norm(node.manifestDir()))) {
      throw new ParameterException(cl, "--restart restarts the static pods in " + kubeadms
          + " (<kubeconfig-dir>/manifests), but --manifest-dir is " + node.manifestDir());
    }
  }

  /**
   * The phase's commit hook: with {@code --restart}, the record that the phase is not proven yet
   * is written before the phase's first file (the kubelet in it when the phase writes what the
   * kubelet reads), so that no kill leaves a phase that looks proven.
   */
  Rotation.Commit commit(Rotation r, NodeFiles node) {
    if (!restart) {
      return Rotation.Commit.NONE;
    }
    return (target, files) -> {
      PhaseRestarts.begin(r, node, FileOps.system(), target, files);
      if (target != Phase.NONE && kubeletReads(node, List.copyOf(files))) {
        PhaseRestarts.markPending(r, target, List.of(Component.KUBELET));
      }
    };
  }

  /**
   * After a phase (or abort, {@link Phase#NONE}) reported {@code code}: restarts the static pods
   * and proves what they serve, then restarts the kubelet when the phase changed what it reads;
   * {@code null} when nothing was to be done. Progress lines go to {@code out} in text.
   */
  PhaseRestarts.Result run(int code, Rotation r, NodeFiles node, Phase phase, Outcome o,
      ApiClient api, Clock clock, boolean text, PrintWriter out) {
    if (!restart || code != ExitCodes.OK || (o.proof() != null && !o.proof().ok())) {
      return null;
    }
    if (o.dryRun()) {
      return null; // nothing was written, so nothing to restart
    }
    if (phase == Phase.NONE && o.alreadyDone() && PhaseRestarts.recorded(r).isEmpty()) {
      return null; // no rotation here, and no abort whose restarts are pending
    }
    boolean kubelet = PhaseRestarts.pending(r).contains(Component.KUBELET)
        || kubeletReads(node, o.written());
    List<Component> pods = PhaseRestarts.readers(node, o.written());
    Path backup = o.backupDir() != null ? o.backupDir()
        : node.backupParent().resolve("kcert-restart-" + clock.instant().toEpochMilli());
    StaticPodRestarter.Options options = new StaticPodRestarter.Options(
        timeout != null ? timeout : Duration.ofMinutes(5), pollInterval, Duration.ofSeconds(5), clock);
    PhaseRestarts.Result result = PhaseRestarts.run(r, node, phase, pods, backup, options, line -> {
      if (text) {
        out.println(line);
        out.flush();
      }
    });
    if (!result.proven() || !kubelet) {
      return result;
    }
    List<Component> planned = new ArrayList<>(result.planned());
    if (!planned.contains(Component.KUBELET)) {
      planned.add(Component.KUBELET);
    }
    String failed = restartKubelet(r, phase, api, kubeletNode(node), clock, text, out);
    List<Component> restarted = new ArrayList<>(result.restarted());
    if (failed == null) {
      restarted.add(Component.KUBELET);
    }
    return new PhaseRestarts.Result(planned, restarted, failed == null ? null : Component.KUBELET,
        failed, result.served(), failed);
  }

  /** Reports {@code result} (text: the proven line; both: a failure on stderr); the exit code. */
  int report(int code, PhaseRestarts.Result result, Rotation r, Phase phase, Outcome o,
      boolean text, PrintWriter out, PrintWriter err) {
    if (result == null) {
      return code;
    }
    String name = phase == Phase.NONE ? "abort" : phase.command();
    if (!result.proven()) {
      out.flush();
      err.println("error: " + result.failure());
      err.flush();
      return ExitCodes.ERROR;
    }
    if (text) {
      List<String> names = result.restarted().stream().filter(Component::isStaticPod)
          .map(Component::podName).toList(); // the kubelet's restart has its own lines
      out.println(r.caName() + ": " + name + " proven: "
          + (names.isEmpty() ? "no static pod needed a restart" : "restarted " + RenewOutput.join(names))
          + "; every port of this CA serves a certificate the " + name + " bundle accepts");
      out.flush();
    }
    return code;
  }

  /** After a phase reported {@code code} in text: restarts, proves, reports; the exit code. */
  int after(int code, Rotation r, NodeFiles node, Phase phase, Outcome o, ApiClient api,
      Clock clock, boolean text, PrintWriter out, PrintWriter err) {
    return report(code, run(code, r, node, phase, o, api, clock, text, out), r, phase, o, text, out, err);
  }

  /**
   * On a worker, after a phase (or abort, {@link Phase#NONE}) reported {@code code}: restarts the
   * kubelet when the phase wrote something or a restart is still pending; the exit code.
   */
  int afterWorker(int code, WorkerRotation w, Phase phase, Outcome o, ApiClient api, Clock clock,
      boolean text, PrintWriter out, PrintWriter err) {
    if (!restart || code != ExitCodes.OK || o.dryRun() || (o.proof() != null && !o.proof().ok())) {
      return code;
    }
    Rotation r = w.rotation();
    boolean pending = phase != Phase.NONE && PhaseRestarts.pending(r).contains(Component.KUBELET);
    String name = phase == Phase.NONE ? "abort" : phase.command();
    if (o.written().isEmpty() && !pending) {
      if (text) {
        out.println(r.caName() + ": " + name + ": nothing changed for the kubelet; no restart");
        out.flush();
      }
      return code;
    }
    String node;
    try {
      node = w.nodeName();
    } catch (RuntimeException e) {
      node = null;
    }
    String failed = restartKubelet(r, phase, api, node, clock, text, out);
    if (failed != null) {
      out.flush();
      err.println("error: " + failed);
      err.flush();
      return ExitCodes.ERROR;
    }
    if (text) {
      out.println(r.caName() + ": " + name + " proven: the kubelet restarted and answers"
          + (api == null ? "" : ", its Node is Ready"));
      out.flush();
    }
    return code;
  }

  /**
   * Restarts the kubelet: recorded as pending first (a phase, not abort), cleared once it is back.
   * {@code null} when it is back, else the one-line failure.
   */
  private String restartKubelet(Rotation r, Phase phase, ApiClient api, String node, Clock clock,
      boolean text, PrintWriter out) {
    if (phase != Phase.NONE) {
      PhaseRestarts.markPending(r, phase, List.of(Component.KUBELET));
    }
    KubeletRestart.Options options = new KubeletRestart.Options(kubeletCommand, kubeletHealthz,
        timeout != null ? timeout : Duration.ofMinutes(5), pollInterval, clock);
    String failed = KubeletRestart.run(options, api, node, line -> {
      if (text) {
        out.println(line);
        out.flush();
      }
    });
    String name = phase == Phase.NONE ? "abort" : phase.command();
    if (failed != null) {
      return r.caName() + ": " + name + " is not proven: " + failed;
    }
    if (phase != Phase.NONE) {
      PhaseRestarts.clear(r);
    }
    return null;
  }

  /** Whether {@code written} holds a file the kubelet reads at start-up. */
  private static boolean kubeletReads(NodeFiles node, List<Path> written) {
    Path conf = node.layout().kubeconfigFile(Catalogue.KUBELET_KUBECONFIG);
    Path ca = node.layout().certFile(Catalogue.ca(Catalogue.CA));
    return written.stream().map(CaRestart::norm)
        .anyMatch(p -> p.equals(norm(conf)) || p.equals(norm(ca))
            || p.startsWith(norm(node.layout().kubeletDir())));
  }

  /** The node's name from the kubelet's client certificate; {@code null} when unreadable. */
  private static String kubeletNode(NodeFiles node) {
    try {
      return WorkerRotation.of(node, Clock.systemUTC()).nodeName();
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** The {@code restarts} object of a phase's JSON: each component's result and the served proof. */
  static Map<String, Object> json(PhaseRestarts.Result result) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("proven", result.proven());
    m.put("failure", result.failure());
    List<Map<String, Object>> rows = new ArrayList<>();
    for (Component c : result.planned()) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("component", c.podName());
      if (result.restarted().contains(c)) {
        row.put("result", "restarted");
        row.put("detail", "");
      } else if (c == result.failed()) {
        row.put("result", "failed");
        row.put("detail", result.reason());
      } else {
        row.put("result", "not-restarted");
        row.put("detail", result.failed() == null ? "no static pod manifest" : "after the failure of "
            + result.failed().podName());
      }
      rows.add(row);
    }
    m.put("components", rows);
    m.put("served", CaCommand.servedJson(result.served()));
    return m;
  }

  private static Path norm(Path p) {
    return p.toAbsolutePath().normalize();
  }
}
