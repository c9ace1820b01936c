package dev.kcert.cli;

import dev.kcert.core.kubeconfig.Kubeconfig;
import dev.kcert.core.kubeconfig.KubeconfigCredentials;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;

/**
 * fabric8's mock API server on loopback for the CLI's cluster tests, in CRUD mode (objects are
 * stored and served back) or with expectations, with a client for the test's own reads and
 * writes and the self-signed certificate it serves.
 */
final class MockApi implements AutoCloseable {
  private final KubernetesMockServer server;
  private final KubernetesClient client;
  private final byte[] servingCert;

  private MockApi(boolean crud) {
    MockWebServer web = new MockWebServer();
    server = crud
        ? new KubernetesMockServer(new Context(), web, new HashMap<>(), new KubernetesCrudDispatcher(), true)
        : new KubernetesMockServer(new Context(), web, new HashMap<>(), true);
    server.init(InetAddress.getLoopbackAddress(), 0);
    client = server.createClient();
    try {
      servingCert = Files.readAllBytes(Path.of(web.getSelfSignedCertificate().certificatePath()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A server that stores what is written to it, as an API server does. */
  static MockApi crud() {
    return new MockApi(true);
  }

  /** A server that answers only what the test tells it to ({@link #server()}'s expect()). */
  static MockApi expectations() {
    return new MockApi(false);
  }

  KubernetesMockServer server() {
    return server;
  }

  KubernetesClient client() {
    return client;
  }

  byte[] servingCert() {
    return servingCert;
  }

  String url() {
    return "https://localhost:" + server.getPort();
  }

  /** {@link #adminConf(Path, String, byte[])} for this server. */
  Path adminConf(Path root) throws IOException {
    return adminConf(root, url(), servingCert);
  }

  /**
   * A copy of the PKI's admin.conf under {@code root} (its user, client certificate and key) that
   * names {@code url} and trusts {@code caPem}, written beside {@code root}.
   */
  static Path adminConf(Path root, String url, byte[] caPem) throws IOException {
    KubeconfigCredentials admin = Kubeconfig.read(root.resolve("admin.conf")).credentials();
    Path file = root.resolveSibling(root.getFileName() + "-admin.conf");
    Files.write(file, Kubeconfig.create(file, "kubernetes", url, caPem, admin.userName(),
        admin.clientCertificate().load(), admin.clientKey().load()).render());
    return file;
  }

  @Override
  public void close() {
    client.close();
    server.destroy();
  }
}
