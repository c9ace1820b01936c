package dev.kcert.cli;

import static dev.kcert.cli.Cli.args;
import static dev.kcert.cli.Cli.dirs;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kcert.cli.Cli.Run;
import dev.kcert.core.config.ConfigMapReader;
import dev.kcert.core.pem.Certificates;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code kubeadm-config} ConfigMap read from the fabric8 mock API server over TLS: present,
 * absent, unreachable (a closed port, and a server that never answers) and malformed.
 */
class KubeadmConfigMapIT {
  private static final Logger MOCK_LOG = Logger.getLogger("io.fabric8.mockwebserver");

  static {
    MOCK_LOG.setLevel(Level.WARNING);
  }

  @TempDir Path root;
  private MockApi api;
  private Path kubeconfig;

  @BeforeEach
  void start() throws Exception {
    Cli.pki(root);
    api = MockApi.expectations();
    kubeconfig = api.adminConf(root);
  }

  @AfterEach
  void stop() {
    api.close();
  }

  /** A copy of the PKI's admin.conf that names {@code url} and trusts {@code caPem}. */
  private Path adminConf(String url, byte[] caPem) throws IOException {
    return MockApi.adminConf(root, url, caPem);
  }

  private void serve(String clusterConfiguration) {
    String json =
        "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"kubeadm-config\","
            + "\"namespace\":\"kube-system\"},\"data\":{\"ClusterConfiguration\":"
            + quote(clusterConfiguration) + "}}";
    api.server().expect().get().withPath(ConfigMapReader.PATH).andReturn(200, json).always();
  }

