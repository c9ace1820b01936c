package dev.kcert.cli;

import dev.kcert.core.model.KcertException;
import dev.kcert.core.pem.Certificates;
import dev.kcert.core.pem.PrivateKeys;
import dev.kcert.core.pki.AtomicFiles;
import dev.kcert.core.pki.PkiLayout;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

/**
 * For {@code kcert demo}: a stand-in for a kube-apiserver that was never restarted. It loads the
 * demo's {@code apiserver.crt} and key once, as the real one does at start-up, and completes TLS
 * handshakes on a free loopback port with them until closed; a static pod manifest in the demo
 * tree points {@code check-served} at it.
 */
final class DemoApiServer implements AutoCloseable {
  private final SSLServerSocket socket;

  private DemoApiServer(SSLServerSocket socket) {
    this.socket = socket;
  }

  /** Starts serving the layout's current apiserver certificate and writes its manifest. */
  static DemoApiServer start(PkiLayout layout) {
    Path crt = layout.certDir().resolve("apiserver.crt");
    Path key = layout.certDir().resolve("apiserver.key");
    X509Certificate cert = Certificates.readBundle(crt).get(0);
    PrivateKey privateKey = PrivateKeys.read(key);
    SSLServerSocket server;
    try {
      char[] pw = new char[0];
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, pw);
      ks.setKeyEntry("apiserver", privateKey, pw, new X509Certificate[] {cert});
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(ks, pw);
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(kmf.getKeyManagers(), null, null);
      server =
          (SSLServerSocket)
              ctx.getServerSocketFactory().createServerSocket(0, 8, InetAddress.getLoopbackAddress());
    } catch (GeneralSecurityException | IOException e) {
      throw new KcertException("demo: cannot start the stand-in API server: " + KcertException.oneLine(e), e);
    }
    DemoApiServer demo = new DemoApiServer(server);
    Thread t = new Thread(demo::serve, "demo-apiserver");
    t.setDaemon(true);
    t.start();
    String manifest =
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-apiserver\n  namespace: kube-system\n"
            + "spec:\n  containers:\n  - command:\n    - kube-apiserver\n"
            + "    - --bind-address=127.0.0.1\n"
            + "    - --secure-port=" + server.getLocalPort() + "\n"
            + "    - --tls-cert-file=" + crt + "\n"
            + "    - --tls-private-key-file=" + key + "\n"
            + "    image: registry.k8s.io/kube-apiserver:v1.31.0\n    name: kube-apiserver\n"
            + "  hostNetwork: true\n";
    AtomicFiles.write(
        layout.kubeconfigDir().resolve("manifests/kube-apiserver.yaml"),
        manifest.getBytes(StandardCharsets.UTF_8),
        AtomicFiles.PRIVATE);
    return demo;
  }

  int port() {
    return socket.getLocalPort();
  }

  private void serve() {
    while (!socket.isClosed()) {
      try (Socket s = socket.accept()) {
        s.setSoTimeout(5000);
        ((SSLSocket) s).startHandshake();
      } catch (IOException e) {
        // a client that went away mid-handshake, or the socket was closed: next one
      }
    }
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException ignored) {
      // nothing is left to serve
    }
  }
}
