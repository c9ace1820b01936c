package dev.kcert.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kcert.core.node.Component;
import dev.kcert.core.node.StaticPodManifest;
import dev.kcert.core.testing.FakeNode;
import dev.kcert.core.testing.TestPki;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code renew --restart} on a fake node: order, only what changed, and the roll-back. */
class RenewRestartIT {
  @TempDir Path tmp;
  Path etc;
  FakeNode node;

  @BeforeEach
  void node() {
    etc = tmp.resolve("etc");
    node = FakeNode.create(etc).start();
    node.kubelet().clearEvents();
  }

  @AfterEach
  void stop() {
    node.close();
  }

  Cli.Run renew(String... more) {
    List<String> a = new ArrayList<>(List.of("certs", "renew"));
    a.addAll(List.of(more));
    a.addAll(List.of(Cli.dirs(etc)));
    return Cli.run(TestPki.CLOCK, a.toArray(String[]::new));
  }

  Cli.Run checkServed() {
    return Cli.run(
        TestPki.CLOCK,
        Cli.args(
            new String[] {"certs", "check-served", "--kubelet-config", node.kubeletConfig().toString()},
            Cli.dirs(etc)));
  }

  @Test
  void renewAllRestartsTheFourStaticPodsOneAtATimeInOrder() throws Exception {
    Cli.Run r = renew("all", "--restart");
    assertThat(r.code()).as(r.out() + r.err()).isZero();
    assertThat(node.kubelet().starts())
        .containsExactly("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler");
    assertThat(r.out())
        .contains("etcd is back, healthy and serving the certificate on disk")
        .contains("Restarted etcd, kube-apiserver, kube-controller-manager and kube-scheduler.")
        .doesNotContain("systemctl"); // 'renew all' leaves kubelet.conf alone, as kubeadm does
    assertThat(r.out().indexOf("Restarting etcd")).isLessThan(r.out().indexOf("Restarting kube-apiserver"));
    for (String pod : List.of("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler")) {
      assertThat(StaticPodManifest.read(etc.resolve("manifests/" + pod + ".yaml"))
              .annotation(StaticPodManifest.RESTART_ANNOTATION))
          .contains(TestPki.NOW.toString());
      assertThat(Files.getPosixFilePermissions(etc.resolve("manifests/" + pod + ".yaml")))
          .hasSize(2); // rw-------
    }
    assertThat(checkServed().code()).isEqualTo(ExitCodes.OK);
  }

  @Test
  void onlyTheComponentsWhoseCertificatesChangedAreRestarted() {
    Cli.Run r = renew("apiserver", "--restart");
    assertThat(r.code()).as(r.out() + r.err()).isZero();
    assertThat(node.kubelet().starts()).containsExactly("kube-apiserver");
    assertThat(r.out()).contains("Restarted kube-apiserver.").doesNotContain("systemctl");

    node.kubelet().clearEvents();
    Cli.Run s = renew("scheduler.conf", "--restart");
    assertThat(s.code()).as(s.out() + s.err()).isZero();
    assertThat(node.kubelet().starts()).containsExactly("kube-scheduler");
    assertThat(checkServed().code()).isEqualTo(ExitCodes.OK);
  }

  @Test
  void dryRunSaysWhatWouldBeRestartedAndTouchesNothing() {
    Map<String, String> before = Cli.snapshot(etc);
    Cli.Run r = renew("all", "--restart", "--dry-run");
    assertThat(r.code()).isZero();
    assertThat(r.out())
        .contains("Would restart, one at a time: etcd, kube-apiserver, kube-controller-manager, kube-scheduler");
    assertThat(Cli.snapshot(etc)).isEqualTo(before);
    assertThat(node.kubelet().starts()).isEmpty();
  }

  @Test
  void aComponentThatDoesNotComeBackIsRolledBack() throws Exception {
    Map<String, String> before = Cli.snapshot(etc);
    node.kubelet().failNextStarts(Component.KUBE_APISERVER, 1);
    Cli.Run r = renew("all", "--restart", "--restart-timeout", "3s");
    assertThat(r.code()).isEqualTo(ExitCodes.ERROR);
    assertThat(r.err().lines()).hasSize(1);
    assertThat(r.err())
        .startsWith("error: kube-apiserver did not come back within 3s after its restart: kube-apiserver :"
            + node.port("kube-apiserver") + ": /livez: connection refused; rolled back: the renewed"
            + " files were restored from the backup; kube-apiserver restarted with the old files; etcd"
            + " restarted with the old files");
    // etcd went first and came back; the API server did not; both were put back, latest first
    assertThat(node.kubelet().events())
        .containsExactly("start etcd", "failed kube-apiserver", "start kube-apiserver", "start etcd");
    assertThat(Cli.snapshot(etc)).isEqualTo(before);
    try (Stream<Path> backups = Files.list(etc.resolve("tmp"))) {
      Path backup = backups.filter(p -> p.getFileName().toString().startsWith("kcert-backup-")).findFirst().orElseThrow();
      assertThat(backup.resolve("manifests/etcd.yaml")).exists();
      assertThat(backup.resolve("manifests/kube-apiserver.yaml")).exists();
      assertThat(backup.resolve("manifests/kube-scheduler.yaml")).doesNotExist();
      assertThat(Files.readString(backup.resolve("kcert-journal"))).contains("state\trolled-back");
    }
    assertThat(checkServed().code()).isEqualTo(ExitCodes.OK);
  }

  @Test
  void restartOptionsAreCheckedBeforeAnythingIsWritten() {
    Map<String, String> before = Cli.snapshot(etc);
    Cli.Run r = renew("all", "--restart-timeout", "3s");
    assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(r.err()).startsWith("--restart-timeout is only used with --restart");
    Cli.Run c = renew("all", "--restart", "--csr-only", "--csr-dir", tmp.resolve("csr").toString());
    assertThat(c.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(c.err()).startsWith("--restart and --csr-only exclude each other");
    assertThat(Cli.snapshot(etc)).isEqualTo(before);
  }
}
