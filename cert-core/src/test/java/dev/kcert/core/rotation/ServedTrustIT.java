package dev.kcert.core.rotation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kcert.core.keys.KeyAlgorithm;
import dev.kcert.core.node.Component;
import dev.kcert.core.node.NodeEndpoints;
import dev.kcert.core.node.TlsProbe;
import dev.kcert.core.testing.FakeNode;
import dev.kcert.core.testing.TestPki;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The proof on the wire after each phase, on the fake node whose kubelet serves every component's
 * configured certificate and restarts a component when its manifest changes: what each port
 * serves, judged against the trust bundle of the phase and of the next.
 */
class ServedTrustIT {
  @TempDir Path root;

  private static final TlsProbe PROBE = TlsProbe.withTimeout(Duration.ofSeconds(5));

  private static Map<String, ServedTrust.Row> byPort(List<ServedTrust.Row> rows) {
    return rows.stream().collect(Collectors.toMap(r -> r.endpoint().describe(), r -> r, (a, b) -> a));
  }

  private static List<ServedTrust.Row> check(FakeNode node, Rotation r) {
    return ServedTrust.check(r, r.phase(),
        NodeEndpoints.read(node.layout(), node.kubeletConfig()).endpoints(), PROBE,
        TestPki.CLOCK.instant());
  }

  /** What a restart by hand does: the kubelet sees a changed manifest and starts the pod again. */
  private static void restart(FakeNode node, Component c) throws IOException {
    Path manifest = NodeEndpoints.manifestFile(node.layout().kubeconfigDir(), c);
    Files.writeString(manifest, "# restarted\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
    node.kubelet().awaitServing(Duration.ofSeconds(30));
  }

  @Test
  void everyPortOfTheCaServesWhatThePhaseTrustsAndTheNextColumnSaysWhenToRestart() throws Exception {
    try (FakeNode node = FakeNode.create(root).start()) {
      NodeFiles files = new NodeFiles(node.layout(),
          NodeEndpoints.manifestsDir(node.layout().kubeconfigDir()), node.kubeletConfig());
      Rotation r = Rotation.of(files, "ca", TestPki.CLOCK);
      r.prepare(new NewCa.Generate(KeyAlgorithm.ECDSA_P256, Duration.ofDays(3650)), false);
      r.advance(Phase.TRUST_BOTH, false);
      node.kubelet().awaitServing(Duration.ofSeconds(30));

      Map<String, ServedTrust.Row> both = byPort(check(node, r));
      ServedTrust.Row api = both.get("kube-apiserver :" + node.port("kube-apiserver"));
      assertThat(api.servedBy()).isEqualTo("old");
      assertThat(api.counts()).isTrue();
      assertThat(api.ok()).isTrue();
      assertThat(api.okNext()).isTrue();
      // etcd's certificates come from etcd-ca, the kubelet's is self-signed: not this rotation's
      ServedTrust.Row etcd = both.get("etcd :" + node.port("etcd"));
      assertThat(etcd.counts()).isFalse();
      assertThat(etcd.servedBy()).isEqualTo("other");
      assertThat(both.get("kubelet :" + node.port("kubelet")).counts()).isFalse();

      r.advance(Phase.REISSUED, false);
      // not restarted yet: the apiserver still serves the certificate the old CA signed, which the
      // reissue bundle (new,old) accepts and the trust-new bundle (new) does not
      api = byPort(check(node, r)).get("kube-apiserver :" + node.port("kube-apiserver"));
      assertThat(api.servedBy()).isEqualTo("old");
      assertThat(api.ok()).isTrue();
      assertThat(api.okNext()).isFalse();

      restart(node, Component.KUBE_APISERVER);
      api = byPort(check(node, r)).get("kube-apiserver :" + node.port("kube-apiserver"));
      assertThat(api.servedBy()).isEqualTo("new");
      assertThat(api.ok()).isTrue();
      assertThat(api.okNext()).isTrue();
    }
  }

  @Test
  void aPortStillServingTheOldCertificateAfterTrustNewFails() throws Exception {
    try (FakeNode node = FakeNode.create(root).start()) {
      NodeFiles files = new NodeFiles(node.layout(),
          NodeEndpoints.manifestsDir(node.layout().kubeconfigDir()), node.kubeletConfig());
      Rotation r = Rotation.of(files, "ca", TestPki.CLOCK);
      r.prepare(new NewCa.Generate(KeyAlgorithm.ECDSA_P256, Duration.ofDays(3650)), false);
      r.advance(Phase.TRUST_BOTH, false);
      r.advance(Phase.REISSUED, false);
      r.advance(Phase.TRUST_NEW, false); // the apiserver was never restarted
      node.kubelet().awaitServing(Duration.ofSeconds(30));

      ServedTrust.Row api =
          byPort(check(node, r)).get("kube-apiserver :" + node.port("kube-apiserver"));
      assertThat(api.servedBy()).isEqualTo("old");
      assertThat(api.ok()).isFalse();
      assertThat(api.detail()).isEqualTo("signed by old, not by a CA of the phase's bundle");
    }
  }
}
