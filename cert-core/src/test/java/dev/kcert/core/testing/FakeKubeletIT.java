package dev.kcert.core.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kcert.core.node.NodeEndpoints;
import dev.kcert.core.node.ServedCheck;
import dev.kcert.core.node.TlsProbe;
import dev.kcert.core.pki.AtomicFiles;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fake kubelet when a component cannot bind one of its ports (another process holds it): the
 * ports it did bind are let go, the failure is in its events and journal, the other components are
 * still looked after, it tries again with a back-off and comes up once the port is free, and
 * nothing stays bound after {@link FakeKubelet#close()}.
 */
class FakeKubeletIT {
  @TempDir Path tmp;

  private static final TlsProbe PROBE = TlsProbe.withTimeout(Duration.ofSeconds(5));

  @Test
  void aComponentThatCannotBindLetsGoOfItsOtherPortsAndComesUpWhenThePortIsFree() throws Exception {
    FakeNode node = FakeNode.create(tmp).start();
    int client = node.port("etcd");
    int oldPeer = node.port("etcd-peer");
    int newPeer = FakeNode.freePort();
    List<String> told = new CopyOnWriteArrayList<>();
    node.kubelet().addListener((c, hash, ready) -> told.add(c.podName() + " " + ready));
    Path manifest = NodeEndpoints.manifestsDir(node.layout().kubeconfigDir()).resolve("etcd.yaml");
    try (node;
        ServerSocket squatter = new ServerSocket()) {
      squatter.bind(new InetSocketAddress("127.0.0.1", newPeer));
      // etcd's peer port moves to a port someone else holds: the client port binds, the peer not
      node.kubelet().clearEvents();
      String yaml = Files.readString(manifest);
      AtomicFiles.write(manifest, yaml.replace("127.0.0.1:" + oldPeer, "127.0.0.1:" + newPeer)
          .getBytes(StandardCharsets.UTF_8), AtomicFiles.PRIVATE);
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (failedBinds(node) < 2 && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertThat(failedBinds(node)).as(node.kubelet().journal()).isGreaterThanOrEqualTo(2);
      // a component that did not start serves none of its ports
      assertThat(PROBE.fetch("127.0.0.1", client).reached()).as(node.kubelet().journal()).isFalse();
      assertThat(node.kubelet().starts()).doesNotContain("etcd");
      assertThat(node.kubelet().events())
          .filteredOn(e -> e.startsWith("cannot start etcd"))
          .hasSizeGreaterThanOrEqualTo(2)
          .allSatisfy(e -> assertThat(e).contains(":" + newPeer).contains("Address already in use"));
      assertThatThrownBy(() -> node.kubelet().awaitServing(Duration.ofMillis(300)))
          .hasMessageContaining("cannot start etcd");
      assertThat(told).doesNotContain("etcd true");
      // the other components are looked after meanwhile: a changed manifest is acted on
      Path apiserver = manifest.resolveSibling("kube-apiserver.yaml");
      AtomicFiles.write(apiserver, (Files.readString(apiserver) + "# changed\n").getBytes(StandardCharsets.UTF_8),
          AtomicFiles.PRIVATE);
      deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (!node.kubelet().starts().contains("kube-apiserver") && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertThat(node.kubelet().starts()).as(node.kubelet().journal()).containsExactly("kube-apiserver");

      squatter.close();
      node.kubelet().awaitServing(Duration.ofSeconds(20));
      assertThat(node.kubelet().starts()).as(node.kubelet().journal()).containsExactly("kube-apiserver", "etcd");
      assertThat(told).containsExactly("kube-apiserver true", "etcd true");
      Path pki = node.layout().certDir();
      assertThat(ServedCheck.same(PROBE.fetch("127.0.0.1", client).leaf(),
          ServedCheck.readCertificate(pki.resolve("etcd/server.crt")))).isTrue();
      assertThat(ServedCheck.same(PROBE.fetch("127.0.0.1", newPeer).leaf(),
          ServedCheck.readCertificate(pki.resolve("etcd/peer.crt")))).isTrue();
    }
    // closed: every port it served is free again
    for (int port : List.of(client, newPeer, node.port("kube-apiserver"), node.port("kube-controller-manager"),
        node.port("kube-scheduler"), node.port("kubelet"))) {
      assertThat(bindable(port)).as("port " + port + " free after close; " + node.kubelet().journal()).isTrue();
    }
  }

  /**
   * kcert's own reading refuses a file renamed over between its look and its open; the kubelet
   * reads plainly, so a manifest replaced by the same bytes, however often, restarts nothing.
   */
  @Test
  void aManifestRenamedOverWithTheSameBytesRestartsNothing() throws Exception {
    try (FakeNode node = FakeNode.create(tmp).start()) {
      Path manifest = NodeEndpoints.manifestsDir(node.layout().kubeconfigDir()).resolve("kube-scheduler.yaml");
      byte[] same = Files.readAllBytes(manifest);
      node.kubelet().clearEvents();
      long end = System.nanoTime() + Duration.ofSeconds(3).toNanos();
      int renames = 0;
      while (System.nanoTime() < end) {
        AtomicFiles.write(manifest, same, AtomicFiles.PRIVATE);
        renames++;
      }
      node.kubelet().awaitServing(Duration.ofSeconds(10));
      assertThat(node.kubelet().events()).as(renames + " renames; " + node.kubelet().journal()).isEmpty();
    }
  }

  private static long failedBinds(FakeNode node) {
    return node.kubelet().events().stream().filter(e -> e.contains("Address already in use")).count();
  }

  private static boolean bindable(int port) {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress("127.0.0.1", port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
