package dev.kcert.approver;

import dev.kcert.core.csr.KubeletCsrs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The flood guard's three scenarios, each with the packaged approver as its own process (default
 * flags, leader election off) against the fabric8 mock API server in this one:
 *
 * <ol>
 *   <li>{@code many}: NODES nodes each ask once, all created while the approver runs; seconds from
 *       the first create until every one is approved;
 *   <li>{@code hour}: 12 nodes whose kubelets asked every 15 minutes for an hour (4 pending each)
 *       before the approver starts; seconds from its start until all 48 are approved;
 *   <li>{@code one-floods}: one node with FLOOD pending requests, then another node asks once;
 *       milliseconds from that request's creation to its approval, and how many of the flooding
 *       node's requests were approved (none, with the default limit of 120).
 * </ol>
 *
 * <p>Prints one tab-separated line per scenario: {@code name count seconds extra}. Usage: {@code
 * FloodBench JAR [NODES [FLOOD]]} (defaults 1000 and 1000).
 */
public final class FloodBench {
  private FloodBench() {}

  public static void main(String[] args) throws Exception {
    Path jar = Path.of(args[0]);
    System.setProperty("kcert.approver.jar", jar.toAbsolutePath().toString());
    int nodes = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
    int flood = args.length > 2 ? Integer.parseInt(args[2]) : 1000;
    Path dir = Files.createTempDirectory("kcert-flood-bench");
    try {
      many(jar, dir, nodes);
      hour(jar, dir);
      oneFloods(jar, dir, flood);
    } finally {
      try (var files = Files.list(dir)) {
        for (Path p : files.toList()) {
          Files.deleteIfExists(p);
        }
      }
      Files.deleteIfExists(dir);
    }
  }

  static ApproverProcess start(MockCluster cluster, Path dir, String name) throws Exception {
    ApproverProcess p = ApproverProcess.start(name, dir, cluster.url(), "--leader-elect=false", "--workers=4");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (p.status("/readyz") != 200) {
      if (System.nanoTime() > deadline || !p.alive()) {
        throw new IllegalStateException(name + " did not become ready:\n" + p.logText());
      }
      TimeUnit.MILLISECONDS.sleep(50);
    }
    return p;
  }

  static void many(Path jar, Path dir, int nodes) throws Exception {
    System.err.println("flood bench: " + nodes + " nodes asking once each");
    List<byte[]> pems = new ArrayList<>();
    for (int i = 0; i < nodes; i++) {
      pems.add(KubeletCsrs.forNode(node(i)).key("EC-256").dns(node(i)).pem());
    }
    try (MockCluster cluster = new MockCluster()) {
      for (int i = 0; i < nodes; i++) {
        cluster.createNode(node(i), "Hostname", node(i), "InternalIP", ip(i));
      }
      try (ApproverProcess p = start(cluster, dir, "flood-many")) {
        long t0 = System.nanoTime();
        for (int i = 0; i < nodes; i++) {
          cluster.createCsr("csr-" + i, node(i), pems.get(i));
        }
        long lastCreate = System.nanoTime();
        double createdAfter = (lastCreate - t0) / 1e9;
        awaitApprovals(cluster, nodes, 120, p);
        long lastApproval = cluster.firstApprovalNanos.values().stream().mapToLong(Long::longValue).max().orElseThrow();
        double seconds = (lastApproval - t0) / 1e9;
        if (Boolean.getBoolean("kcert.bench.log")) {
          System.err.println(p.logText());
        }
        System.out.printf(Locale.ROOT, "many\t%d\t%.2f\tthe mock took %.2f s to create them; last approval %.2f s after the last create%n",
            nodes, seconds, createdAfter, (lastApproval - lastCreate) / 1e9);
      }
    }
  }

  static void hour(Path jar, Path dir) throws Exception {
    System.err.println("flood bench: 12 nodes with 4 pending requests each after an hour");
    try (MockCluster cluster = new MockCluster()) {
      Instant now = Instant.now();
      for (int n = 0; n < 12; n++) {
        cluster.createNode(node(n), "Hostname", node(n), "InternalIP", ip(n));
        byte[] pem = KubeletCsrs.forNode(node(n)).key("EC-256").dns(node(n)).pem();
        for (int k = 0; k < 4; k++) {
          cluster.createCsr("csr-" + n + "-" + k, node(n), pem, now.minus(Duration.ofMinutes(15L * k + 1)));
        }
      }
      long t0 = System.nanoTime();
      try (ApproverProcess p = ApproverProcess.start("flood-hour", dir, cluster.url(), "--leader-elect=false")) {
        awaitApprovals(cluster, 48, 120, p);
        System.out.printf(Locale.ROOT, "hour\t48\t%.2f\tfrom process start%n", (System.nanoTime() - t0) / 1e9);
      }
    }
  }

  static void oneFloods(Path jar, Path dir, int flood) throws Exception {
    System.err.println("flood bench: one node with " + flood + " pending requests, another asks once");
    try (MockCluster cluster = new MockCluster()) {
      cluster.createNode("node-flood", "Hostname", "node-flood", "InternalIP", "10.9.0.1");
      cluster.createNode("node-other", "Hostname", "node-other", "InternalIP", "10.9.0.2");
      byte[] pem = KubeletCsrs.forNode("node-flood").key("EC-256").dns("node-flood").pem();
      for (int i = 0; i < flood; i++) {
        cluster.createCsr("csr-flood-" + i, "node-flood", pem);
      }
      try (ApproverProcess p = start(cluster, dir, "flood-one")) {
        TimeUnit.SECONDS.sleep(2); // the flooding node's requests are being judged and held back
        long t0 = System.nanoTime();
        cluster.createCsr("csr-other", "node-other",
            KubeletCsrs.forNode("node-other").key("EC-256").dns("node-other").pem());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!cluster.firstApprovalNanos.containsKey("csr-other")) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException("node-other was not approved within 60 s:\n" + p.logText());
          }
          TimeUnit.MILLISECONDS.sleep(2);
        }
        double ms = (cluster.firstApprovalNanos.get("csr-other") - t0) / 1e6;
        long floodApproved = cluster.firstApprovalNanos.keySet().stream().filter(k -> k.startsWith("csr-flood-")).count();
        System.out.printf(Locale.ROOT, "one-floods\t%d\t%.3f\t%d of the flooding node's requests approved%n",
            flood, ms / 1000, floodApproved);
      }
    }
  }

  static void awaitApprovals(MockCluster cluster, int count, int timeoutSeconds, ApproverProcess p)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
    while (cluster.firstApprovalNanos.size() < count) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("only " + cluster.firstApprovalNanos.size() + " of " + count
            + " approved in " + timeoutSeconds + " s:\n" + p.logText());
      }
      TimeUnit.MILLISECONDS.sleep(5);
    }
  }

  private static String node(int i) {
    return "node-" + i;
  }

  private static String ip(int i) {
    return "10.1." + (i / 250) + "." + (1 + i % 250);
  }
}
