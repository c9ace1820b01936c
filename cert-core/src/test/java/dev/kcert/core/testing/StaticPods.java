package dev.kcert.core.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes the static pod manifests and kubelet configuration kubeadm (v1.31) writes, with the CA
 * flags it sets, pointing at a test PKI below {@code root}: {@code root/manifests/*.yaml} and
 * {@code root/kubelet-config.yaml}.
 */
public final class StaticPods {
  private StaticPods() {}

  public static void write(Path root) {
    String pki = root.resolve("pki").toAbsolutePath().toString();
    String kc = root.toAbsolutePath().toString();
    Path dir = root.resolve("manifests");
    try {
      Files.createDirectories(dir);
      Files.writeString(dir.resolve("kube-apiserver.yaml"), pod("kube-apiserver",
          "kube-apiserver",
          "--advertise-address=192.168.10.11",
          "--client-ca-file=" + pki + "/ca.crt",
          "--etcd-cafile=" + pki + "/etcd/ca.crt",
          "--etcd-certfile=" + pki + "/apiserver-etcd-client.crt",
          "--etcd-keyfile=" + pki + "/apiserver-etcd-client.key",
          "--kubelet-client-certificate=" + pki + "/apiserver-kubelet-client.crt",
          "--kubelet-client-key=" + pki + "/apiserver-kubelet-client.key",
          "--proxy-client-cert-file=" + pki + "/front-proxy-client.crt",
          "--proxy-client-key-file=" + pki + "/front-proxy-client.key",
          "--requestheader-client-ca-file=" + pki + "/front-proxy-ca.crt",
          "--service-account-key-file=" + pki + "/sa.pub",
          "--tls-cert-file=" + pki + "/apiserver.crt",
          "--tls-private-key-file=" + pki + "/apiserver.key"));
      Files.writeString(dir.resolve("kube-controller-manager.yaml"), pod("kube-controller-manager",
          "kube-controller-manager",
          "--authentication-kubeconfig=" + kc + "/controller-manager.conf",
          "--client-ca-file=" + pki + "/ca.crt",
          "--cluster-signing-cert-file=" + pki + "/ca.crt",
          "--cluster-signing-key-file=" + pki + "/ca.key",
          "--kubeconfig=" + kc + "/controller-manager.conf",
          "--requestheader-client-ca-file=" + pki + "/front-proxy-ca.crt",
          "--root-ca-file=" + pki + "/ca.crt",
          "--service-account-private-key-file=" + pki + "/sa.key",
          "--use-service-account-credentials=true"));
      Files.writeString(dir.resolve("kube-scheduler.yaml"), pod("kube-scheduler",
          "kube-scheduler",
          "--authentication-kubeconfig=" + kc + "/scheduler.conf",
          "--kubeconfig=" + kc + "/scheduler.conf"));
      Files.writeString(dir.resolve("etcd.yaml"), pod("etcd",
          "etcd",
          "--cert-file=" + pki + "/etcd/server.crt",
          "--key-file=" + pki + "/etcd/server.key",
          "--peer-cert-file=" + pki + "/etcd/peer.crt",
          "--peer-key-file=" + pki + "/etcd/peer.key",
          "--peer-trusted-ca-file=" + pki + "/etcd/ca.crt",
          "--trusted-ca-file=" + pki + "/etcd/ca.crt"));
      Files.writeString(root.resolve("kubelet-config.yaml"),
          "apiVersion: kubelet.config.k8s.io/v1beta1\n"
              + "authentication:\n"
              + "  anonymous:\n"
              + "    enabled: false\n"
              + "  webhook:\n"
              + "    enabled: true\n"
              + "  x509:\n"
              + "    clientCAFile: " + pki + "/ca.crt\n"
              + "kind: KubeletConfiguration\n");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String pod(String name, String... command) {
    StringBuilder sb = new StringBuilder();
    sb.append("apiVersion: v1\nkind: Pod\nmetadata:\n  labels:\n    component: ").append(name)
        .append("\n    tier: control-plane\n  name: ").append(name)
        .append("\n  namespace: kube-system\nspec:\n  containers:\n  - command:\n");
    for (String c : command) {
      sb.append("    - ").append(c).append('\n');
    }
    sb.append("    image: registry.k8s.io/").append(name).append(":v1.31.0\n    name: ")
        .append(name).append("\n  hostNetwork: true\n");
    return sb.toString();
  }
}
