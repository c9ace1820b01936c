package dev.kcert.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kcert.core.rotation.NodeFiles;
import dev.kcert.core.rotation.Phase;
import dev.kcert.core.rotation.Rotation;
import dev.kcert.core.testing.FakeNode;
import dev.kcert.core.testing.TestPki;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The crash window of {@code --restart}: the record that a phase is not proven yet ({@code
 * kcert-rotation/<ca>/restarts}) is written before the phase's first file, so a {@code kcert ca
 * trust-both --restart} killed (SIGKILL, the packaged jar on a {@link FakeNode}) just before its
 * state is recorded, or after it while the restarts run, leaves a phase that status calls
 * unproven and that the next phase refuses; running it again with {@code --restart} restarts
 * what it wrote.
 */
class CaRestartWindowIT {
  @TempDir Path tmp;

  @Test
  void aPhaseKilledBeforeOrAfterItsStateIsNeverTakenForProven() throws Exception {
    // calibration: where the record, the first PKI file and the state are written
    List<String> steps;
    try (FakeNode a = FakeNode.create(tmp.resolve("a")).start()) {
      Path etc = tmp.resolve("a");
      assertThat(cli(etc, a, "prepare", "etcd-ca").code()).isZero();
      Path log = tmp.resolve("steps-a");
      Process p = jar(etc, a, log, -1);
      assertThat(p.waitFor(180, TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).isZero();
      steps = Files.readAllLines(log, StandardCharsets.UTF_8);
    }
    int record = index(steps, " rename restarts");
    int firstPki = index(steps, " ca.crt");
    int state = index(steps, " rename state");
    assertThat(record).as("%s", steps).isNotNegative().isLessThan(firstPki);
    assertThat(firstPki).isLessThan(state);

    // killed just before the state's rename: files written, state still at prepare
    try (FakeNode b = FakeNode.create(tmp.resolve("b")).start()) {
      Path etc = tmp.resolve("b");
      assertThat(cli(etc, b, "prepare", "etcd-ca").code()).isZero();
      Path log = tmp.resolve("steps-b");
      int at = Integer.parseInt(steps.get(state).split(" ")[0]);
      Process p = jar(etc, b, log, at);
      waitForStep(p, log, at);
      p.destroyForcibly();
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
      Rotation r = Rotation.of(NodeFiles.under(etc), "etcd-ca", TestPki.CLOCK);
      assertThat(r.phase()).isEqualTo(Phase.PREPARED);
      assertThat(Files.readString(etc.resolve("pki/kcert-rotation/etcd-ca/restarts")))
          .contains("phase\ttrust-both\n").contains("pod\tetcd\n").contains("pod\tkube-apiserver\n");
      Cli.Run status = cli(etc, b, "status", "etcd-ca");
      assertThat(status.code()).isEqualTo(ExitCodes.ERROR);
      assertThat(status.out()).contains("the files hold trust-both already")
          .contains("trust-both was started with --restart and did not complete");
      assertRetryRestartsAndProves(etc, b);
    }

    // killed after the state, while the restarts run
    try (FakeNode c = FakeNode.create(tmp.resolve("c")).start()) {
      Path etc = tmp.resolve("c");
      assertThat(cli(etc, c, "prepare", "etcd-ca").code()).isZero();
      c.kubelet().clearEvents();
      Process p = jar(etc, c, tmp.resolve("steps-c"), -1);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
      while (c.kubelet().events().isEmpty() && p.isAlive() && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertThat(p.isAlive()).as("the run was still restarting when killed").isTrue();
      p.destroyForcibly();
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
      Rotation r = Rotation.of(NodeFiles.under(etc), "etcd-ca", TestPki.CLOCK);
      assertThat(r.phase()).isEqualTo(Phase.TRUST_BOTH);
      Cli.Run status = cli(etc, c, "status", "etcd-ca");
      assertThat(status.code()).isEqualTo(ExitCodes.ERROR);
      assertThat(status.out()).contains("NOT proven by its restarts and served proof yet: run kcert ca"
          + " trust-both --ca etcd-ca --restart again");
      Cli.Run next = cli(etc, c, "reissue", "etcd-ca");
      assertThat(next.code()).isEqualTo(ExitCodes.ERROR);
      assertThat(next.err()).contains("etcd-ca: phase trust-both is not proven");
      assertRetryRestartsAndProves(etc, c);
    }
  }

  private void assertRetryRestartsAndProves(Path etc, FakeNode node) {
    node.kubelet().awaitServing(java.time.Duration.ofSeconds(30));
    node.kubelet().clearEvents();
    Cli.Run again = cli(etc, node, "trust-both", "etcd-ca", "--restart");
    assertThat(again.code()).as(again.out() + again.err()).isZero();
    assertThat(again.out()).contains("etcd-ca: trust-both proven: restarted etcd and kube-apiserver;");
    assertThat(node.kubelet().starts()).containsExactly("etcd", "kube-apiserver");
    assertThat(etc.resolve("pki/kcert-rotation/etcd-ca/restarts")).doesNotExist();
    assertThat(cli(etc, node, "status", "etcd-ca").code()).isZero();
  }

  private static int index(List<String> steps, String contains) {
    for (int i = 0; i < steps.size(); i++) {
      if (steps.get(i).contains(contains)) {
        return i;
      }
    }
    return -1;
  }

  private static Cli.Run cli(Path etc, FakeNode node, String verb, String ca, String... more) {
    List<String> a = new ArrayList<>(List.of("ca", verb, "--ca", ca));
    a.addAll(List.of(more));
    a.addAll(List.of(Cli.dirs(etc)));
    a.addAll(List.of("--manifest-dir", etc.resolve("manifests").toString(),
        "--kubelet-config", node.kubeletConfig().toString()));
    return Cli.run(TestPki.CLOCK, a.toArray(String[]::new));
  }

  /** {@code kcert ca trust-both --ca etcd-ca --restart} as the packaged jar. */
  private Process jar(Path etc, FakeNode node, Path stepLog, int pauseAt) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("java", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-Dkcert.test.step-log=" + stepLog));
    if (pauseAt > 0) {
      cmd.add("-Dkcert.test.pause-at=" + pauseAt);
    }
    cmd.addAll(List.of("-jar", KcertJarIT.JAR.toString(), "ca", "trust-both", "--ca", "etcd-ca",
        "--restart", "--cert-dir", etc.resolve("pki").toString(), "--kubeconfig-dir", etc.toString(),
        "--manifest-dir", etc.resolve("manifests").toString(),
        "--kubelet-config", node.kubeletConfig().toString()));
    Path out = Files.createTempFile(tmp, "out-", ".txt");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
    p.getOutputStream().close();
    return p;
  }

  private static void waitForStep(Process p, Path log, int step) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    String prefix = step + " ";
    while (System.nanoTime() < deadline) {
      if (Files.exists(log) && Files.readAllLines(log).stream().anyMatch(l -> l.startsWith(prefix))) {
        return;
      }
      assertThat(p.isAlive()).as("the run ended before step %d", step).isTrue();
      Thread.sleep(10);
    }
    throw new AssertionError("step " + step + " not reached within 120 s");
  }
}
