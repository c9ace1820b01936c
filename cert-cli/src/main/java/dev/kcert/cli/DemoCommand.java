package dev.kcert.cli;

import dev.kcert.core.generate.GenerationOptions;
import dev.kcert.core.generate.GenerationOptions.Window;
import dev.kcert.core.keys.KeyAlgorithm;
import dev.kcert.core.pki.NodeParameters;
import dev.kcert.core.pki.PkiLayout;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code kcert demo}: a throw-away PKI with trouble in it, and what kcert says about it. */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Generates a throw-away kubeadm PKI in a temporary folder (some certificates close to"
          + " expiry, one already expired) and runs check-expiration on it; then renews what"
          + " expires within 30 days and checks again.",
      "The folder is printed so that other commands can be tried on it."
    },
    footer = {"%nExamples:", "  kcert demo", "  kcert demo --dir /tmp/kcert-demo"})
public final class DemoCommand implements Callable<Integer> {
  @Option(
      names = "--dir",
      paramLabel = "DIR",
      description = "Where to create the demo tree (default: a new temporary folder).")
  Path dir;

  @Option(
      names = "--key-algorithm",
      paramLabel = "ALG",
      defaultValue = "ECDSA-P256",
      description = "Key type of the demo PKI (default: ${DEFAULT-VALUE}).")
  String keyAlgorithm;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws IOException {
    Kcert root = (Kcert) spec.root().userObject();
    Clock clock = root.clock();
    PrintWriter out = spec.commandLine().getOut();
    Path base = dir != null ? dir : Files.createTempDirectory("kcert-demo-");
    Path etc = base.resolve("etc-kubernetes");
    PkiLayout layout = new PkiLayout(etc.resolve("pki"), etc, base.resolve("kubelet-pki"));

    Instant now = clock.instant();
    Instant start = now.minus(Duration.ofDays(340));
    Map<String, Window> windows =
        Map.of(
            "apiserver", new Window(start, now.plus(Duration.ofDays(25))),
            "front-proxy-client", new Window(start, now.plus(Duration.ofDays(6))),
            "admin.conf", new Window(start.minus(Duration.ofDays(30)), now.minus(Duration.ofDays(3))));
    GenerationOptions options =
        GenerationOptions.defaults(KeyAlgorithm.parse(keyAlgorithm), clock).withWindows(windows);
    // what 'kcert certs init' does, with some validity windows shortened
    InitCommand.create(
        layout, NodeParameters.of("demo-control-plane", "10.0.0.10"), options, out, false);

    out.println("Generated a kubeadm PKI for node demo-control-plane in " + etc);
    out.println();
    out.println("$ kcert certs check-expiration --cert-dir " + layout.certDir()
        + " --kubeconfig-dir " + etc + " --warn-within 30d");
    out.flush();
    CommandLine cl = Kcert.newCommandLine(clock);
    cl.setOut(out);
    cl.setErr(spec.commandLine().getErr());
    int code =
        cl.execute(
            "certs",
            "check-expiration",
            "--cert-dir",
            layout.certDir().toString(),
            "--kubeconfig-dir",
            etc.toString(),
            "--warn-within",
            "30d");
    out.println();
    out.println("(check-expiration exited with " + code + ": 4 means something expires within 30d)");
    out.println();
    String[] dirArgs = {"--cert-dir", layout.certDir().toString(), "--kubeconfig-dir", etc.toString()};
    // a kube-apiserver that loaded apiserver.crt at start-up and is not restarted by this renewal
    DemoApiServer apiserver = DemoApiServer.start(layout);
    out.println("$ kcert certs renew all --renew-within 30d " + String.join(" ", dirArgs));
    out.flush();
    int renewCode;
    int served;
    try {
      renewCode =
          run(clock, out, concat(new String[] {"certs", "renew", "all", "--renew-within", "30d"}, dirArgs));
      out.println();
      out.println("(renew exited with " + renewCode + ": 0 means certificates were renewed)");
      out.println();
      out.println(
          "A stand-in kube-apiserver on 127.0.0.1:"
              + apiserver.port()
              + " (its manifest is in "
              + etc.resolve("manifests")
              + ") loaded apiserver.crt before the renewal and was not restarted:");
      out.println(
          "$ kcert certs check-served --component kube-apiserver --kubeconfig-dir " + etc);
      out.flush();
      served =
          run(clock, out, "certs", "check-served", "--component", "kube-apiserver", "--kubeconfig-dir", etc.toString());
    } finally {
      apiserver.close();
    }
    out.println();
    out.println(
        "(check-served exited with "
            + served
            + ": 6 means a component serves another certificate than its file; on a node,"
            + " 'kcert certs renew all --restart' restarts each static pod whose certificates"
            + " changed and checks that it serves the new ones)");
    out.println();
    out.println("$ kcert certs check-expiration " + String.join(" ", dirArgs) + " --warn-within 30d");
    out.flush();
    int after =
        run(clock, out, concat(new String[] {"certs", "check-expiration", "--warn-within", "30d"}, dirArgs));
    out.println();
    out.println(
        "(check-expiration exited with "
            + after
            + (after == ExitCodes.OK
                ? ": nothing expires within 30d any more)"
                : ": something still needs attention)"));
    out.println();
    out.println("Try other commands on it, for example:");
    out.println("  ./kcert certs check-expiration --cert-dir " + layout.certDir()
        + " --kubeconfig-dir " + etc + " -o json");
    out.println("  ./kcert certs renew all --dry-run --cert-dir " + layout.certDir()
        + " --kubeconfig-dir " + etc);
    out.println("The demo tree stays in " + base + "; remove it when done.");
    out.flush();
    return ExitCodes.OK;
  }

  private int run(Clock clock, PrintWriter out, String... args) {
    CommandLine cl = Kcert.newCommandLine(clock);
    cl.setOut(out);
    cl.setErr(spec.commandLine().getErr());
    return cl.execute(args);
  }

  private static String[] concat(String[] first, String[] second) {
    String[] all = java.util.Arrays.copyOf(first, first.length + second.length);
    System.arraycopy(second, 0, all, first.length, second.length);
    return all;
  }
}
