package dev.kcert.core.node;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kcert.core.pki.AtomicFiles;
import dev.kcert.core.testing.FakeNode;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A restart's gate against a port where a connection is accepted and never answered, as a process
 * does that accepts it while it stops (the JDK's HTTP server, stopped, can leave one so): one look
 * gives up on it after a quarter of the restart timeout and the next one reaches the restarted
 * component, where a look as long as the whole timeout failed the gate.
 */
class StaticPodRestarterIT {
  @TempDir Path tmp;

  @Test
  void aConnectionNeverAnsweredCostsOneLookNotTheRestart() throws Exception {
    try (FakeNode node = FakeNode.create(tmp.resolve("node")).start();
        ServerSocket silent = new ServerSocket()) {
      int port = FakeNode.freePort();
      silent.bind(new InetSocketAddress("127.0.0.1", port));
      List<Socket> held = new CopyOnWriteArrayList<>();
      Thread acceptor = new Thread(() -> {
        try {
          while (true) {
            held.add(silent.accept()); // accepted, never read, never answered
          }
        } catch (IOException closed) {
          // the listener is closed; what it accepted stays open and silent
        }
      });
      acceptor.setDaemon(true);
      acceptor.start();
      // the scheduler is to listen where the silent socket listens: until that goes, it cannot start
      Path manifest = NodeEndpoints.manifestsDir(node.layout().kubeconfigDir()).resolve("kube-scheduler.yaml");
      String yaml = Files.readString(manifest);
      AtomicFiles.write(manifest, yaml.replace("--secure-port=" + node.port("kube-scheduler"), "--secure-port=" + port)
          .getBytes(StandardCharsets.UTF_8), AtomicFiles.PRIVATE);
      List<String> progress = new CopyOnWriteArrayList<>();
      StaticPodRestarter restarter = new StaticPodRestarter(node.layout(),
          new StaticPodRestarter.Options(Duration.ofSeconds(4), Duration.ofMillis(100), Duration.ofSeconds(5),
              Clock.systemUTC()), progress::add);
      assertThat(restarter.lookTimeout()).isEqualTo(Duration.ofSeconds(1));
      // once the gate's first look is accepted after the manifest was changed, the silent socket
      // stops listening: the scheduler can start, and that look's connection is never answered
      Thread release = new Thread(() -> {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline
            && !(held.size() >= 2 && progress.stream().anyMatch(l -> l.startsWith("Restarting kube-scheduler")))) {
          Thread.onSpinWait();
        }
        try {
          silent.close();
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
      release.setDaemon(true);
      release.start();
      List<Component> restarted = restarter.restart(List.of(Component.KUBE_SCHEDULER), tmp.resolve("backup"), () -> {});
      assertThat(restarted).as(progress + "; " + node.kubelet().journal()).containsExactly(Component.KUBE_SCHEDULER);
      assertThat(held).hasSizeGreaterThanOrEqualTo(2);
      for (Socket s : held) {
        s.close();
      }
    }
  }
}
