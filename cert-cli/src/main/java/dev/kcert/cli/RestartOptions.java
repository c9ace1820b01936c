package dev.kcert.cli;

import dev.kcert.core.model.CatalogueEntry;
import dev.kcert.core.model.KcertException;
import dev.kcert.core.node.Component;
import dev.kcert.core.node.NodeEndpoints;
import dev.kcert.core.node.StaticPodRestarter;
import dev.kcert.core.pki.PkiLayout;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** {@code renew --restart}: restart the static pods whose certificates changed, gated. */
public final class RestartOptions {
  @Option(
      names = "--restart",
      description =
          "After renewing, restart the static pods whose certificates changed, one at a time in"
              + " the order etcd, kube-apiserver, kube-controller-manager, kube-scheduler, by"
              + " changing an annotation in each manifest (<kubeconfig-dir>/manifests). Each must"
              + " answer its health endpoint and serve the new certificate within"
              + " --restart-timeout; if one does not, the renewed files are restored from the"
              + " backup, the components are restarted again with them, and the exit code is 1.")
  boolean restart;

  @Option(
      names = "--restart-timeout",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description = "How long each component has to come back after its restart (default: 5m).")
  Duration timeout;

  /** How often the gates look; tests make it short. */
  Duration pollInterval = Duration.ofSeconds(1);

  void checkUsage(CommandLine cl, boolean csrOnly) {
    if (timeout != null && !restart) {
      throw new ParameterException(cl, "--restart-timeout is only used with --restart");
    }
    if (restart && csrOnly) {
      throw new ParameterException(cl, "--restart and --csr-only exclude each other");
    }
    if (timeout != null && (timeout.isZero() || timeout.isNegative())) {
      throw new ParameterException(cl, "--restart-timeout must be positive");
    }
  }

  void dryRun(List<CatalogueEntry> renewed, PrintWriter out) {
    List<String> pods =
        Component.readers(renewed).stream().filter(Component::isStaticPod).map(Component::podName).toList();
    if (!pods.isEmpty()) {
      out.println("Would restart, one at a time: " + String.join(", ", pods));
    }
  }

  /**
   * Checked before anything is written: a renewal whose static pods cannot be restarted (no
   * manifests folder) is refused, so that exit code 1 still means nothing was written. Returns the
   * error line, or null when the restarts can go ahead.
   */
  String refusal(PkiLayout layout, List<CatalogueEntry> renewed) {
    Path manifests = NodeEndpoints.manifestsDir(layout.kubeconfigDir());
    boolean pods = Component.readers(renewed).stream().anyMatch(Component::isStaticPod);
    if (!restart || !pods || Files.isDirectory(manifests)) {
      return null;
    }
    return "error: "
        + KcertException.about(manifests, "missing: no static pods to restart; nothing was written")
            .getMessage();
  }

  int run(
      PkiLayout layout,
      List<CatalogueEntry> renewed,
      Path backupDir,
      Runnable rollBack,
      Clock clock,
      PrintWriter out,
      PrintWriter err) {
    List<Component> readers = Component.readers(renewed);
    List<Component> pods = readers.stream().filter(Component::isStaticPod).toList();
    if (!pods.isEmpty() && !Files.isDirectory(NodeEndpoints.manifestsDir(layout.kubeconfigDir()))) {
      err.println(
          "error: "
              + KcertException.about(
                      NodeEndpoints.manifestsDir(layout.kubeconfigDir()),
                      "missing: no static pods to restart; the renewed files stay in place")
                  .getMessage());
      err.flush();
      return ExitCodes.ERROR;
    }
    StaticPodRestarter.Options options =
        new StaticPodRestarter.Options(
            timeout != null ? timeout : Duration.ofMinutes(5),
            pollInterval,
            Duration.ofSeconds(5),
            clock);
    StaticPodRestarter restarter =
        new StaticPodRestarter(
            layout,
            options,
            line -> {
              out.println(line);
              out.flush();
            });
    try {
      List<Component> done = restarter.restart(pods, backupDir, rollBack);
      out.println(
          done.isEmpty()
              ? "No static pod needed a restart."
              : "Restarted " + RenewOutput.join(done.stream().map(Component::podName).toList()) + ".");
    } catch (StaticPodRestarter.GateFailure e) {
      out.flush();
      err.println("error: " + e.getMessage());
      err.flush();
      return ExitCodes.ERROR;
    }
    if (readers.contains(Component.KUBELET)) {
      out.println(
          "The kubelet is not a static pod: restart it with 'systemctl restart kubelet' so that it"
              + " reads the new kubelet.conf.");
    }
    out.flush();
    return ExitCodes.OK;
  }
}
