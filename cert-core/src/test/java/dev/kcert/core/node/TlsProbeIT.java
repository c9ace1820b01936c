package dev.kcert.core.node;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kcert.core.pem.PrivateKeys;
import dev.kcert.core.testing.FakeNode;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The probe against the fake node's etcd, which asks for a client certificate as kubeadm's does. */
class TlsProbeIT {
  @TempDir Path tmp;

  @Test
  void etcdServesItsCertificateToAnyoneButItsHealthOnlyToItsClients() {
    try (FakeNode node = FakeNode.create(tmp).start()) {
      Path pki = node.layout().certDir();
      TlsProbe probe = TlsProbe.withTimeout(Duration.ofSeconds(5));
      int port = node.port("etcd");

      TlsProbe.Served served = probe.fetch("127.0.0.1", port);
      assertThat(served.reached()).isTrue();
      assertThat(ServedCheck.same(served.leaf(), ServedCheck.readCertificate(pki.resolve("etcd/server.crt"))))
          .isTrue();

      TlsProbe.Health anonymous = probe.get("127.0.0.1", port, "/health");
      assertThat(anonymous.ok()).isFalse();
      assertThat(anonymous.error()).isNotNull();

      TlsProbe.Health client =
          probe
              .withClientCertificate(
                  ServedCheck.readCertificate(pki.resolve("etcd/healthcheck-client.crt")),
                  PrivateKeys.read(pki.resolve("etcd/healthcheck-client.key")))
              .get("127.0.0.1", port, "/health");
      assertThat(client.status()).isEqualTo(200);
      assertThat(client.body()).isEqualTo("{\"health\":\"true\"}");

      TlsProbe.Served closed = probe.fetch("127.0.0.1", FakeNode.freePort());
      assertThat(closed.reached()).isFalse();
      assertThat(closed.error()).isEqualTo("connection refused");
    }
  }
}
