package dev.kcert.agent.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kcert.core.node.Component;
import dev.kcert.core.node.ServedCheck;
import dev.kcert.core.node.ServingEndpoint;
import dev.kcert.core.pem.Certificates;
import dev.kcert.core.pki.PkiLayout;
import dev.kcert.core.testing.FakeNode;
import dev.kcert.core.testing.TestPki;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class X509MetricsTest {
  /**
   * The labels enix's x509-certificate-exporter documents for every per-certificate series of file
   * and kubeconfig sources (docs/metrics.md, "Common labels"): serial number, six subject and six
   * issuer DN fields, file name and path, embedded kind and key.
   */
  static final List<String> EXPORTER_LABELS =
      List.of(
          "embedded_key", "embedded_kind", "filename", "filepath", "issuer_C", "issuer_CN", "issuer_L",
          "issuer_O", "issuer_OU", "issuer_ST", "serial_number", "subject_C", "subject_CN", "subject_L",
          "subject_O", "subject_OU", "subject_ST");

  static final Pattern SERIES = Pattern.compile("^([a-z0-9_]+)\\{(.*)\\} (\\S+)$");
  static final Pattern LABEL = Pattern.compile("([A-Za-z_]+)=\"((?:[^\"\\\\]|\\\\.)*)\"");

  @TempDir Path tmp;
  PkiLayout layout;
  Instant admin;

  @BeforeEach
  void pki() {
    admin = TestPki.NOW.minus(Duration.ofDays(3));
    FakeNode.create(TestPki.in(tmp).window("admin.conf", admin.minus(Duration.ofDays(365)), admin));
    layout = PkiLayout.under(tmp);
  }

  String scrape(List<ServedCheck.Result> served) {
    return X509Metrics.render(new X509Metrics(layout, TestPki.CLOCK, () -> served).collect());
  }

  /** name{labels} value lines of one metric, as label maps with the value under "". */
  static List<java.util.Map<String, String>> series(String text, String metric) {
    List<java.util.Map<String, String>> out = new ArrayList<>();
    for (String line : text.lines().toList()) {
      Matcher m = SERIES.matcher(line);
      if (m.matches() && m.group(1).equals(metric)) {
        java.util.Map<String, String> labels = new java.util.TreeMap<>();
        Matcher l = LABEL.matcher(m.group(2));
        while (l.find()) {
          labels.put(l.group(1), l.group(2));
        }
        labels.put("", m.group(3));
        out.add(labels);
      }
    }
    return out;
  }

  @Test
  void everyCertificateOfTheNodeWithTheExportersLabels() throws Exception {
    String text = scrape(List.of());
    List<java.util.Map<String, String>> notAfter = series(text, "x509_cert_not_after");
    // 3 CAs, 7 leaves, 5 kubeconfigs with a user certificate and a cluster CA each, kubelet.crt
    assertThat(notAfter).hasSize(21);
    for (java.util.Map<String, String> s : notAfter) {
      TreeSet<String> names = new TreeSet<>(s.keySet());
      names.remove("");
      assertThat(names).containsExactlyElementsOf(EXPORTER_LABELS);
    }
    X509Certificate api = Certificates.readBundle(layout.certDir().resolve("apiserver.crt")).get(0);
    java.util.Map<String, String> a =
        notAfter.stream().filter(s -> s.get("filename").equals("apiserver.crt")).findFirst().orElseThrow();
    assertThat(a.get("filepath")).isEqualTo(layout.certDir().resolve("apiserver.crt").toString());
    assertThat(a.get("serial_number")).isEqualTo(api.getSerialNumber().toString());
    assertThat(a.get("subject_CN")).isEqualTo("kube-apiserver");
    assertThat(a.get("issuer_CN")).isEqualTo("kubernetes");
    assertThat(a.get("embedded_kind")).isEmpty();
    assertThat(Double.parseDouble(a.get(""))).isEqualTo((double) api.getNotAfter().toInstant().getEpochSecond());

    List<java.util.Map<String, String>> adminConf =
        series(text, "x509_cert_expired").stream().filter(s -> s.get("filename").equals("admin.conf")).toList();
    assertThat(adminConf)
        .extracting(s -> s.get("embedded_kind") + " " + s.get("embedded_key") + " " + s.get("subject_O") + " " + s.get(""))
        .containsExactlyInAnyOrder(
            "user client-certificate-data kubeadm:cluster-admins 1.0",
            "cluster certificate-authority-data  0.0");
    assertThat(series(text, "x509_cert_not_before")).hasSize(21);
    assertThat(text).contains("\nx509_read_errors 0.0\n").contains("# TYPE x509_cert_not_after gauge");
  }

  @Test
  void aBrokenFileIsAReadErrorAndHidesNothingElse() throws Exception {
    Files.writeString(layout.certDir().resolve("front-proxy-client.crt"), "-----BEGIN CERTIFICATE-----\nAAAA\n");
    Files.delete(layout.kubeconfigDir().resolve("super-admin.conf")); // missing is normal, not an error
    String text = scrape(List.of());
    assertThat(text).contains("\nx509_read_errors 1.0\n");
    assertThat(series(text, "x509_cert_not_after")).hasSize(18);
  }

  @Test
  void servedAgainstDiskPerComponentAndPort() throws Exception {
    X509Certificate api = Certificates.readBundle(layout.certDir().resolve("apiserver.crt")).get(0);
    X509Certificate etcd = Certificates.readBundle(layout.certDir().resolve("etcd/server.crt")).get(0);
    List<ServedCheck.Result> served =
        List.of(
            new ServedCheck.Result(
                new ServingEndpoint(Component.KUBE_APISERVER, "127.0.0.1", 6443, null, "/livez", null),
                ServedCheck.Status.DIFFERS, etcd, api, null),
            new ServedCheck.Result(
                new ServingEndpoint(Component.ETCD, "127.0.0.1", 2379, null, "/health", null),
                ServedCheck.Status.MATCH, etcd, etcd, null),
            new ServedCheck.Result(
                new ServingEndpoint(Component.KUBE_SCHEDULER, "127.0.0.1", 10259, null, "/healthz", null),
                ServedCheck.Status.UNREACHABLE, null, null, "connection refused"));
    String text = scrape(served);
    assertThat(series(text, "kcert_cert_served_matches_disk"))
        .extracting(s -> s.get("component") + ":" + s.get("port") + "=" + s.get(""))
        .containsExactlyInAnyOrder("kube-apiserver:6443=0.0", "etcd:2379=1.0");
  }
}
