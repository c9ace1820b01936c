package dev.kcert.cli;

import static dev.kcert.cli.Cli.args;
import static dev.kcert.cli.Cli.dirs;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.kcert.core.testing.Fixtures;
import dev.kcert.core.testing.TestPki;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutates generated PKIs and the real kubeadm trees of {@code ../shared/fixtures/kubeadm} (when
 * present) and runs every reading command on each: check-expiration (text, JSON, YAML, with
 * --check-keys and --include-kubelet), renew --dry-run and renew --csr-only (reusing the keys, or
 * with ECDSA ones) into a folder outside the tree. Each run must end within 10 s with a documented exit code, print no stack trace and
 * no Java class name, raise nothing, and leave every input file as it was.
 *
 * <p>{@code -Dkcert.fuzz.cases=N} (default 80) and {@code -Dkcert.fuzz.seed=S} set the campaign;
 * bench/run runs a larger one. The counts are printed.
 */
class ReadingFuzzIT {
  private static final int CASES = Integer.getInteger("kcert.fuzz.cases", 80);
  private static final long SEED = Long.getLong("kcert.fuzz.seed", 20261130L);
  private static final long LIMIT_SECONDS = 10;
  private static final Pattern JAVA_NAME =
      Pattern.compile("\\tat |(?:[a-z]\\w*\\.)+[A-Z]\\w*(?:Exception|Error)\\b|Exception:");

  enum Mutation {
    TRUNCATE, BIT_FLIPS, WRONG_PEM_LABEL, ENCRYPTED_KEY, YAML_ALIASES, DEEP_NESTING, NON_UTF8, CRLF,
    HUGE_FILE, LONG_YAML_LINE, EMPTY, DEVICE, FIFO, DIRECTORY
  }

  @TempDir Path tmp;

