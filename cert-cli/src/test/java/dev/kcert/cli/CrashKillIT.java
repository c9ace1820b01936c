package dev.kcert.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kcert.core.keys.KeyPairs;
import dev.kcert.core.kubeconfig.Kubeconfig;
import dev.kcert.core.kubeconfig.KubeconfigCredentials;
import dev.kcert.core.model.Catalogue;
import dev.kcert.core.model.CatalogueEntry;
import dev.kcert.core.pem.Certificates;
import dev.kcert.core.pem.PrivateKeys;
import dev.kcert.core.pki.PkiLayout;
import dev.kcert.core.testing.TestPki;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills real {@code kcert certs renew all} processes (the packaged jar, SIGKILL) at many points of
 * their run and checks after each kill that every pair on disk is consistent or will be restored
 * by the journal the run left, then that the next run recovers and renews, leaving every pair
 * consistent and every file in place.
 *
 * <p>Kill points: named steps (the test-only hook of {@code StepHook}: {@code
 * -Dkcert.test.step-log=FILE} numbers every writing step of the file operations, {@code
 * -Dkcert.test.pause-at=N} makes the process wait at step N, where it is killed), spread evenly
 * over the steps of a renewal, most of them in the write and rename phase; random time offsets
 * over a whole run (start-up, planning, key making); and a second kill early in the run that
 * recovers from the first (during its recovery). The number of kills is {@code
 * KCERT_CRASH_KILLS} (default 20); {@code bench/run} runs a few hundred and reads the counts from
 * the file named by {@code KCERT_CRASH_REPORT}.
 */
class CrashKillIT {
  static final Path JAR = Path.of("target/kcert.jar");

  @TempDir Path tmp;

  @Test
  void killedRenewalsAlwaysRecoverToConsistentPairs() throws Exception {
    int kills = Integer.parseInt(System.getenv().getOrDefault("KCERT_CRASH_KILLS", "20"));
    Path root = tmp.resolve("etc");
    PkiLayout layout = TestPki.in(root).clock(Clock.systemUTC()).create();
    Set<String> files = files(root);
    Random random = new Random(kills);

    // calibration: how many steps and how long one whole renewal takes
    Path calibrationLog = tmp.resolve("steps-0");
    long t0 = System.nanoTime();
    Run first = start(layout, calibrationLog, -1);
    assertThat(first.process.waitFor(120, TimeUnit.SECONDS)).isTrue();
    long wholeRunMillis = (System.nanoTime() - t0) / 1_000_000;
    assertThat(first.process.exitValue()).as(first.output()).isZero();
    int steps = lines(calibrationLog).size();
    assertThat(steps).isGreaterThan(40);
    assertConsistent(layout, Instant.now().minus(Duration.ofMinutes(10)));

    int atSteps = 0;
    int atTimes = 0;
    int inRecovery = 0;
    int brokenSeen = 0;
    int named = kills * 2 / 3;
    for (int i = 0; i < kills; i++) {
      Instant started = Instant.now().minus(Renewal.BACKDATE);
      Path log = tmp.resolve("steps-" + (i + 1));
      if (i < named) {
        int step = 1 + (int) ((long) i * steps / named);
        Run run = start(layout, log, step);
        waitForStep(run, log, step);
        kill(run);
        atSteps++;
      } else {
        Run run = start(layout, log, -1);
        Thread.sleep(random.nextInt((int) Math.max(1, wholeRunMillis)));
        kill(run);
        atTimes++;
      }
      boolean broken = !brokenPairs(layout).isEmpty();
      if (broken) {
        brokenSeen++;
        assertThat(inProgressJournals(root)).as("a broken pair after kill %d has a journal", i).isNotEmpty();
      }
      assertThat(files(root)).as("files after kill %d", i).containsAll(files);

      if (i % 4 == 3 && !inProgressJournals(root).isEmpty()) {
        // kill the run that recovers, early: in or just after its recovery
        Path again = tmp.resolve("steps-" + (i + 1) + "-recovery");
        int step = 1 + random.nextInt(6);
        Run run = start(layout, again, step);
        waitForStep(run, again, step);
        kill(run);
        inRecovery++;
        assertThat(files(root)).containsAll(files);
      }

      Run done = start(layout, tmp.resolve("steps-" + (i + 1) + "-done"), -1);
      assertThat(done.process.waitFor(120, TimeUnit.SECONDS)).isTrue();
      assertThat(done.process.exitValue()).as("run after kill %d: %s", i, done.output()).isZero();
      assertThat(inProgressJournals(root)).as("after the run that followed kill %d", i).isEmpty();
      assertConsistent(layout, started);
      assertThat(files(root)).as("files after the run that followed kill %d", i).isEqualTo(files);
    }
    String report = System.getenv("KCERT_CRASH_REPORT");
    if (report != null) {
      Files.writeString(Path.of(report), (atSteps + atTimes + inRecovery) + " " + brokenSeen + "\n");
    }
    System.out.printf(
        "CrashKillIT: %d renew processes killed (%d at named steps of %d, %d at time offsets"
            + " within %d ms, %d during a recovery), %d left a pair broken until recovery;"
            + " every following run recovered, every pair consistent%n",
        atSteps + atTimes + inRecovery, atSteps, steps, atTimes, wholeRunMillis, inRecovery,
        brokenSeen);
  }

