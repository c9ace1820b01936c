package dev.kcert.approver;

import dev.kcert.kube.HealthServer;
import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class HealthServerTest {

  @Test
  void readinessFollowsTheSupplierAndMetricsAreServed() throws Exception {
    AtomicReference<String> problem = new AtomicReference<>("informers not synced");
    AtomicReference<String> broken = new AtomicReference<>(null);
    Metrics metrics = new Metrics(new PrometheusRegistry());
    metrics.decided("deny", "NoSan", false, 0.01);
    WorkQueue.Observer queue = metrics.queueObserver();
    queue.added();
    queue.taken(2_000_000);
    queue.done(3_000_000);
    queue.retried();
    try (HealthServer server = new HealthServer("127.0.0.1", 0, metrics.registry, broken::get, problem::get)) {
      HttpClient http = HttpClient.newHttpClient();
      String base = "http://127.0.0.1:" + server.port();

      HttpResponse<String> ready = get(http, base + "/readyz");
      assertThat(ready.statusCode()).isEqualTo(503);
      assertThat(ready.body()).isEqualTo("informers not synced\n");
      assertThat(get(http, base + "/healthz").statusCode()).isEqualTo(200);

      problem.set(null);
      ready = get(http, base + "/readyz");
      assertThat(ready.statusCode()).isEqualTo(200);
      assertThat(ready.body()).isEqualTo("ok\n");

      HttpResponse<String> m = get(http, base + "/metrics");
      assertThat(m.statusCode()).isEqualTo(200);
      assertThat(m.body()).contains(
          "kcert_approver_decisions_total{dry_run=\"false\",reason=\"NoSan\",result=\"deny\"} 1",
          "kcert_approver_build_info{java_version=\"" + System.getProperty("java.version") + "\",version=",
          "jvm_memory_used_bytes{", "process_cpu_seconds_total ", "workqueue_adds_total{name=\"certificatesigningrequests\"} 1",
          "workqueue_queue_duration_seconds_bucket{name=\"certificatesigningrequests\",le=\"0.01\"} 1",
          "workqueue_work_duration_seconds_count{name=\"certificatesigningrequests\"} 1",
          "workqueue_retries_total{name=\"certificatesigningrequests\"} 1");

      broken.set("informer for Node stopped");
      HttpResponse<String> health = get(http, base + "/healthz");
      assertThat(health.statusCode()).isEqualTo(503);
      assertThat(health.body()).isEqualTo("informer for Node stopped\n");
      assertThat(get(http, base + "/other").statusCode()).isEqualTo(404);
    }
  }

  static HttpResponse<String> get(HttpClient http, String url) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
  }
}
