package dev.kcert.cli;

import dev.kcert.core.generate.GenerationOptions;
import dev.kcert.core.generate.PkiGenerator;
import dev.kcert.core.keys.KeyAlgorithm;
import dev.kcert.core.pki.NodeParameters;
import dev.kcert.core.pki.PkiLayout;
import dev.kcert.core.testing.StaticPods;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import picocli.CommandLine;

/** Runs kcert in the test's JVM with a pinned clock, and makes PKIs to run it on. */
final class Cli {
  static final Instant MADE = Instant.parse("2026-01-10T08:00:00Z");
  static final Instant NOW = Instant.parse("2026-11-23T12:00:00Z");
  static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

  /**
   * One run.
   *
   * @param code the exit code
   * @param out standard output
   * @param err standard error
   */
  record Run(int code, String out, String err) {}

  private Cli() {}

  static Run run(String... args) {
    return run(CLOCK, args);
  }

  static Run run(Clock clock, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = Kcert.newCommandLine(clock, args); // as main builds it
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  /** An ECDSA PKI made on {@link #MADE}, valid one year: 48 days left on {@link #NOW}. */
  static PkiLayout pki(Path root) {
    PkiLayout layout = PkiLayout.under(root);
    PkiGenerator.generate(
        layout,
        NodeParameters.of("cp-1", "10.0.0.10"),
        new GenerationOptions(
            KeyAlgorithm.ECDSA_P256,
            Duration.ofDays(3650),
            Duration.ofDays(365),
            Map.of(),
            true,
            Clock.fixed(MADE, ZoneOffset.UTC)));
    return layout;
  }

  /**
   * A control-plane node for the {@code kcert ca} tests: {@link #pki} with the static pod
   * manifests; returns the options that name its folders and files.
   */
  static String[] controlPlane(Path root) {
    pki(root);
    StaticPods.write(root);
    return args(dirs(root), "--manifest-dir", root.resolve("manifests").toString(),
        "--kubelet-config", root.resolve("kubelet-config.yaml").toString());
  }

  /** {@code --cert-dir root/pki --kubeconfig-dir root}. */
  static String[] dirs(Path root) {
    return new String[] {"--cert-dir", root.resolve("pki").toString(), "--kubeconfig-dir", root.toString()};
  }

  static String[] args(String[] first, String... more) {
    String[] all = java.util.Arrays.copyOf(first, first.length + more.length);
    System.arraycopy(more, 0, all, first.length, more.length);
    return all;
  }

  /** Every file below {@code root} outside {@code tmp/}, with its bytes (as text, for diffs). */
  static Map<String, String> snapshot(Path root) {
    Map<String, String> files = new TreeMap<>();
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        String rel = root.relativize(p).toString();
        if (Files.isRegularFile(p) && !rel.startsWith("tmp")) {
          files.put(rel, Files.readString(p));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return files;
  }
}
