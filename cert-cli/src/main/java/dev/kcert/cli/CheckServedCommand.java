package dev.kcert.cli;

import dev.kcert.cli.output.ExpirationText;
import dev.kcert.cli.output.ServedDocument;
import dev.kcert.core.node.Component;
import dev.kcert.core.node.NodeEndpoints;
import dev.kcert.core.node.ServedCheck;
import dev.kcert.core.node.ServedCheck.Result;
import dev.kcert.core.node.ServedCheck.Status;
import dev.kcert.core.node.TlsProbe;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code kcert certs check-served}. */
@Command(
    name = "check-served",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Checks that each control-plane component of this node serves the certificate in the file"
          + " it is configured to use.",
      "",
      "Connects to kube-apiserver (:6443), etcd (:2379 and :2380), kube-controller-manager"
          + " (:10257), kube-scheduler (:10259) and the kubelet (:10250), with the addresses, ports"
          + " and certificate files of the static pod manifests in <kubeconfig-dir>/manifests and"
          + " of the kubelet's configuration file (kubeadm's defaults where they say nothing),"
          + " fetches the certificate each port serves without trusting it, and compares its"
          + " serial and public key with the file's. A component that was renewed but never"
          + " restarted still serves its old certificate: it is named with both expiries.",
      "",
      "Needs no API server. The controller-manager and scheduler of kubeadm serve a certificate"
          + " they make at start-up; they are listed but not compared."
    },
    footer = {
      "%nExamples:",
      "  kcert certs check-served",
      "  kcert certs check-served -o json",
      "  kcert certs check-served --component kube-apiserver,etcd",
      "  kcert certs check-served --kubeconfig-dir /etc/kubernetes --timeout 2s",
      ExitCodes.CHECK_SERVED_HELP
    })
public final class CheckServedCommand implements Callable<Integer> {
  @Mixin PkiDirs dirs;

  @Mixin KubeletConfigOption kubelet;

  @Option(
      names = "--timeout",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description = "How long each connection may take (default: 5s).")
  Duration timeout;

  @Option(
      names = "--component",
      paramLabel = "NAME",
      split = ",",
      description =
          "Check only these components: etcd, kube-apiserver, kube-controller-manager,"
              + " kube-scheduler, kubelet (repeat or separate with commas; default: all).")
  List<String> components = new ArrayList<>();

  @Option(
      names = {"-o", "--output"},
      paramLabel = "FORMAT",
      defaultValue = "text",
      description = "Output format: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
  CheckExpiration.Format output;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Set<Component> only = EnumSet.noneOf(Component.class);
    for (String c : components) {
      only.add(
          Component.byPodName(c)
              .orElseThrow(
                  () -> new ParameterException(spec.commandLine(), "unknown component: " + c)));
    }
    NodeEndpoints.Result endpoints =
        NodeEndpoints.read(
            dirs.layout(), kubelet.file, only.isEmpty() ? EnumSet.allOf(Component.class) : only);
    List<Result> results =
        ServedCheck.check(
            endpoints.endpoints(),
            TlsProbe.withTimeout(timeout != null ? timeout : Duration.ofSeconds(5)));
    out.print(
        switch (output) {
          case text -> ServedDocument.text(results);
          case json -> ServedDocument.json(results);
          case yaml -> ServedDocument.yaml(results);
        });
    out.flush();
    for (String p : endpoints.problems()) {
      err.println("error: " + p);
    }
    for (Result r : results) {
      String line = message(r);
      if (line != null) {
        err.println(line);
      }
    }
    err.flush();
    return exitCode(endpoints, results);
  }

  static int exitCode(NodeEndpoints.Result endpoints, List<Result> results) {
    if (!endpoints.problems().isEmpty()
        || results.stream().anyMatch(r -> r.status() == Status.FILE_ERROR)) {
      return ExitCodes.ERROR;
    }
    if (results.stream().anyMatch(r -> r.status() == Status.DIFFERS)) {
      return ExitCodes.SERVED_DIFFERS;
    }
    if (results.stream().anyMatch(r -> r.status() == Status.UNREACHABLE)) {
      return ExitCodes.UNREACHABLE;
    }
    return ExitCodes.OK;
  }

  /** The line on standard error for a result that needs attention, else {@code null}. */
  static String message(Result r) {
    String where = r.endpoint().describe();
    return switch (r.status()) {
      case MATCH, NO_FILE -> null;
      case FILE_ERROR -> "error: " + where + ": " + r.message();
      case UNREACHABLE -> "warning: " + where + " (" + r.endpoint().address() + "): " + r.message();
      case DIFFERS ->
          "error: "
              + where
              + " serves a certificate other than "
              + r.endpoint().certFile()
              + ": served serial "
              + r.served().getSerialNumber().toString(16)
              + " expires "
              + ExpirationText.DATE.format(r.served().getNotAfter().toInstant())
              + ", the file's serial "
              + r.disk().getSerialNumber().toString(16)
              + " expires "
              + ExpirationText.DATE.format(r.disk().getNotAfter().toInstant())
              + "; restart "
              + r.endpoint().component().podName();
    };
  }
}