  @Test
  void everyReadingCommandSurvivesMutatedInput() throws Exception {
    List<Path> bases = new ArrayList<>();
    Path generated = tmp.resolve("base-generated");
    Cli.pki(generated);
    bases.add(generated);
    Path rsa = tmp.resolve("base-rsa");
    TestPki.in(rsa).create();
    bases.add(rsa);
    Fixtures.root().ifPresent(root -> {
      try (Stream<Path> trees = Files.list(root)) {
        trees.filter(Files::isDirectory).sorted().forEach(bases::add);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });

    Random random = new Random(SEED);
    Map<String, Integer> byMutation = new TreeMap<>();
    Map<Integer, Integer> byExitCode = new TreeMap<>();
    long runs = 0;
    long slowest = 0;
    ExecutorService pool = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "fuzz-run");
      t.setDaemon(true);
      return t;
    });
    try {
      for (int i = 0; i < CASES; i++) {
        Path base = bases.get(random.nextInt(bases.size()));
        Path root = tmp.resolve("case-" + i);
        copyTree(base, root);
        List<Path> files = files(root);
        Path target = files.get(random.nextInt(files.size()));
        Mutation m = Mutation.values()[random.nextInt(Mutation.values().length)];
        mutate(m, target, random);
        byMutation.merge(m.name(), 1, Integer::sum);
        String what = "case " + i + " (seed " + SEED + "): " + m + " on " + root.relativize(target)
            + " of " + base.getFileName();
        Map<String, byte[]> before = snapshot(root);
        Path csrDir = tmp.resolve("csr-" + i);
        List<String[]> commands = List.of(
            new String[] {"certs", "check-expiration", "--check-keys", "--include-kubelet",
                "--kubelet-dir", root.resolve("kubelet-pki").toString()},
            new String[] {"certs", "check-expiration", "-o", "json", "--check-keys"},
            new String[] {"certs", "check-expiration", "-o", "yaml"},
            new String[] {"certs", "renew", "all", "--dry-run"},
            // existing keys, or fast new ones: RSA key making would time the machine, not kcert
            new String[] {"certs", "renew", "all", "--csr-only", "--csr-dir", csrDir.toString(),
                random.nextBoolean() ? "--reuse-key" : "--key-algorithm=ECDSA-P256"});
        for (String[] command : commands) {
          String[] full = args(command, dirs(root));
          long start = System.nanoTime();
          Future<Cli.Run> f = pool.submit(() -> Cli.run(Clock.systemUTC(), full));
          Cli.Run r;
          try {
            r = f.get(LIMIT_SECONDS, TimeUnit.SECONDS);
          } catch (TimeoutException e) {
            f.cancel(true);
            fail("%s: %s ran over %d s", what, String.join(" ", command), LIMIT_SECONDS);
            return;
          } catch (java.util.concurrent.ExecutionException e) {
            throw new AssertionError(what + ": " + String.join(" ", command) + " threw", e.getCause());
          }
          slowest = Math.max(slowest, (System.nanoTime() - start) / 1_000_000);
          runs++;
          byExitCode.merge(r.code(), 1, Integer::sum);
          String label = what + ": " + String.join(" ", command);
          assertThat(r.code()).as(label).isBetween(0, 5);
          assertThat(JAVA_NAME.matcher(r.err()).find()).as("%s printed%n%s", label, r.err()).isFalse();
          assertThat(JAVA_NAME.matcher(r.out()).find()).as("%s printed%n%s", label, r.out()).isFalse();
        }
        Map<String, byte[]> after = snapshot(root);
        assertThat(after.keySet()).as(what).isEqualTo(before.keySet());
        for (String k : before.keySet()) {
          assertThat(after.get(k)).as("%s changed %s", what, k).isEqualTo(before.get(k));
        }
        deleteTree(root);
        deleteTree(csrDir);
      }
    } finally {
      pool.shutdownNow();
    }
    System.out.printf(
        "reading fuzz: %d cases (seed %d) over %d base trees, %d command runs, slowest %d ms;"
            + " mutations %s; exit codes %s; 0 stack traces, 0 hangs, 0 changed inputs%n",
        CASES, SEED, bases.size(), runs, slowest, byMutation, byExitCode);
  }

  private static void mutate(Mutation m, Path file, Random random) throws IOException {
    byte[] data = Files.readAllBytes(file);
    String text = new String(data, StandardCharsets.ISO_8859_1);
    byte[] out =
        switch (m) {
          case TRUNCATE -> Arrays.copyOf(data, data.length == 0 ? 0 : random.nextInt(data.length));
          case BIT_FLIPS -> {
            byte[] b = data.clone();
            for (int n = 1 + random.nextInt(8); n > 0 && b.length > 0; n--) {
              b[random.nextInt(b.length)] ^= (byte) (1 << random.nextInt(8));
            }
            yield b;
          }
          case WRONG_PEM_LABEL -> {
            String[] labels = {"CERTIFICATE", "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY",
                "PUBLIC KEY", "X509 CRL", "CERTIFICATE REQUEST", "ENCRYPTED PRIVATE KEY"};
            String to = labels[random.nextInt(labels.length)];
            yield bytes(text.replaceAll("-----(BEGIN|END) [A-Z0-9 ]+-----", "-----$1 " + to + "-----"));
          }
          case ENCRYPTED_KEY -> bytes(text.replaceFirst(
              "(-----BEGIN [A-Z ]+-----\n)",
              "$1Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,0123456789ABCDEF0123456789ABCDEF\n\n"));
          case YAML_ALIASES -> {
            StringBuilder sb = new StringBuilder("a: &a [x, x, x, x, x, x, x, x, x]\n");
            char prev = 'a';
            for (char c = 'b'; c <= 'r'; c++) {
              sb.append(c).append(": &").append(c).append(" [");
              for (int k = 0; k < 9; k++) {
                sb.append(k == 0 ? "" : ", ").append('*').append(prev);
              }
              sb.append("]\n");
              prev = c;
            }
            yield bytes(text + "\n" + sb);
          }
          case DEEP_NESTING -> {
            int depth = 5_000 + random.nextInt(50_000);
            yield bytes("clusters: " + "[".repeat(depth) + "]".repeat(depth) + "\n" + text);
          }
          case NON_UTF8 -> {
            byte[] b = data.clone();
            for (int n = 0; n < 16 && b.length > 0; n++) {
              b[random.nextInt(b.length)] = (byte) (0x80 + random.nextInt(0x80));
            }
            yield b;
          }
          case CRLF -> bytes(text.replace("\n", "\r\n"));
          case HUGE_FILE -> {
            byte[] b = new byte[(1 << 20) + 1 + random.nextInt(1 << 20)];
            Arrays.fill(b, (byte) 'A');
            System.arraycopy(data, 0, b, 0, Math.min(data.length, b.length));
            yield b;
          }
          case LONG_YAML_LINE -> {
            char[] line = new char[200_000 + random.nextInt(700_000)];
            Arrays.fill(line, 'Q');
            yield bytes(text.replaceFirst("(client-key-data|client-certificate-data): \\S+",
                "$1: " + new String(line)) + "\nx: " + new String(line) + "\n");
          }
          case EMPTY -> new byte[0];
          case DEVICE, FIFO, DIRECTORY -> null;
        };
    Files.delete(file);
    switch (m) {
      case DEVICE -> Files.createSymbolicLink(file, Path.of("/dev/zero"));
      case DIRECTORY -> Files.createDirectory(file);
      case FIFO -> {
        try {
          Process p = new ProcessBuilder("mkfifo", file.toString()).inheritIO().start();
          if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
            Files.createSymbolicLink(file, Path.of("/dev/zero")); // no mkfifo: a device instead
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException(e);
        }
      }
      default -> Files.write(file, out);
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  private static List<Path> files(Path root) throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      return s.filter(Files::isRegularFile)
          .filter(p -> p.toString().matches(".*\\.(crt|key|conf|pem|pub)$"))
          .sorted()
          .toList();
    }
  }

  /** Every file and special file of the tree: its bytes, or its kind when it cannot be read. */
  private static Map<String, byte[]> snapshot(Path root) throws IOException {
    Map<String, byte[]> out = new TreeMap<>();
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.toList()) {
        String rel = root.relativize(p).toString();
        if (Files.isSymbolicLink(p)) {
          out.put(rel, bytes("link " + Files.readSymbolicLink(p)));
        } else if (Files.isRegularFile(p)) {
          out.put(rel, Files.readAllBytes(p));
        } else {
          out.put(rel, bytes(Files.isDirectory(p) ? "dir" : "special"));
        }
      }
    }
    return out;
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> s = Files.walk(from)) {
      for (Path p : s.toList()) {
        Path dest = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(dest);
        } else if (Files.isRegularFile(p)) {
          Files.copy(p, dest);
        }
      }
    }
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
