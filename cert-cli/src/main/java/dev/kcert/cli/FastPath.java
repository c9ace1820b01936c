package dev.kcert.cli;

import dev.kcert.core.expiry.Durations;
import dev.kcert.core.pki.PkiLayout;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The start-up path of {@code kcert certs check-expiration}, the command cron jobs and monitoring
 * agents run most: a plain command line (the options of that command, each once, with separate
 * values) is read here and run without loading picocli, whose Java 5 class files the JVM can
 * neither archive nor verify quickly. Anything else (help, {@code --opt=value}, a repeated or
 * unknown option, a value picocli would reject) is declined and goes through picocli, which gives
 * the full behaviour and messages. Tests check that both paths print the same for every line this
 * one accepts.
 *
 * <p>Kept with JDK 25's AOT cache too (the self-contained tarball): on 14 certificates, the
 * tarball's {@code check-expiration} took 0.34 s of CPU (user and system) through this path and
 * 0.64 s through picocli ({@code --cert-dir=...}, which this path declines) with a cache trained
 * through picocli, 0.69 s with the tarball's cache (trained through this path), 1.9 to 2.0 times as
 * much, far beyond the 10% below which this path would go (12 runs each, on the 2-core build
 * machine under a load of 11 to 14, so CPU time rather than wall time; {@code bench/run} prints
 * both paths' wall-time medians and the keep/remove verdict).
 */
final class FastPath {
  private FastPath() {}

  /** The request when the command line is one this path reads exactly as picocli would. */
  static Optional<CheckExpiration.Request> parse(String[] args) {
    if (args.length < 2 || !"certs".equals(args[0]) || !"check-expiration".equals(args[1])) {
      return Optional.empty();
    }
    Path certDir = PkiLayout.DEFAULT_CERT_DIR;
    Path kubeconfigDir = PkiLayout.DEFAULT_KUBECONFIG_DIR;
    Path kubeletDir = PkiLayout.DEFAULT_KUBELET_DIR;
    CheckExpiration.Format output = CheckExpiration.Format.text;
    Duration warn = null;
    Duration fail = null;
    boolean kubelet = false;
    boolean keys = false;
    List<Path> roots = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    try {
      for (int i = 2; i < args.length; i++) {
        String a = args[i];
        if (!a.startsWith("-")) {
          roots.add(Path.of(a));
          continue;
        }
        String name = a.equals("-o") ? "--output" : a;
        if (!seen.add(name)) {
          return Optional.empty(); // picocli refuses a repeated option
        }
        switch (name) {
          case "--include-kubelet" -> kubelet = true;
          case "--check-keys" -> keys = true;
          case "--cert-dir", "--kubeconfig-dir", "--kubelet-dir", "--output", "--warn-within",
              "--fail-within" -> {
            if (i + 1 >= args.length || args[i + 1].startsWith("-")) {
              return Optional.empty();
            }
            String v = args[++i];
            switch (name) {
              case "--cert-dir" -> certDir = Path.of(v);
              case "--kubeconfig-dir" -> kubeconfigDir = Path.of(v);
              case "--kubelet-dir" -> kubeletDir = Path.of(v);
              case "--output" -> output = CheckExpiration.Format.valueOf(v);
              case "--warn-within" -> warn = Durations.parse(v);
              default -> fail = Durations.parse(v);
            }
          }
          default -> {
            return Optional.empty();
          }
        }
      }
    } catch (IllegalArgumentException | ArithmeticException e) { // InvalidPathException too
      return Optional.empty(); // picocli words the usage error
    }
    if (!roots.isEmpty() && (seen.contains("--cert-dir") || seen.contains("--kubeconfig-dir"))) {
      return Optional.empty();
    }
    return Optional.of(
        new CheckExpiration.Request(
            new PkiLayout(certDir, kubeconfigDir, kubeletDir),
            roots,
            output,
            warn,
            fail,
            kubelet,
            keys));
  }

  /** Runs a request with the same error handling as the picocli path. */
  static int run(CheckExpiration.Request request, Clock clock, PrintWriter out, PrintWriter err) {
    try {
      return CheckExpiration.run(request, clock, out, err);
    } catch (RuntimeException e) {
      out.flush();
      return Kcert.reportError(e, err, false);
    }
  }
}