  /** kubeadm's backdating: certificates renewed after {@code t} start at or after t - 5 min. */
  private static final class Renewal {
    static final Duration BACKDATE = Duration.ofMinutes(5).plusSeconds(5);
  }

  record Run(Process process, Path out) {
    String output() {
      try {
        return Files.readString(out);
      } catch (IOException e) {
        return "(no output: " + e + ")";
      }
    }
  }

  private Run start(PkiLayout layout, Path stepLog, int pauseAt) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add("java");
    cmd.add("-XX:+UseSerialGC");
    cmd.add("-XX:TieredStopAtLevel=1"); // ECDSA keys: C1 alone starts faster, as reports do
    cmd.add("-Dkcert.test.step-log=" + stepLog);
    if (pauseAt > 0) {
      cmd.add("-Dkcert.test.pause-at=" + pauseAt);
    }
    cmd.addAll(List.of("-jar", JAR.toString(), "certs", "renew", "all",
        "--cert-dir", layout.certDir().toString(),
        "--kubeconfig-dir", layout.kubeconfigDir().toString()));
    Path out = Files.createTempFile(tmp, "out-", ".txt");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
    p.getOutputStream().close();
    return new Run(p, out);
  }

  private static void waitForStep(Run run, Path log, int step) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    String prefix = step + " ";
    while (System.nanoTime() < deadline) {
      if (Files.exists(log) && lines(log).stream().anyMatch(l -> l.startsWith(prefix))) {
        return;
      }
      if (!run.process.isAlive()) {
        throw new AssertionError(
            "the run ended before step " + step + " (exit " + run.process.exitValue() + "): "
                + run.output());
      }
      Thread.sleep(10);
    }
    throw new AssertionError("step " + step + " not reached within 120 s");
  }

  private static void kill(Run run) throws InterruptedException {
    run.process.destroyForcibly(); // SIGKILL
    assertThat(run.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
  }

  private static List<String> lines(Path file) {
    try {
      return Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Every regular file outside {@code tmp/}, without kcert's temporary files. */
  private static Set<String> files(Path root) throws IOException {
    Set<String> names = new TreeSet<>();
    try (Stream<Path> s = Files.walk(root)) {
      s.filter(Files::isRegularFile)
          .map(p -> root.relativize(p).toString())
          .filter(n -> !n.startsWith("tmp/") && !n.endsWith(".kcert-tmp"))
          .forEach(names::add);
    }
    return names;
  }

  private static List<Path> inProgressJournals(Path root) throws IOException {
    Path tmp = root.resolve("tmp");
    if (!Files.isDirectory(tmp)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(tmp)) {
      return s.map(d -> d.resolve("kcert-journal"))
          .filter(Files::isRegularFile)
          .filter(j -> lines(j).contains("state\tin-progress"))
          .toList();
    }
  }

  /** Names of pairs (certificate and key, or a kubeconfig's embedded pair) that disagree. */
  private static List<String> brokenPairs(PkiLayout layout) {
    List<String> broken = new ArrayList<>();
    for (CatalogueEntry e : Catalogue.renewable()) {
      try {
        Pair p = pair(layout, e);
        if (!KeyPairs.matches(p.key, p.cert.getPublicKey())) {
          broken.add(e.name());
        }
      } catch (RuntimeException ex) {
        broken.add(e.name() + " (" + ex.getMessage() + ")");
      }
    }
    return broken;
  }

  record Pair(X509Certificate cert, PrivateKey key, byte[] caData) {}

  private static Pair pair(PkiLayout layout, CatalogueEntry e) {
    Path file = layout.certFile(e);
    if (e.isKubeconfig()) {
      KubeconfigCredentials c = Kubeconfig.read(file).credentials();
      return new Pair(
          Certificates.parseBundle(c.clientCertificate().load(), file.toString()).get(0),
          PrivateKeys.parse(c.clientKey().load(), file.toString()),
          c.certificateAuthority().load());
    }
    return new Pair(Certificates.readBundle(file).get(0), PrivateKeys.read(layout.keyFile(e)), null);
  }

  /** Every pair matches, chains to its CA, embeds the CA alone, and was renewed after {@code t}. */
  private static void assertConsistent(PkiLayout layout, Instant t) {
    assertThat(brokenPairs(layout)).isEmpty();
    for (CatalogueEntry e : Catalogue.renewable()) {
      Pair p = pair(layout, e);
      X509Certificate ca = Certificates.readBundle(layout.certFile(Catalogue.ca(e.caName()))).get(0);
      assertThat(Certificates.isSignedBy(p.cert, ca)).as(e.name()).isTrue();
      assertThat(p.cert.getNotBefore().toInstant()).as(e.name()).isAfterOrEqualTo(t);
      if (p.caData != null) {
        assertThat(new String(p.caData, StandardCharsets.US_ASCII)).isEqualTo(Certificates.toPem(ca));
      }
    }
  }
}
