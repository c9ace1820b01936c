package dev.kcert.cli;

import dev.kcert.core.node.Component;
import dev.kcert.core.node.NodeEndpoints;
import dev.kcert.core.node.StaticPodRestarter;
import dev.kcert.core.renewal.FileOps;
import dev.kcert.core.rotation.NodeFiles;
import dev.kcert.core.rotation.Outcome;
import dev.kcert.core.rotation.Phase;
import dev.kcert.core.rotation.PhaseRestarts;
import dev.kcert.core.rotation.Rotation;
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
   * is written before the phase's first file, so that no kill leaves a phase that looks proven.
   */
  Rotation.Commit commit(Rotation r, NodeFiles node) {
    if (!restart) {
      return Rotation.Commit.NONE;
    }
    return (target, files) -> PhaseRestarts.begin(r, node, FileOps.system(), target, files);
  }

  /**
   * After a phase (or abort, {@link Phase#NONE}) reported {@code code}: restarts and proves, when
   * asked; {@code null} when nothing was to be done. Progress lines go to {@code out} in text.
   */
  PhaseRestarts.Result run(int code, Rotation r, NodeFiles node, Phase phase, Outcome o,
      Clock clock, boolean text, PrintWriter out) {
    if (!restart || code != ExitCodes.OK || (o.proof() != null && !o.proof().ok())) {
      return null;
    }
    if (o.dryRun()) {
      return null; // nothing was written, so nothing to restart
    }
    if (phase == Phase.NONE && o.alreadyDone() && PhaseRestarts.recorded(r).isEmpty()) {
      return null; // no rotation here, and no abort whose restarts are pending
    }
    List<Component> pods = PhaseRestarts.readers(node, o.written());
    Path backup = o.backupDir() != null ? o.backupDir()
        : node.backupParent().resolve("kcert-restart-" + clock.instant().toEpochMilli());
    StaticPodRestarter.Options options = new StaticPodRestarter.Options(
        timeout != null ? timeout : Duration.ofMinutes(5), pollInterval, Duration.ofSeconds(5), clock);
    return PhaseRestarts.run(r, node, phase, pods, backup, options, line -> {
      if (text) {
        out.println(line);
        out.flush();
      }
    });
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
      out.println(r.caName() + ": " + name + " proven: "
          + (result.restarted().isEmpty() ? "no static pod needed a restart"
              : "restarted " + RenewOutput.join(result.restarted().stream().map(Component::podName).toList()))
          + "; every port of this CA serves a certificate the " + name + " bundle accepts");
      if (o.written().stream().anyMatch(p -> p.getFileName().toString().equals("kubelet.conf"))) {
        out.println("The kubelet is not a static pod: restart it with 'systemctl restart kubelet'"
            + " so that it reads the new kubelet.conf.");
      }
      out.flush();
    }
    return code;
  }

  /** After a phase reported {@code code} in text: restarts, proves, reports; the exit code. */
  int after(int code, Rotation r, NodeFiles node, Phase phase, Outcome o, Clock clock,
      boolean text, PrintWriter out, PrintWriter err) {
    return report(code, run(code, r, node, phase, o, clock, text, out), r, phase, o, text, out, err);
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
