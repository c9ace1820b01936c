package dev.kcert.approver;

import dev.kcert.core.csr.KubeletCsrs;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequestCondition;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine;

/**
 * End-to-end demonstration without a cluster: starts the fabric8 mock API server, starts the real
 * approver against it through a kubeconfig (as {@code --kubeconfig} would outside a cluster),
 * registers a Node, submits the serving-certificate request its kubelet would send and one that
 * claims another node's name, and prints what the approver stored on each.
 *
 * <p>Run with {@code mvn -q -pl cert-csr-approver exec:exec} after {@code mvn -B install -DskipTests}.
 * Extra approver options can be passed, without their dashes and separated by commas, with
 * {@code -Ddemo.args=dry-run} (each becomes {@code --dry-run}).
 */
public final class Demo {
  private Demo() {}

  public static void main(String[] rawArgs) throws Exception {
    String[] args = java.util.Arrays.stream(rawArgs)
        .flatMap(a -> java.util.Arrays.stream(a.split(",")))
        .map(String::strip)
        .filter(a -> !a.isEmpty())
        .map(a -> a.startsWith("--") ? a : "--" + a)
        .toArray(String[]::new);
    Path dir = Files.createTempDirectory("kcert-approver-demo");
    try (MockCluster cluster = new MockCluster()) {
      Path kubeconfig = writeKubeconfig(dir.resolve("kubeconfig"), cluster.url());
      Main main = new Main();
      String[] approverArgs = concat(new String[] {
          "--kubeconfig", kubeconfig.toString(), "--http-address", "127.0.0.1", "--http-port", "0",
          "--lease-namespace", "default", "--identity", "demo"}, args);
      new CommandLine(main).parseArgs(approverArgs);
      try (Main.Running running = main.start()) {
        Approver approver = running.approver();
        MockCluster.await("approver ready", Duration.ofSeconds(30), () -> approver.notReadyBecause() == null);

        System.out.println();
        System.out.println("== node worker-1 registers with Hostname worker-1, InternalIP 192.168.10.21 and fd00:10::21");
        cluster.createNode("worker-1", "Hostname", "worker-1", "InternalIP", "192.168.10.21",
            "InternalIP", "fd00:10::21");
        System.out.println("== its kubelet asks for a serving certificate (ECDSA P-256, SANs worker-1, 192.168.10.21, fd00:10::21)");
        cluster.createCsr("csr-worker-1", "worker-1",
            KubeletCsrs.forNode("worker-1").key("EC-256").dns("worker-1").ip("192.168.10.21", "fd00:10::21").pem());
        System.out.println("== and a request from worker-1 that also names worker-2");
        cluster.createCsr("csr-worker-1-greedy", "worker-1",
            KubeletCsrs.forNode("worker-1").key("EC-256").dns("worker-1", "worker-2").pem());

        boolean dryRun = List.of(approverArgs).contains("--dry-run");
        if (dryRun) {
          MockCluster.await("dry-run decisions", Duration.ofSeconds(30),
              () -> approver.decisions("approve", "KcertApproved") + approver.decisions("deny", "SanNotOwnedByNode") >= 2);
        } else {
          cluster.awaitConditions("csr-worker-1", Duration.ofSeconds(30));
          cluster.awaitConditions("csr-worker-1-greedy", Duration.ofSeconds(30));
        }
        System.out.println();
        for (String name : List.of("csr-worker-1", "csr-worker-1-greedy")) {
          List<CertificateSigningRequestCondition> conditions = cluster.conditions(name);
          System.out.println("CSR " + name + ":" + (conditions.isEmpty() ? " no conditions (still pending)" : ""));
          for (CertificateSigningRequestCondition c : conditions) {
            System.out.println("  type=" + c.getType() + " status=" + c.getStatus() + " reason=" + c.getReason());
            System.out.println("  message=" + c.getMessage());
          }
        }
        System.out.println();
        System.out.println("/metrics (kcert_approver_*):");
        String metrics = HttpClient.newHttpClient().send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + approver.httpPort() + "/metrics")).build(),
            HttpResponse.BodyHandlers.ofString()).body();
        metrics.lines().filter(l -> l.startsWith("kcert_approver_") && !l.contains("_bucket"))
            .forEach(l -> System.out.println("  " + l));
        System.out.println();
      }
    } finally {
      try (var files = Files.walk(dir)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /** Writes {@link #kubeconfig} to a new file, readable by its owner only. */
  static Path writeKubeconfig(Path file, String url) throws IOException {
    Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(file, kubeconfig(url));
    return file;
  }

  /** A kubeconfig for the mock API server, which asks for no credentials. */
  static String kubeconfig(String url) {
    return String.join("\n",
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        "- name: mock",
        "  cluster:",
        "    server: " + url,
        "contexts:",
        "- name: mock",
        "  context:",
        "    cluster: mock",
        "    user: demo",
        "current-context: mock",
        "users:",
        "- name: demo",
        "  user: {}",
        "");
  }

  private static String[] concat(String[] a, String[] b) {
    String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }
}