  private static String quote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
  }

  /**
   * The mock's first answer can take seconds on a loaded machine (its TLS and HTTP stack warm up);
   * the cases that need an answer wait longer than the default.
   */
  private static final String PATIENT = "--api-timeout=30s";

  private Run renewAll(Path kc, String... more) {
    return Cli.run(
        args(
            args(new String[] {"certs", "renew", "all", "--kubeconfig", kc.toString(), PATIENT}, more),
            dirs(root)));
  }

  @Test
  void present() {
    serve(
        """
        apiVersion: kubeadm.k8s.io/v1beta4
        kind: ClusterConfiguration
        certificateValidityPeriod: 17520h0m0s
        encryptionAlgorithm: ECDSA-P384
        etcd:
          external:
            endpoints: [https://10.0.0.50:2379]
        """);
    Run r = renewAll(kubeconfig);

    assertThat(r.code()).as(r.err()).isEqualTo(ExitCodes.OK);
    assertThat(r.err())
        .isEqualTo(
            "Reading configuration from the \"kubeadm-config\" ConfigMap in namespace"
                + " \"kube-system\" (" + api.url() + ", with " + kubeconfig
                + ")\n");
    assertThat(r.out()).startsWith("etcd is external (etcd.external in the configuration)");
    X509Certificate api = Certificates.readBundle(root.resolve("pki/apiserver.crt")).get(0);
    assertThat(api.getNotAfter().toInstant()).isEqualTo(Cli.NOW.plus(Duration.ofHours(17520)));
    assertThat(dev.kcert.core.keys.KeyAlgorithm.describe(api.getPublicKey())).isEqualTo("ECDSA P-384");

    Run check =
        Cli.run(args(new String[] {"certs", "check-expiration", "--kubeconfig", kubeconfig.toString(), PATIENT}, dirs(root)));
    assertThat(check.code()).as(check.err()).isEqualTo(ExitCodes.OK);
    assertThat(check.out()).doesNotContain("etcd");
  }

  @Test
  void absent() {
    Map<String, String> before = Cli.snapshot(root);
    Run r = renewAll(kubeconfig, "--dry-run");
    assertThat(r.code()).as(r.err()).isEqualTo(ExitCodes.OK);
    assertThat(r.err())
        .isEqualTo(
            "warning: no configuration in the \"kubeadm-config\" ConfigMap in namespace"
                + " \"kube-system\" at " + api.url()
                + " (the API server has no such ConfigMap); going on with the files on disk and"
                + " defaults\n");
    assertThat(r.out()).contains("etcd-server").contains("Dry run: nothing was written.");
    assertThat(Cli.snapshot(root)).isEqualTo(before);
  }

  @Test
  void unreachableOnAClosedPort() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    Path closed = adminConf("https://localhost:" + port, Files.readAllBytes(root.resolve("pki/ca.crt")));
    Run r = renewAll(closed, "--dry-run");
    assertThat(r.code()).as(r.err()).isEqualTo(ExitCodes.OK);
    assertThat(r.err())
        .isEqualTo(
            "warning: cannot read the \"kubeadm-config\" ConfigMap in namespace \"kube-system\":"
                + " the API server at https://localhost:" + port + " is unreachable (connection"
                + " refused); going on with the files on disk and defaults\n");
    assertThat(r.err().lines()).hasSize(1);
  }

  @Test
  void unreachableWithinTheTimeout() throws Exception {
    try (ServerSocket silent = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      // accepts the connection and never answers the TLS handshake
      Thread t =
          new Thread(
              () -> {
                try (Socket s = silent.accept()) {
                  Thread.sleep(10_000);
                } catch (IOException | InterruptedException e) {
                  // the test is over
                }
              });
      t.setDaemon(true);
      t.start();
      Path mute =
          adminConf(
              "https://localhost:" + silent.getLocalPort(),
              Files.readAllBytes(root.resolve("pki/ca.crt")));
      long start = System.nanoTime();
      Run r =
          Cli.run(
              args(
                  new String[] {
                    "certs", "check-expiration", "--kubeconfig", mute.toString(), "--api-timeout", "1s"
                  },
                  dirs(root)));
      long millis = (System.nanoTime() - start) / 1_000_000;
      assertThat(r.code()).as(r.err()).isEqualTo(ExitCodes.OK);
      assertThat(r.err()).contains("is unreachable (").endsWith("going on with the files on disk and defaults\n");
      assertThat(r.out()).contains("apiserver ");
      assertThat(millis).as("waited for the API server").isLessThan(4_000);
      t.interrupt();
    }
  }

  @Test
  void malformed() {
    serve("apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nencryptionAlgorithm: DSA\n");
    Map<String, String> before = Cli.snapshot(root);
    Run r = renewAll(kubeconfig);
    assertThat(r.code()).as(r.err()).isEqualTo(ExitCodes.ERROR);
    assertThat(r.err())
        .isEqualTo(
            "error: the \"kubeadm-config\" ConfigMap in namespace \"kube-system\":"
                + " ClusterConfiguration.encryptionAlgorithm: unknown value \"DSA\" (expected"
                + " RSA-2048, RSA-3072, RSA-4096, ECDSA-P256 or ECDSA-P384)\n");
    assertThat(Cli.snapshot(root)).isEqualTo(before);
  }

  @Test
  void renewAsksThroughAdminConfBelowRootfsByDefault() throws Exception {
    serve("apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\nclusterName: kubernetes\n");
    Path host = root.resolveSibling(root.getFileName() + "-host");
    Path etc = host.resolve("etc/kubernetes");
    Files.createDirectories(etc);
    Files.copy(kubeconfig, etc.resolve("admin.conf"));
    Cli.pki(etc.resolve("x")); // makes nothing in etc/kubernetes itself
    Run r =
        Cli.run(
            "certs", "renew", "admin.conf", "--dry-run", "--rootfs", host.toString(), PATIENT,
            "--cert-dir", "/etc/kubernetes/x/pki", "--kubeconfig-dir", "/etc/kubernetes/x");
    assertThat(r.code()).as(r.err()).isEqualTo(ExitCodes.OK);
    assertThat(r.err())
        .startsWith("Reading configuration from the \"kubeadm-config\" ConfigMap")
        .contains("with " + etc.resolve("admin.conf"));
  }
}
