package dev.kcert.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kcert.core.testing.FakeNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The packaged agent jar in its own process, against the mock API server and a fake node. */
@ExtendWith(KubeletJournals.class)
class AgentProcessIT {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  @TempDir Path tmp;

  static Path jar() throws IOException {
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(Path.of("target"), "cert-agent-*-all.jar")) {
      for (Path p : ds) {
        return p;
      }
    }
    throw new IllegalStateException("no target/cert-agent-*-all.jar: run mvn verify, which packages first");
  }

  private static HttpResponse<String> get(int port, String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void theJarRenewsItsNodeAndServesMetricsAndHealth() throws Exception {
    try (Cluster cluster = new Cluster(tmp.resolve("nodes"), "cp-1", "cp-2", "cp-3")) {
      FakeNode node = cluster.node("cp-1");
      Path kubeconfig = tmp.resolve("kubeconfig");
      Files.createFile(kubeconfig, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(kubeconfig, String.join("\n", "apiVersion: v1", "kind: Config", "clusters:",
          "- name: mock", "  cluster:", "    server: " + cluster.client.getMasterUrl(), "contexts:", "- name: mock",
          "  context:", "    cluster: mock", "    user: test", "current-context: mock", "users:", "- name: test",
          "  user: {}", ""));
      int port = FakeNode.freePort();
      List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-XX:+UseSerialGC", "-Xmx96m", "-jar", jar().toString(),
          "--kubeconfig", kubeconfig.toString(), "--node-name", "cp-1",
          "--cert-dir", node.layout().certDir().toString(),
          "--kubeconfig-dir", node.layout().kubeconfigDir().toString(),
          "--kubelet-pki-dir", node.layout().kubeletDir().toString(),
          "--kubelet-config", node.kubeletConfig().toString(),
          "--check-interval", "1h", "--lease-ttl", "20s", "--restart-timeout", "30s",
          "--http-address", "127.0.0.1", "--http-port", Integer.toString(port)));
      Path log = tmp.resolve("agent.log");
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
      pb.environment().remove("KUBECONFIG");
      pb.environment().remove("NODE_NAME");
      Process p = pb.start();
      try {
        Cluster.await("cp-1 renewed (log: " + log + ")", Duration.ofSeconds(90), () -> {
          var n = cluster.client.nodes().withName("cp-1").get();
          return n.getMetadata().getAnnotations() != null
              && "succeeded".equals(n.getMetadata().getAnnotations().get(Agent.NODE_LAST_RESULT));
        });
        Cluster.await("ready", Duration.ofSeconds(30), () -> {
          try {
            return get(port, "/readyz").statusCode() == 200;
          } catch (Exception e) {
            return false;
          }
        });
        assertThat(get(port, "/healthz").statusCode()).isEqualTo(200);
        HttpResponse<String> metrics = get(port, "/metrics");
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body())
            .contains("kcert_renewal_phase{phase=\"idle\"} 1")
            .contains("x509_cert_not_after{")
            .containsPattern("kcert_cert_served_matches_disk\\{component=\"etcd\",port=\"[0-9]+\"} 1");
        assertThat(cluster.restarts).containsSubsequence("cp-1 etcd", "cp-1 kube-apiserver",
            "cp-1 kube-controller-manager", "cp-1 kube-scheduler");
        assertThat(Files.readString(log)).contains("renewal=succeeded node=\"cp-1\"");
      } finally {
        p.destroy();
        if (!p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      }
    }
  }
}
