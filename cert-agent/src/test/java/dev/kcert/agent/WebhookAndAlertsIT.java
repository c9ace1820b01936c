package dev.kcert.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Prometheus alerts as a blocker, --dry-run, and the webhook, against a loopback stand-in. */
@ExtendWith(KubeletJournals.class)
class WebhookAndAlertsIT {
  @TempDir Path tmp;

  private HttpServer server;
  private volatile String alerts = "{\"status\":\"success\",\"data\":{\"alerts\":[]}}";
  private final List<JsonNode> hooks = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() throws Exception {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
    server.createContext("/prom/api/v1/alerts", ex -> {
      byte[] body = alerts.getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(200, body.length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(body);
      }
    });
    server.createContext("/hook", ex -> {
      hooks.add(new ObjectMapper().readTree(ex.getRequestBody().readAllBytes()));
      ex.sendResponseHeaders(204, -1);
      ex.close();
    });
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private URI url(String path) {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
  }

  private AgentSettings settings(Cluster cluster, boolean dryRun) {
    AgentSettings s = cluster.settings("cp-1");
    return new AgentSettings(s.node(), s.layout(), s.kubeletConfig(), s.renewBefore(), s.leaseNamespace(),
        s.leaseName(), s.leaseTtl(), s.concurrency(), s.checkInterval(), s.restartTimeout(), s.pollInterval(), dryRun,
        s.window(), s.blockingPodNamespace(), null, url("/prom/"), Pattern.compile("Watchdog|InfoInhibitor"),
        url("/hook"));
  }

  private static String alert(String name, String state) {
    return "{\"labels\":{\"alertname\":\"" + name + "\",\"severity\":\"critical\"},\"state\":\"" + state + "\"}";
  }

  @Test
  void firingAlertsOtherThanTheFilteredOnesHoldTheRunBack() throws Exception {
    try (Cluster cluster = new Cluster(tmp, "cp-1")) {
      alerts = "{\"status\":\"success\",\"data\":{\"alerts\":[" + alert("Watchdog", "firing") + ","
          + alert("EtcdMembersDown", "firing") + "," + alert("KubeApiDown", "pending") + "]}}";
      try (Agent a = new Agent(cluster.client, settings(cluster, false), Cluster.CLOCK,
          new AgentMetrics(new PrometheusRegistry()))) {
        Agent.Outcome o = a.cycle();
        assertThat(o.kind()).isEqualTo(Agent.Kind.DEFERRED);
        assertThat(o.message()).startsWith("alerts firing: EtcdMembersDown (would renew ");
        // only the filtered alert left: the next gate (one etcd member, no quorum to spare) speaks
        alerts = "{\"status\":\"success\",\"data\":{\"alerts\":[" + alert("Watchdog", "firing") + "]}}";
        assertThat(a.cycle().message()).startsWith("etcd has no quorum to spare");
      }
      assertThat(hooks).isEmpty();
    }
  }

  @Test
  void aDryRunSaysWhatItWouldDoAndTheWebhookHearsOfARealOne() throws Exception {
    try (Cluster cluster = new Cluster(tmp, "cp-1", "cp-2", "cp-3")) {
      try (Agent a = new Agent(cluster.client, settings(cluster, true), Cluster.CLOCK,
          new AgentMetrics(new PrometheusRegistry()))) {
        Agent.Outcome o = a.cycle();
        assertThat(o.kind()).isEqualTo(Agent.Kind.DRY_RUN);
        assertThat(o.message()).startsWith("would renew apiserver, ");
      }
      assertThat(cluster.client.leases().inNamespace("kube-system").withName("kcert-renewal").get()).isNull();
      assertThat(cluster.restarts).isEmpty();
      assertThat(hooks).isEmpty();
      try (Agent a = new Agent(cluster.client, settings(cluster, false), Cluster.CLOCK,
          new AgentMetrics(new PrometheusRegistry()))) {
        assertThat(a.cycle().kind()).isEqualTo(Agent.Kind.RENEWED);
      }
      Cluster.await("two webhook calls", Duration.ofSeconds(10), () -> hooks.size() == 2);
      assertThat(hooks).extracting(h -> h.get("event").asText()).containsExactly("started", "succeeded");
      assertThat(hooks).extracting(h -> h.get("node").asText()).containsOnly("cp-1");
      assertThat(hooks.get(1).get("message").asText()).startsWith("Renewal succeeded: renew apiserver");
    }
  }
}
