package dev.kcert.agent;

import dev.kcert.core.testing.FakeNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * For bench/run: three packaged agents, one per node of a {@link Cluster}, started together; prints
 * one line: seconds from start until all three renewed, static pod restarts, then the median and
 * p99 of {@code scrapes} /metrics scrapes in milliseconds, and the largest peak resident memory
 * (VmHWM) of the three processes in MiB.
 *
 * <p>Arguments: the agent jar, a work folder, the number of scrapes. System properties
 * {@code agent.jvm} (JVM options, default {@link #JVM_OPTIONS}) and {@code agent.arenas}
 * ({@code MALLOC_ARENA_MAX}, default 2, empty for glibc's default) compare other settings.
 */
public final class RolloutBench {
  /** The DaemonSet's JAVA_TOOL_OPTIONS (examples/deploy/agent/daemonset.yaml); -Dagent.jvm overrides. */
  static final String JVM_OPTIONS = "-XX:+UseSerialGC -Xmx40m -Xss512k -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1"
      + " -XX:ReservedCodeCacheSize=32m -XX:MaxMetaspaceSize=96m";

  private RolloutBench() {}

  public static void main(String[] args) throws Exception {
    Path jar = Path.of(args[0]);
    Path work = Files.createTempDirectory(Path.of(args[1]), "rollout");
    int scrapes = Integer.parseInt(args[2]);
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    try (Cluster cluster = new Cluster(work.resolve("nodes"), "cp-1", "cp-2", "cp-3")) {
      Path kubeconfig = work.resolve("kubeconfig");
      Files.createFile(kubeconfig, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(kubeconfig, String.join("\n", "apiVersion: v1", "kind: Config", "clusters:",
          "- name: mock", "  cluster:", "    server: " + cluster.client.getMasterUrl(), "contexts:", "- name: mock",
          "  context:", "    cluster: mock", "    user: bench", "current-context: mock", "users:", "- name: bench",
          "  user: {}", ""));
      List<Process> processes = new ArrayList<>();
      List<Integer> ports = new ArrayList<>();
      long start = System.nanoTime();
      for (Map.Entry<String, FakeNode> e : cluster.nodes.entrySet()) {
        FakeNode node = e.getValue();
        int port = FakeNode.freePort();
        ports.add(port);
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(Arrays.asList(System.getProperty("agent.jvm", JVM_OPTIONS).trim().split("\\s+")));
        cmd.addAll(List.of("-jar", jar.toString(),
            "--kubeconfig", kubeconfig.toString(), "--node-name", e.getKey(),
            "--cert-dir", node.layout().certDir().toString(),
            "--kubeconfig-dir", node.layout().kubeconfigDir().toString(),
            "--kubelet-pki-dir", node.layout().kubeletDir().toString(),
            "--kubelet-config", node.kubeletConfig().toString(),
            "--check-interval", "2s", "--lease-ttl", "30s", "--restart-timeout", "60s",
            "--http-address", "127.0.0.1", "--http-port", Integer.toString(port), "--log-level", "warn"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
            .redirectOutput(work.resolve(e.getKey() + ".log").toFile());
        pb.environment().remove("KUBECONFIG");
        // as the DaemonSet: two glibc malloc arenas instead of up to eight per core
        String arenas = System.getProperty("agent.arenas", "2");
        if (!arenas.isEmpty()) {
          pb.environment().put("MALLOC_ARENA_MAX", arenas);
        }
        processes.add(pb.start());
      }
      try {
        Cluster.await("three nodes renewed", Duration.ofMinutes(5), () -> cluster.nodes.keySet().stream().allMatch(n -> {
          var node = cluster.client.nodes().withName(n).get();
          return node.getMetadata().getAnnotations() != null
              && "succeeded".equals(node.getMetadata().getAnnotations().get(Agent.NODE_LAST_RESULT));
        }));
        double seconds = (System.nanoTime() - start) / 1e9;
        double[] ms = new double[scrapes];
        for (int i = 0; i < scrapes; i++) {
          long t = System.nanoTime();
          HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(
              "http://127.0.0.1:" + ports.get(i % ports.size()) + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
          ms[i] = (System.nanoTime() - t) / 1e6;
          if (r.statusCode() != 200 || !r.body().contains("x509_cert_not_after")) {
            throw new IllegalStateException("scrape answered " + r.statusCode());
          }
        }
        Arrays.sort(ms);
        long rss = 0;
        for (Process p : processes) {
          for (String line : Files.readAllLines(Path.of("/proc", Long.toString(p.pid()), "status"))) {
            if (line.startsWith("VmHWM:")) {
              rss = Math.max(rss, Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024);
            }
          }
        }
        System.out.printf(Locale.ROOT, "%.1f %d %.1f %.1f %d%n", seconds, cluster.restarts.size(),
            ms[ms.length / 2], ms[Math.min(ms.length - 1, (int) Math.ceil(ms.length * 0.99) - 1)], rss);
      } finally {
        for (Process p : processes) {
          p.destroy();
        }
        for (Process p : processes) {
          p.waitFor();
        }
      }
    }
  }
}
