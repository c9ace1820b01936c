package dev.kcert.cli.output;

import dev.kcert.cli.Golden;
import dev.kcert.core.expiry.ExpiryEntry;
import dev.kcert.core.expiry.ExpiryReport;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** kcert's table printer reproduces a table kubeadm printed, byte for byte. */
class KubeadmSampleTableTest {
  static final Instant NOW = Instant.parse("2025-08-23T12:00:00Z");
  static final Instant LEAF = Instant.parse("2026-08-19T09:03:00Z");
  static final Instant CA = Instant.parse("2035-08-17T09:03:00Z");

  @Test
  void reproducesKubeadmSample() {
    List<ExpiryEntry> certs =
        Stream.of(
                "admin.conf:ca", "apiserver:ca", "apiserver-etcd-client:etcd-ca",
                "apiserver-kubelet-client:ca", "controller-manager.conf:ca",
                "etcd-healthcheck-client:etcd-ca", "etcd-peer:etcd-ca", "etcd-server:etcd-ca",
                "front-proxy-client:front-proxy-ca", "scheduler.conf:ca", "super-admin.conf:ca")
            .map(s -> s.split(":"))
            .map(p -> entry(p[0], LEAF, p[1]))
            .toList();
    List<ExpiryEntry> cas =
        Stream.of("ca", "etcd-ca", "front-proxy-ca").map(n -> entry(n, CA, "")).toList();
    Golden.assertMatches(
        "kubeadm-sample.txt", ExpirationText.render(new ExpiryReport(NOW, certs, cas, List.of())));
  }

  private static ExpiryEntry entry(String name, Instant notAfter, String ca) {
    return new ExpiryEntry(
        name, notAfter, ExpiryReport.residualSeconds(NOW, notAfter), ca, false, false, null);
  }
}
