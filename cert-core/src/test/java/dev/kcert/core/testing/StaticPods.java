package dev.kcert.core.testing;

import dev.kcert.core.pki.AtomicFiles;
import dev.kcert.core.pki.PkiLayout;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Static pod manifests shaped as kubeadm v1.31 writes them, with the certificate and CA flags it
 * sets, pointing at a test PKI.
 */
public final class StaticPods {
  private static final Map<String, Integer> KUBEADM_PORTS =
      Map.of(
          "etcd", 2379,
          "etcd-peer", 2380,
          "kube-apiserver", 6443,
          "kube-controller-manager", 10257,
          "kube-scheduler", 10259);

  private StaticPods() {}

  /**
   * kubeadm's manifests at its default ports for the PKI below {@code root} ({@code
   * root/manifests/*.yaml}), and the kubelet configuration that names the cluster CA ({@code
   * root/kubelet-config.yaml}).
   */
  public static void write(Path root) {
    Path absolute = root.toAbsolutePath();
    PkiLayout layout = PkiLayout.under(absolute);
    Path manifests = absolute.resolve("manifests");
    try {
      Files.createDirectories(manifests);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    write(manifests, layout, KUBEADM_PORTS);
    String kubelet =
        "apiVersion: kubelet.config.k8s.io/v1beta1\n"
            + "authentication:\n"
            + "  anonymous:\n"
            + "    enabled: false\n"
            + "  webhook:\n"
            + "    enabled: true\n"
            + "  x509:\n"
            + "    clientCAFile: " + layout.certDir().resolve("ca.crt") + "\n"
            + "kind: KubeletConfiguration\n";
    AtomicFiles.write(
        absolute.resolve("kubelet-config.yaml"),
        kubelet.getBytes(StandardCharsets.UTF_8),
        AtomicFiles.PRIVATE);
  }

  public static void write(Path manifests, PkiLayout layout, Map<String, Integer> ports) {
    Path pki = layout.certDir();
    Path etc = layout.kubeconfigDir();
    write(
        manifests.resolve("etcd.yaml"),
        "etcd",
        List.of(
            "etcd",
            "--advertise-client-urls=https://192.168.10.11:" + ports.get("etcd"),
            "--cert-file=" + pki.resolve("etcd/server.crt"),
            "--client-cert-auth=true",
            "--data-dir=/var/lib/etcd",
            "--initial-advertise-peer-urls=https://192.168.10.11:" + ports.get("etcd-peer"),
            "--initial-cluster=cp-1=https://192.168.10.11:" + ports.get("etcd-peer"),
            "--key-file=" + pki.resolve("etcd/server.key"),
            "--listen-client-urls=https://127.0.0.1:" + ports.get("etcd") + ",https://192.168.10.11:" + ports.get("etcd"),
            "--listen-metrics-urls=http://127.0.0.1:2381",
            "--listen-peer-urls=https://127.0.0.1:" + ports.get("etcd-peer"),
            "--name=cp-1",
            "--peer-cert-file=" + pki.resolve("etcd/peer.crt"),
            "--peer-client-cert-auth=true",
            "--peer-key-file=" + pki.resolve("etcd/peer.key"),
            "--peer-trusted-ca-file=" + pki.resolve("etcd/ca.crt"),
            "--trusted-ca-file=" + pki.resolve("etcd/ca.crt")));
    write(
        manifests.resolve("kube-apiserver.yaml"),
        "kube-apiserver",
        List.of(
            "kube-apiserver",
            "--advertise-address=192.168.10.11",
            "--allow-privileged=true",
            "--client-ca-file=" + pki.resolve("ca.crt"),
            "--etcd-cafile=" + pki.resolve("etcd/ca.crt"),
            "--etcd-certfile=" + pki.resolve("apiserver-etcd-client.crt"),
            "--etcd-keyfile=" + pki.resolve("apiserver-etcd-client.key"),
            "--etcd-servers=https://127.0.0.1:" + ports.get("etcd"),
            "--kubelet-client-certificate=" + pki.resolve("apiserver-kubelet-client.crt"),
            "--kubelet-client-key=" + pki.resolve("apiserver-kubelet-client.key"),
            "--proxy-client-cert-file=" + pki.resolve("front-proxy-client.crt"),
            "--proxy-client-key-file=" + pki.resolve("front-proxy-client.key"),
            "--requestheader-client-ca-file=" + pki.resolve("front-proxy-ca.crt"),
            "--secure-port=" + ports.get("kube-apiserver"),
            "--service-account-key-file=" + pki.resolve("sa.pub"),
            "--service-account-signing-key-file=" + pki.resolve("sa.key"),
            "--tls-cert-file=" + pki.resolve("apiserver.crt"),
            "--tls-private-key-file=" + pki.resolve("apiserver.key")));
    write(
        manifests.resolve("kube-controller-manager.yaml"),
        "kube-controller-manager",
        List.of(
            "kube-controller-manager",
            "--authentication-kubeconfig=" + etc.resolve("controller-manager.conf"),
            "--authorization-kubeconfig=" + etc.resolve("controller-manager.conf"),
            "--bind-address=127.0.0.1",
            "--client-ca-file=" + pki.resolve("ca.crt"),
            "--cluster-signing-cert-file=" + pki.resolve("ca.crt"),
            "--cluster-signing-key-file=" + pki.resolve("ca.key"),
            "--kubeconfig=" + etc.resolve("controller-manager.conf"),
            "--leader-elect=true",
            "--requestheader-client-ca-file=" + pki.resolve("front-proxy-ca.crt"),
            "--root-ca-file=" + pki.resolve("ca.crt"),
            "--secure-port=" + ports.get("kube-controller-manager"),
            "--service-account-private-key-file=" + pki.resolve("sa.key"),
            "--use-service-account-credentials=true"));
    write(
        manifests.resolve("kube-scheduler.yaml"),
        "kube-scheduler",
        List.of(
            "kube-scheduler",
            "--authentication-kubeconfig=" + etc.resolve("scheduler.conf"),
            "--authorization-kubeconfig=" + etc.resolve("scheduler.conf"),
            "--bind-address=127.0.0.1",
            "--kubeconfig=" + etc.resolve("scheduler.conf"),
            "--leader-elect=true",
            "--secure-port=" + ports.get("kube-scheduler")));
  }

  private static void write(Path file, String name, List<String> command) {
    StringBuilder sb = new StringBuilder();
    sb.append("apiVersion: v1\nkind: Pod\nmetadata:\n");
    if (name.equals("etcd")) {
      sb.append("  annotations:\n    kubeadm.kubernetes.io/etcd.advertise-client-urls: https://192.168.10.11:2379\n");
    }
    sb.append("  creationTimestamp: null\n  labels:\n    component: ").append(name);
    sb.append("\n    tier: control-plane\n  name: ").append(name).append("\n  namespace: kube-system\n");
    sb.append("spec:\n  containers:\n  - command:\n");
    for (String w : command) {
      sb.append("    - ").append(w).append('\n');
    }
    sb.append("    image: registry.k8s.io/").append(name).append(":v1.31.0\n");
    sb.append("    imagePullPolicy: IfNotPresent\n    name: ").append(name).append('\n');
    sb.append("  hostNetwork: true\n  priority: 2000001000\n  priorityClassName: system-node-critical\n");
    sb.append("status: {}\n");
    AtomicFiles.write(file, sb.toString().getBytes(StandardCharsets.UTF_8), AtomicFiles.PRIVATE);
  }
}
