package dev.kcert.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kcert.core.keys.KeyAlgorithm;
import dev.kcert.core.renewal.FileOps;
import dev.kcert.core.renewal.Installer;
import dev.kcert.core.rotation.NewCa;
import dev.kcert.core.rotation.NodeFiles;
import dev.kcert.core.rotation.Phase;
import dev.kcert.core.rotation.Rotation;
import dev.kcert.core.testing.StaticPods;
import dev.kcert.core.testing.TestPki;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kcert ca reissue} as a separate process, killed (SIGKILL) the moment its installation
 * journal appears (inside the phase: files are being staged or renamed), and once after a fixed
 * delay. The next run of the phase finishes it, or {@code abort} returns the node to the old CA,
 * and {@code status} then finds every place as the phase says.
 */
class CaJarIT {
  @TempDir Path tmp;

  @Test
  void aKilledReissueResumesOrAborts() throws Exception {
    int inside = 0;
    int runs = 3;
    for (int i = 0; i < runs; i++) {
      Path root = tmp.resolve("node-" + i);
      TestPki.in(root).clock(Clock.systemUTC()).create();
      StaticPods.write(root);
      NodeFiles node = NodeFiles.under(root);
      Rotation r = Rotation.of(node, "ca", Clock.systemUTC());
      r.prepare(new NewCa.Generate(KeyAlgorithm.ECDSA_P256, Duration.ofDays(3650)), false);
      r.advance(Phase.TRUST_BOTH, false);

      Set<Path> before = backups(node.backupParent());
      Process p = start(root, "reissue");
      if (i == runs - 1) {
        Thread.sleep(1500);
      } else {
        waitForJournal(node.backupParent(), before, p);
      }
      p.destroyForcibly();
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
      if (!new Installer(FileOps.system()).interrupted(node.layout()).isEmpty()) {
        inside++;
      }
      boolean abort = i % 2 == 1;
      Process next = start(root, abort ? "abort" : "reissue");
      assertThat(next.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(next.exitValue()).as("%s after kill %d", abort ? "abort" : "reissue", i).isZero();
      Process status = start(root, "status");
      assertThat(status.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(status.exitValue()).as("status after kill %d", i).isZero();
      assertThat(r.phase()).isEqualTo(abort ? Phase.NONE : Phase.REISSUED);
    }
    System.out.println("CaJarIT: " + inside + " of " + runs + " kills landed inside the installation");
    assertThat(inside).as("kills that left a half-done installation to recover").isPositive();
  }

  /** Polls (bounded, 60 s) until a new backup folder holds the running phase's journal. */
  private static void waitForJournal(Path backupParent, Set<Path> before, Process p) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline && p.isAlive()) {
      for (Path d : backups(backupParent)) {
        if (!before.contains(d) && Files.exists(d.resolve("kcert-journal"))) {
          return;
        }
      }
      Thread.sleep(1);
    }
  }

  private static Set<Path> backups(Path backupParent) throws IOException {
    try (Stream<Path> s = Files.list(backupParent)) {
      return s.filter(d -> d.getFileName().toString().startsWith(Installer.BACKUP_PREFIX))
          .collect(java.util.stream.Collectors.toSet());
    }
  }

  private static Process start(Path root, String verb) throws IOException {
    List<String> cmd = new ArrayList<>(List.of("java", "-jar", KcertJarIT.JAR.toString(), "ca", verb,
        "--cert-dir", root.resolve("pki").toString(), "--kubeconfig-dir", root.toString(),
        "--manifest-dir", root.resolve("manifests").toString(),
        "--kubelet-config", root.resolve("kubelet-config.yaml").toString()));
    return new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
  }
}
