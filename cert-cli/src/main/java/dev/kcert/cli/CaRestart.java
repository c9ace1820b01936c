package dev.kcert.cli;

import dev.kcert.core.node.Component;
import dev.kcert.core.node.NodeEndpoints;
import dev.kcert.core.node.StaticPodRestarter;
import dev.kcert.core.rotation.NodeFiles;
import dev.kcert.core.rotation.Outcome;
import dev.kcert.core.rotation.Phase;
import dev.kcert.core.rotation.PhaseRestarts;
import dev.kcert.core.rotation.Rotation;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
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
   * After a phase (or abort, {@link Phase#NONE}) reported {@code code}: restarts and proves, when
   * asked; the exit code.
   */
  int after(int code, Rotation r, NodeFiles node, Phase phase, Outcome o, Clock clock,
      boolean text, PrintWriter out, PrintWriter err) {
    if (!restart || code != ExitCodes.OK || (o.proof() != null && !o.proof().ok())) {
      return code;
    }
    if (o.dryRun()) {
      return code; // nothing was written, so nothing to restart
    }
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

  private static Path norm(Path p) {
    return p.toAbsolutePath().normalize();
  }
}
