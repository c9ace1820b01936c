package dev.kcert.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kcert.core.node.Component;
import dev.kcert.core.testing.FakeNode;
import dev.kcert.core.testing.TestPki;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code check-served} against a fake node whose kubelet serves what the manifests say. */
class CheckServedIT {
  @TempDir Path tmp;
  FakeNode node;

  @AfterEach
  void stop() {
    if (node != null) {
      node.close();
    }
  }

  String[] args(String... more) {
    List<String> a = new ArrayList<>(List.of("certs", "check-served"));
    a.addAll(List.of(Cli.dirs(tmp.resolve("etc"))));
    a.addAll(List.of("--kubelet-dir", node.layout().kubeletDir().toString()));
    a.addAll(List.of("--kubelet-config", node.kubeletConfig().toString(), "--timeout", "3s"));
    a.addAll(List.of(more));
    return a.toArray(String[]::new);
  }

  @Test
  void everyPortServesItsFile() {
    node = FakeNode.create(tmp.resolve("etc")).start();
    Cli.Run r = Cli.run(TestPki.CLOCK, args());
    assertThat(r.err()).isEmpty();
    assertThat(r.code()).isEqualTo(ExitCodes.OK);
    List<String> lines = r.out().lines().toList();
    assertThat(lines.get(0)).startsWith("COMPONENT").contains("ADDRESS", "RESULT", "SERVED EXPIRES");
    assertThat(lines.subList(1, lines.size()))
        .extracting(l -> l.split("\\s+")[0] + " " + l.split("\\s+")[2])
        .containsExactly(
            "etcd match",
            "etcd match",
            "kube-apiserver match",
            "kube-controller-manager no-file",
            "kube-scheduler no-file",
            "kubelet match");
    assertThat(r.out()).contains("127.0.0.1:" + node.port("kube-apiserver"));
  }

  @Test
  void aComponentRenewedButNeverRestartedIsNamedWithBothExpiries() throws Exception {
    node = FakeNode.create(tmp.resolve("etc")).start();
    Cli.Run renew =
        Cli.run(
            TestPki.CLOCK.withZone(java.time.ZoneOffset.UTC),
            Cli.args(new String[] {"certs", "renew", "apiserver", "--validity", "720h"}, Cli.dirs(tmp.resolve("etc"))));
    assertThat(renew.code()).as(renew.err()).isZero();

    Cli.Run r = Cli.run(TestPki.CLOCK, args());
    assertThat(r.code()).isEqualTo(ExitCodes.SERVED_DIFFERS);
    // the old certificate: one year from TestPki.NOW; the renewed one: 30 days from it
    assertThat(r.err().trim())
        .startsWith("error: kube-apiserver :" + node.port("kube-apiserver") + " serves a certificate other than ")
        .contains(" expires Nov 23, 2027 10:00 UTC, the file's serial ")
        .endsWith(" expires Dec 23, 2026 10:00 UTC; restart kube-apiserver");
    assertThat(r.err().lines()).hasSize(1);
    assertThat(r.out()).containsPattern("kube-apiserver +127\\.0\\.0\\.1:\\d+ +differs");

    JsonNode doc = new ObjectMapper().readTree(Cli.run(TestPki.CLOCK, args("-o", "json")).out());
    assertThat(doc.get("kind").asText()).isEqualTo("ServedCertificateCheck");
    assertThat(doc.get("apiVersion").asText()).isEqualTo("output.kcert.dev/v1alpha1");
    JsonNode api = doc.get("endpoints").get(2);
    assertThat(api.get("component").asText()).isEqualTo("kube-apiserver");
    assertThat(api.get("result").asText()).isEqualTo("differs");
    assertThat(api.get("served").get("notAfter").asText()).isEqualTo("2027-11-23T10:00:00Z");
    assertThat(api.get("file").get("notAfter").asText()).isEqualTo("2026-12-23T10:00:00Z");
    assertThat(api.get("served").get("serialNumber").asText())
        .isNotEqualTo(api.get("file").get("serialNumber").asText());
    String yaml = Cli.run(TestPki.CLOCK, args("-o", "yaml")).out();
    assertThat(yaml).startsWith("kind: ServedCertificateCheck\n").contains("result: differs");
  }

  @Test
  void componentsCanBeChosen() {
    node = FakeNode.create(tmp.resolve("etc")).start();
    Cli.Run r = Cli.run(TestPki.CLOCK, args("--component", "etcd,kubelet"));
    assertThat(r.code()).isEqualTo(ExitCodes.OK);
    assertThat(r.out().lines().skip(1).map(l -> l.split("\\s+")[0]))
        .containsExactly("etcd", "etcd", "kubelet");
    Cli.Run bad = Cli.run(TestPki.CLOCK, args("--component", "kube-proxy"));
    assertThat(bad.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(bad.err()).startsWith("unknown component: kube-proxy");
  }

  @Test
  void aComponentThatIsDownIsUnreachable() {
    node = FakeNode.create(tmp.resolve("etc"));
    node.kubelet().failNextStarts(Component.KUBE_SCHEDULER, 1);
    node.start();
    Cli.Run r = Cli.run(TestPki.CLOCK, args());
    assertThat(r.code()).isEqualTo(ExitCodes.UNREACHABLE);
    assertThat(r.err().trim())
        .isEqualTo(
            "warning: kube-scheduler :" + node.port("kube-scheduler") + " (127.0.0.1:"
                + node.port("kube-scheduler") + "): connection refused");
  }

  @Test
  void aBrokenManifestIsNamedAndTheOthersStillChecked() throws Exception {
    node = FakeNode.create(tmp.resolve("etc")).start();
    Path manifest = tmp.resolve("etc/manifests/kube-scheduler.yaml");
    Files.writeString(manifest, "kind: Pod\nspec: [\n");
    node.kubelet().awaitServing(Duration.ofSeconds(10));
    Cli.Run r = Cli.run(TestPki.CLOCK, args());
    assertThat(r.code()).isEqualTo(ExitCodes.ERROR);
    assertThat(r.err()).startsWith("error: " + manifest + ": not a valid static pod manifest: ");
    assertThat(r.out()).contains("kube-apiserver").doesNotContain("kube-scheduler");
  }

  @Test
  void aMissingCertificateFileIsAnError() throws Exception {
    node = FakeNode.create(tmp.resolve("etc")).start();
    Path peer = tmp.resolve("etc/pki/etcd/peer.crt");
    Files.delete(peer);
    Cli.Run r = Cli.run(TestPki.CLOCK, args());
    assertThat(r.code()).isEqualTo(ExitCodes.ERROR);
    assertThat(r.err().trim())
        .isEqualTo("error: etcd :" + node.port("etcd-peer") + ": " + peer + ": missing");
  }
}
