package dev.kcert.core.testing;

import dev.kcert.core.keys.KeyAlgorithm;
import dev.kcert.core.node.NodeEndpoints;
import dev.kcert.core.pem.Certificates;
import dev.kcert.core.pem.PrivateKeys;
import dev.kcert.core.pki.AtomicFiles;
import dev.kcert.core.pki.CertificateSigner;
import dev.kcert.core.pki.CertificateTemplate;
import dev.kcert.core.pki.PkiLayout;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A control-plane node without a cluster: a kubeadm PKI made by the project's generator in a
 * temporary {@code /etc/kubernetes}, kubeadm-shaped static pod manifests (etcd, kube-apiserver,
 * kube-controller-manager, kube-scheduler) whose ports are free loopback ports, a kubelet
 * configuration with its own port and self-signed serving certificate, and a {@link FakeKubelet}
 * that runs a TLS server for each component as its manifest says.
 */
public final class FakeNode implements AutoCloseable {
  private final PkiLayout layout;
  private final Path kubeletConfig;
  private final Map<String, Integer> ports;
  private final FakeKubelet kubelet;

  private FakeNode(PkiLayout layout, Path kubeletConfig, Map<String, Integer> ports) {
    this.layout = layout;
    this.kubeletConfig = kubeletConfig;
    this.ports = ports;
    this.kubelet = new FakeKubelet(layout, kubeletConfig);
  }

  /** Makes the node below {@code root} (PKI at {@link TestPki#CLOCK}); the kubelet is not started. */
  public static FakeNode create(Path root) {
    return create(TestPki.in(root));
  }

  public static FakeNode create(TestPki pki) {
    PkiLayout layout = pki.create();
    Map<String, Integer> ports = new LinkedHashMap<>();
    for (String name :
        List.of("etcd", "etcd-peer", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet")) {
      ports.put(name, freePort());
    }
    Path manifests = NodeEndpoints.manifestsDir(layout.kubeconfigDir());
    StaticPods.write(manifests, layout, ports);
    Path config = layout.kubeconfigDir().resolve("kubelet-config.yaml");
    writeKubelet(layout, config, ports.get("kubelet"));
    return new FakeNode(layout, config, ports);
  }

  public PkiLayout layout() {
    return layout;
  }

  public Path kubeletConfig() {
    return kubeletConfig;
  }

  public int port(String name) {
    return ports.get(name);
  }

  public FakeKubelet kubelet() {
    return kubelet;
  }

  /** Starts the kubelet and waits until every component serves. */
  public FakeNode start() {
    kubelet.start();
    kubelet.awaitServing(Duration.ofSeconds(20));
    return this;
  }

  @Override
  public void close() {
    kubelet.close();
  }

  /** The kubelet's configuration and its self-signed serving certificate, as a kubelet makes. */
  private static void writeKubelet(PkiLayout layout, Path config, int port) {
    KeyPair pair = KeyAlgorithm.ECDSA_P256.generate();
    CertificateTemplate t =
        new CertificateTemplate(
            TestPki.NODE.nodeName() + "-ca@1700000000",
            List.of(),
            List.of(TestPki.NODE.nodeName()),
            List.of(loopback()),
            Set.of(),
            true,
            TestPki.NOW.minus(Duration.ofDays(1)),
            TestPki.NOW.plus(Duration.ofDays(365)));
    AtomicFiles.write(
        layout.kubeletDir().resolve("kubelet.crt"),
        Certificates.toPem(CertificateSigner.selfSignedCa(t, pair)).getBytes(StandardCharsets.US_ASCII),
        AtomicFiles.PUBLIC);
    AtomicFiles.write(
        layout.kubeletDir().resolve("kubelet.key"),
        PrivateKeys.toPem(pair).getBytes(StandardCharsets.US_ASCII),
        AtomicFiles.PRIVATE);
    String yaml =
        "apiVersion: kubelet.config.k8s.io/v1beta1\n"
            + "kind: KubeletConfiguration\n"
            + "address: 127.0.0.1\n"
            + "port: "
            + port
            + "\n"
            + "tlsCertFile: "
            + layout.kubeletDir().resolve("kubelet.crt")
            + "\n"
            + "tlsPrivateKeyFile: "
            + layout.kubeletDir().resolve("kubelet.key")
            + "\n";
    AtomicFiles.write(config, yaml.getBytes(StandardCharsets.UTF_8), AtomicFiles.PUBLIC);
  }

  static InetAddress loopback() {
    return InetAddress.getLoopbackAddress();
  }

  /**
   * A loopback port nobody listens on right now, taken below Linux's ephemeral range (32768 and
   * up). A fake component is stopped and started again on its port; a port in the ephemeral range
   * can meanwhile become the source port of any outgoing connection on the machine, and the
   * restart then fails with "Address already in use". A port is handed out once per JVM: a node
   * picks all its ports before any of its components listens.
   */
  public static int freePort() {
    for (int attempt = 0; attempt < 500; attempt++) {
      int port = LOW_PORT + RANDOM.nextInt(LOW_PORTS);
      if (!ISSUED.add(port)) {
        continue; // handed out before in this JVM: a node's other component may not listen yet
      }
      try (ServerSocket s = new ServerSocket()) {
        s.setReuseAddress(false);
        s.bind(new InetSocketAddress(loopback(), port), 1);
        return port;
      } catch (IOException taken) {
        // someone listens there; try another
      }
    }
    throw new UncheckedIOException(new IOException("no free loopback port in "
        + LOW_PORT + "-" + (LOW_PORT + LOW_PORTS - 1)));
  }

  private static final int LOW_PORT = 20000;
  private static final int LOW_PORTS = 12000;
  private static final java.util.Random RANDOM = new java.security.SecureRandom();
  private static final java.util.Set<Integer> ISSUED = java.util.concurrent.ConcurrentHashMap.newKeySet();
}
