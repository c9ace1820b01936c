package dev.kcert.core.pki;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PkiLayoutTest {
  @ParameterizedTest(name = "{0} under {1}")
  @CsvSource({
    "/var/lib/kubelet/pki/kubelet-client-current.pem, /host, /host/var/lib/kubelet/pki/kubelet-client-current.pem",
    "/etc/kubernetes/pki,                             /host, /host/etc/kubernetes/pki",
    "/,                                               /host, /host",
    "relative/file.pem,                               /host, relative/file.pem",
    "/etc/kubernetes/admin.conf,                      '',    /etc/kubernetes/admin.conf",
  })
  void absolutePathsAreReadBelowTheNodesRoot(String path, String rootfs, String expected) {
    Path root = rootfs.isEmpty() ? null : Path.of(rootfs);
    assertThat(PkiLayout.onHost(root, Path.of(path))).isEqualTo(Path.of(expected));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "/backup/node-1/etc/kubernetes,  /backup/node-1",
    "/backup/node-1/etc/kubernetes/, /backup/node-1",
    "/backup/node-1,                 /backup/node-1",
    "/backup/etc/kubernetes-old,     /backup/etc/kubernetes-old",
    "/etc/kubernetes,                /",
  })
  void aCopiedTreesRootDropsATrailingEtcKubernetes(String folder, String expected) {
    assertThat(PkiLayout.hostRoot(Path.of(folder))).isEqualTo(Path.of(expected));
    assertThat(PkiLayout.under(Path.of(folder)).rootfs()).isEqualTo(Path.of(expected));
  }

  @Test
  void etcdLooksExternalOnlyWithoutEtcdFolderAndManifest(@TempDir Path etc) throws Exception {
    PkiLayout layout = PkiLayout.under(etc);
    assertThat(layout.etcdLooksExternal()).as("no PKI folder at all: missing, not external").isFalse();
    Files.createDirectories(etc.resolve("pki"));
    assertThat(layout.etcdLooksExternal()).as("an empty PKI folder: not a kubeadm PKI").isFalse();
    Files.writeString(etc.resolve("pki/ca.crt"), "");
    assertThat(layout.etcdLooksExternal()).isTrue();
    Files.createDirectories(etc.resolve("manifests"));
    Files.writeString(etc.resolve("manifests/etcd.yaml"), "kind: Pod\n");
    assertThat(layout.etcdLooksExternal()).as("a local etcd static pod").isFalse();
    Files.delete(etc.resolve("manifests/etcd.yaml"));
    Files.createDirectories(etc.resolve("pki/etcd"));
    assertThat(layout.etcdLooksExternal()).as("pki/etcd/ is there").isFalse();
  }
}
