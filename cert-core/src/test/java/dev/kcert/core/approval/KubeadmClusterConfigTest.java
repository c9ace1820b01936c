package dev.kcert.core.approval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class KubeadmClusterConfigTest {
  static final String SRC = "kube-system/kubeadm-config";

  /** As kubeadm v1.31 writes it (v1beta4), trimmed to the fields that matter plus some others. */
  static final String KUBEADM =
      """
      apiServer:
        certSANs:
        - k8s.example.com
        - 192.0.2.10
      apiVersion: kubeadm.k8s.io/v1beta4
      caCertificateValidityPeriod: 87600h0m0s
      certificateValidityPeriod: 8760h0m0s
      certificatesDir: /etc/kubernetes/pki
      clusterName: kubernetes
      controlPlaneEndpoint: cp.example.com:6443
      controllerManager: {}
      dns: {}
      etcd:
        local:
          dataDir: /var/lib/etcd
      kind: ClusterConfiguration
      kubernetesVersion: v1.31.2
      networking:
        dnsDomain: corp.internal
        podSubnet: 10.244.0.0/16
        serviceSubnet: 10.112.0.0/12,fd00:10:96::/112
      scheduler: {}
      """;

  @Test
  void readsTheFieldsThatNameTheCluster() {
    KubeadmClusterConfig c = KubeadmClusterConfig.parse(KUBEADM, SRC);
    assertThat(c.serviceSubnets()).containsExactly("10.112.0.0/12", "fd00:10:96::/112");
    assertThat(c.dnsDomain()).contains("corp.internal");
    assertThat(c.controlPlaneHost()).contains("cp.example.com");
    assertThat(c.certSans()).containsExactly("k8s.example.com", "192.0.2.10");
  }

  @Test
  void aMinimalConfigHasNothing() {
    KubeadmClusterConfig c = KubeadmClusterConfig.parse("kind: ClusterConfiguration\n", SRC);
    assertThat(c).isEqualTo(new KubeadmClusterConfig(List.of(), Optional.empty(), Optional.empty(), List.of()));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "cp.example.com:6443, cp.example.com",
    "cp.example.com, cp.example.com",
    "10.0.0.5:6443, 10.0.0.5",
    "'[fd00::5]:6443', fd00::5",
    "fd00::5, fd00::5",
  })
  void endpointHost(String endpoint, String host) {
    assertThat(KubeadmClusterConfig.host(endpoint)).isEqualTo(host);
  }

  @ParameterizedTest(name = "{1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "'' | kube-system/kubeadm-config: no ClusterConfiguration document",
        "'- a' | kube-system/kubeadm-config: ClusterConfiguration is not a mapping",
        "'kind: InitConfiguration' | kube-system/kubeadm-config: kind is InitConfiguration, not ClusterConfiguration",
        "'networking: 3' | kube-system/kubeadm-config: networking is not a mapping",
        "'apiServer: {certSANs: x}' | kube-system/kubeadm-config: apiServer.certSANs is not a list",
        "'a: 1\na: 2' | kube-system/kubeadm-config: ClusterConfiguration is not valid YAML: while constructing a mapping",
      })
  void badDocumentsAreOneLineErrorsNamingTheSource(String yaml, String message) {
    assertThatThrownBy(() -> KubeadmClusterConfig.parse(yaml, SRC))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(message);
  }
}
