package dev.kcert.core.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kcert.core.model.KcertException;
import dev.kcert.core.pki.PkiLayout;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeEndpointsTest {
  @TempDir Path tmp;

  static byte[] resource(String name) throws IOException {
    try (InputStream in = NodeEndpointsTest.class.getResourceAsStream("/manifests/" + name)) {
      return in.readAllBytes();
    }
  }

  PkiLayout layout() {
    return PkiLayout.under(tmp);
  }

  void manifest(String name) throws IOException {
    Files.createDirectories(tmp.resolve("manifests"));
    Files.write(tmp.resolve("manifests/" + name), resource(name));
  }

  static String row(ServingEndpoint e) {
    return e.component().podName() + " " + e.address() + " " + e.certFile() + " " + e.healthPath();
  }

  @Test
  void kubeadmManifestsGiveAddressesPortsAndFiles() throws IOException {
    manifest("etcd.yaml");
    manifest("kube-apiserver.yaml");
    manifest("kube-scheduler.yaml");
    NodeEndpoints.Result r = NodeEndpoints.read(layout(), tmp.resolve("no-kubelet-config.yaml"));
    assertThat(r.problems()).isEmpty();
    // no kube-controller-manager.yaml: not on this node; etcd's loopback client URL is preferred
    assertThat(r.endpoints())
        .extracting(NodeEndpointsTest::row)
        .containsExactly(
            "etcd 127.0.0.1:2379 /etc/kubernetes/pki/etcd/server.crt /health",
            "etcd 10.0.0.10:2380 /etc/kubernetes/pki/etcd/peer.crt null",
            "kube-apiserver 127.0.0.1:6443 /etc/kubernetes/pki/apiserver.crt /livez",
            "kube-scheduler 127.0.0.1:10259 null /healthz",
            "kubelet 127.0.0.1:10250 " + tmp.resolve("kubelet-pki/kubelet.crt") + " /healthz");
    assertThat(r.endpoints().get(0).source()).isEqualTo(tmp.resolve("manifests/etcd.yaml"));
  }

  @Test
  void withoutAManifestsFolderKubeadmsDefaultsApply() {
    NodeEndpoints.Result r = NodeEndpoints.read(layout(), null);
    assertThat(r.endpoints())
        .extracting(NodeEndpointsTest::row)
        .containsExactly(
            "etcd 127.0.0.1:2379 " + tmp.resolve("pki/etcd/server.crt") + " /health",
            "etcd 127.0.0.1:2380 " + tmp.resolve("pki/etcd/peer.crt") + " null",
            "kube-apiserver 127.0.0.1:6443 " + tmp.resolve("pki/apiserver.crt") + " /livez",
            "kube-controller-manager 127.0.0.1:10257 null /healthz",
            "kube-scheduler 127.0.0.1:10259 null /healthz",
            "kubelet 127.0.0.1:10250 " + tmp.resolve("kubelet-pki/kubelet.crt") + " /healthz");
  }

  @Test
  void theKubeletConfigurationSaysPortAndCertificate() throws IOException {
    Path cfg = tmp.resolve("config.yaml");
    Files.writeString(cfg, "kind: KubeletConfiguration\naddress: 10.0.0.10\nport: 11250\nserverTLSBootstrap: true\n");
    assertThat(row(NodeEndpoints.kubelet(layout(), cfg)))
        .isEqualTo("kubelet 10.0.0.10:11250 " + tmp.resolve("kubelet-pki/kubelet-server-current.pem") + " /healthz");
    Files.writeString(cfg, "port: 10250\ntlsCertFile: /srv/kubelet.pem\naddress: '::'\n");
    assertThat(row(NodeEndpoints.kubelet(layout(), cfg))).isEqualTo("kubelet [::1]:10250 /srv/kubelet.pem /healthz");
  }

  @Test
  void aBrokenManifestIsAProblemNamingTheFileAndTheOthersStillCount() throws IOException {
    manifest("kube-apiserver.yaml");
    Files.writeString(tmp.resolve("manifests/etcd.yaml"), "kind: Pod\nspec:\n  containers: [");
    Files.writeString(
        tmp.resolve("manifests/kube-scheduler.yaml"),
        new String(resource("kube-scheduler.yaml"), StandardCharsets.UTF_8)
            .replace("--bind-address=127.0.0.1", "--secure-port=99999"));
    NodeEndpoints.Result r = NodeEndpoints.read(layout(), null);
    assertThat(r.problems())
        .hasSize(2)
        .satisfiesExactly(
            p -> assertThat(p).startsWith(tmp.resolve("manifests/etcd.yaml") + ": not a valid static pod manifest: "),
            p -> assertThat(p).isEqualTo(tmp.resolve("manifests/kube-scheduler.yaml") + ": not a valid port: 99999"));
    assertThat(r.endpoints()).extracting(e -> e.component().podName()).containsExactly("kube-apiserver", "kubelet");
  }

  @Test
  void aManifestThatIsNotAPodIsRefused() {
    Path f = tmp.resolve("x.yaml");
    assertThatThrownBy(() -> StaticPodManifest.parse("kind: Deployment\n".getBytes(StandardCharsets.UTF_8), f))
        .isInstanceOf(KcertException.class)
        .hasMessage(f + ": not a valid static pod manifest: not a Pod");
    assertThatThrownBy(() -> StaticPodManifest.parse("kind: Pod\n".getBytes(StandardCharsets.UTF_8), f).flag("x"))
        .hasMessage(f + ": not a valid static pod manifest: spec.containers is empty");
  }

  @Test
  void flagsAreReadInBothSpellingsFromCommandAndArgs() {
    String yaml =
        "kind: Pod\nspec:\n  containers:\n  - command: [kube-apiserver, --secure-port, '7443']\n"
            + "    args: ['--tls-cert-file=/a.crt', --bind-address=]\n";
    StaticPodManifest m = StaticPodManifest.parse(yaml.getBytes(StandardCharsets.UTF_8), tmp.resolve("m.yaml"));
    assertThat(m.flag("secure-port")).contains("7443");
    assertThat(m.flag("tls-cert-file")).contains("/a.crt");
    assertThat(m.flag("bind-address")).contains("");
    assertThat(m.flag("tls-cert")).isEmpty();
    assertThat(NodeEndpoints.fromManifest(Component.KUBE_APISERVER, m))
        .extracting(NodeEndpointsTest::row)
        .containsExactly("kube-apiserver 127.0.0.1:7443 /a.crt /livez");
  }

  @Test
  void anAnnotationIsAddedAndEverythingElseKept() throws IOException {
    Path f = tmp.resolve("etcd.yaml");
    StaticPodManifest m = StaticPodManifest.parse(resource("etcd.yaml"), f);
    byte[] changed = m.withAnnotation(StaticPodManifest.RESTART_ANNOTATION, "2026-11-23T10:00:00Z");
    StaticPodManifest again = StaticPodManifest.parse(changed, f);
    assertThat(again.annotation(StaticPodManifest.RESTART_ANNOTATION)).contains("2026-11-23T10:00:00Z");
    assertThat(again.annotation("kubeadm.kubernetes.io/etcd.advertise-client-urls")).contains("https://10.0.0.10:2379");
    assertThat(NodeEndpoints.fromManifest(Component.ETCD, again))
        .isEqualTo(NodeEndpoints.fromManifest(Component.ETCD, StaticPodManifest.parse(resource("etcd.yaml"), f)));
    String text = new String(changed, StandardCharsets.UTF_8);
    assertThat(text).contains("  - command:\n    - etcd\n").contains("status: {}");
    // a manifest without annotations gets them
    StaticPodManifest s = StaticPodManifest.parse(resource("kube-scheduler.yaml"), f);
    assertThat(StaticPodManifest.parse(s.withAnnotation("a", "b"), f).annotation("a")).contains("b");
  }

  @Test
  void readersAreInRestartOrder() {
    assertThat(
            Component.readers(
                List.of(
                    dev.kcert.core.model.Catalogue.find("scheduler.conf").orElseThrow(),
                    dev.kcert.core.model.Catalogue.find("apiserver").orElseThrow(),
                    dev.kcert.core.model.Catalogue.find("admin.conf").orElseThrow(),
                    dev.kcert.core.model.Catalogue.find("etcd-peer").orElseThrow())))
        .containsExactly(Component.ETCD, Component.KUBE_APISERVER, Component.KUBE_SCHEDULER);
  }
}
