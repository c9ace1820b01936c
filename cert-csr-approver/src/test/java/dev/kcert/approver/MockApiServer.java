package dev.kcert.approver;

import dev.kcert.core.csr.KubeletCsrs;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequestCondition;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * A stand-in API server for trying the packaged approver by hand: starts the fabric8 mock API
 * server (with the {@code approval} subresource), writes a kubeconfig for it, registers Node
 * {@code worker-1}, submits the request its kubelet would send, and prints the conditions the
 * approver stores. Runs until interrupted.
 *
 * <p>{@code mvn -q -pl cert-csr-approver exec:exec -Ddemo.main=dev.kcert.approver.MockApiServer
 * -Ddemo.args=<kubeconfig file to write>}, then in another terminal {@code java -jar
 * cert-csr-approver/target/cert-csr-approver-*-all.jar --kubeconfig <that file> --leader-elect=false}.
 */
public final class MockApiServer {
  private MockApiServer() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 1 || args[0].isBlank()) {
      System.err.println("usage: MockApiServer <kubeconfig file to write>");
      System.exit(2);
    }
    Path kubeconfig = Path.of(args[0]);
    try (MockCluster cluster = new MockCluster()) {
      write(kubeconfig, cluster.url());
      cluster.createNode("worker-1", "Hostname", "worker-1", "InternalIP", "192.168.10.21");
      cluster.createCsr("csr-worker-1", "worker-1",
          KubeletCsrs.forNode("worker-1").key("EC-256").dns("worker-1").ip("192.168.10.21").pem());
      System.out.println("mock API server at " + cluster.url() + "; kubeconfig written to " + kubeconfig);
      System.out.println("Node worker-1 and its kubelet's pending CSR csr-worker-1 are there. Start the approver:");
      System.out.println("  java -jar cert-csr-approver/target/cert-csr-approver-0.1.0-SNAPSHOT-all.jar --kubeconfig "
          + kubeconfig + " --leader-elect=false --http-port=-1");
      CountDownLatch interrupted = new CountDownLatch(1);
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        interrupted.countDown();
        try {
          Files.deleteIfExists(kubeconfig);
        } catch (IOException e) {
          System.err.println("cannot delete " + kubeconfig + ": " + e.getMessage());
        }
      }));
      List<CertificateSigningRequestCondition> shown = List.of();
      while (!interrupted.await(250, java.util.concurrent.TimeUnit.MILLISECONDS)) {
        List<CertificateSigningRequestCondition> now = cluster.conditions("csr-worker-1");
        if (now.size() != shown.size()) {
          for (CertificateSigningRequestCondition c : now.subList(shown.size(), now.size())) {
            System.out.println("csr-worker-1: type=" + c.getType() + " status=" + c.getStatus()
                + " reason=" + c.getReason() + " message=" + c.getMessage());
          }
          shown = now;
        }
      }
    } finally {
      Files.deleteIfExists(kubeconfig);
    }
  }

  private static void write(Path file, String url) throws IOException {
    Files.deleteIfExists(file);
    Demo.writeKubeconfig(file, url);
  }
}
