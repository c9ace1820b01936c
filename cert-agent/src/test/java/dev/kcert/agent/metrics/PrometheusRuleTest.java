package dev.kcert.agent.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import dev.kcert.core.testing.TestPki;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/** The PrometheusRule of examples/deploy/agent alerts on metrics the collector emits. */
class PrometheusRuleTest {
  static final Path RULE = Path.of("..", "examples", "deploy", "agent", "prometheusrule.yaml");

  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> rules() throws Exception {
    Map<String, Object> doc =
        (Map<String, Object>) new Yaml(new SafeConstructor(new LoaderOptions())).load(Files.readString(RULE));
    assertThat(doc.get("apiVersion")).isEqualTo("monitoring.coreos.com/v1");
    assertThat(doc.get("kind")).isEqualTo("PrometheusRule");
    Map<String, Object> spec = (Map<String, Object>) doc.get("spec");
    List<Map<String, Object>> groups = (List<Map<String, Object>>) spec.get("groups");
    return (List<Map<String, Object>>) groups.get(0).get("rules");
  }

  @Test
  void alertsAt28And14DaysAndOnAnHourOfMismatch() throws Exception {
    assertThat(rules())
        .extracting(r -> r.get("alert") + " | " + r.get("expr") + " | " + r.get("for"))
        .containsExactly(
            "KcertCertificateExpiresIn28Days | (x509_cert_not_after - time()) / 86400 < 28 | 15m",
            "KcertCertificateExpiresIn14Days | (x509_cert_not_after - time()) / 86400 < 14 | 15m",
            "KcertServedCertificateDiffersFromDisk | kcert_cert_served_matches_disk == 0 | 1h",
            "KcertCertificateReadErrors | x509_read_errors > 0 | 15m",
            "KcertRenewalRolloutFailed | kcert_renewal_phase{phase=\"failed\"} == 1 | 1m");
  }

  @Test
  void everyMetricAndLabelItUsesIsOneTheCollectorEmits(@TempDir Path tmp) throws Exception {
    Pattern metric = Pattern.compile("\\b(x509_[a-z_]+|kcert_[a-z_]+)\\b");
    Pattern label = Pattern.compile("\\$labels\\.([A-Za-z_]+)");
    List<String> names =
        new java.util.ArrayList<>(new X509Metrics(TestPki.in(tmp).create(), TestPki.CLOCK, List::of)
            .collect().stream().map(s -> s.getMetadata().getName()).toList());
    io.prometheus.metrics.model.registry.PrometheusRegistry registry =
        new io.prometheus.metrics.model.registry.PrometheusRegistry();
    new dev.kcert.agent.AgentMetrics(registry);
    registry.scrape().stream().map(s -> s.getMetadata().getName()).forEach(names::add);
    assertThat(names).contains("x509_cert_not_after", "kcert_cert_served_matches_disk");
    for (Map<String, Object> r : rules()) {
      Matcher m = metric.matcher(String.valueOf(r.get("expr")));
      assertThat(m.find()).isTrue();
      assertThat(names).contains(m.group(1));
      Matcher l = label.matcher(String.valueOf(r.get("annotations")));
      while (l.find()) {
        assertThat(l.group(1))
            .isIn(
                concat(X509Metrics.CERT_LABELS, List.of("component", "port", "instance")));
      }
    }
  }

  static List<String> concat(List<String> a, List<String> b) {
    List<String> all = new java.util.ArrayList<>(a);
    all.addAll(b);
    return all;
  }
}
