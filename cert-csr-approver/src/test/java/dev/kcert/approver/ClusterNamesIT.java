package dev.kcert.approver;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kcert.core.approval.PolicyConfig;
import dev.kcert.core.csr.KubeletCsrs;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The reserved names and addresses with the kubeadm-config ConfigMap present, absent, and changed
 * while the approver runs. Every node here writes the reserved address into its own status.
 */
class ClusterNamesIT {
  static final Duration WAIT = Duration.ofSeconds(15);
  MockCluster cluster;

  @BeforeEach
  void start() {
    cluster = new MockCluster();
    cluster.createNode("node-a", "Hostname", "node-a", "InternalIP", "10.0.0.11", "ExternalIP", "10.96.0.1",
        "ExternalIP", "10.112.0.1", "InternalDNS", "node-a.cluster.local", "InternalDNS", "api.example.com",
        "InternalDNS", "node-a.corp.internal");
  }

  @AfterEach
  void stop() {
    cluster.close();
  }

  static String clusterConfiguration(String certSan) {
    return "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\n"
        + "controlPlaneEndpoint: cp.example.com:6443\n"
        + "networking:\n  serviceSubnet: 10.112.0.0/12\n  dnsDomain: corp.internal\n"
        + (certSan == null ? "" : "apiServer:\n  certSANs:\n  - " + certSan + "\n");
  }

  void writeConfigMap(String certSan) {
    cluster.client().configMaps().inNamespace("kube-system").resource(new ConfigMapBuilder()
        .withNewMetadata().withName("kubeadm-config").withNamespace("kube-system").endMetadata()
        .withData(Map.of("ClusterConfiguration", clusterConfiguration(certSan))).build()).createOr(c -> c.update());
  }

  Approver started() throws Exception {
    Settings s = Settings.defaults(PolicyConfig.defaults(), "names")
        .withLeaderElection(false, Duration.ofSeconds(3), Duration.ofSeconds(2), Duration.ofMillis(250))
        .withRetryDelays(Duration.ofMillis(100), Duration.ofSeconds(1));
    Approver a = new Approver(cluster.client(), s, Clock.systemUTC());
    a.start("127.0.0.1", -1);
    MockCluster.await("ready", WAIT, () -> a.notReadyBecause() == null);
    return a;
  }

  String decide(String csr, KubeletCsrs request) {
    cluster.createCsr(csr, "node-a", request.pem());
    var c = cluster.awaitConditions(csr, WAIT).get(0);
    return c.getType() + " " + c.getReason();
  }

  static KubeletCsrs nodeA() {
    return KubeletCsrs.forNode("node-a").dns("node-a");
  }

  @Test
  void withoutTheConfigMapKubeadmsDefaultsAreReserved() throws Exception {
    try (Approver a = started()) {
      assertThat(decide("csr-svc", nodeA().ip("10.96.0.1"))).isEqualTo("Denied ReservedAddress");
      assertThat(decide("csr-local", nodeA().dns("node-a.cluster.local"))).isEqualTo("Denied ReservedName");
      assertThat(decide("csr-other", nodeA().ip("10.112.0.1").dns("node-a.corp.internal")))
          .isEqualTo("Approved KcertApproved");
    }
  }

  @Test
  void withTheConfigMapItsNetworkingAndEndpointAreReserved() throws Exception {
    writeConfigMap(null);
    try (Approver a = started()) {
      assertThat(decide("csr-svc", nodeA().ip("10.112.0.1"))).isEqualTo("Denied ReservedAddress");
      assertThat(decide("csr-domain", nodeA().dns("node-a.corp.internal"))).isEqualTo("Denied ReservedName");
      assertThat(decide("csr-free", nodeA().ip("10.96.0.1").dns("node-a.cluster.local")))
          .isEqualTo("Approved KcertApproved");
    }
  }

  @Test
  void aChangedConfigMapIsFollowedWhileRunning() throws Exception {
    writeConfigMap(null);
    try (Approver a = started()) {
      assertThat(decide("csr-before", nodeA().dns("api.example.com"))).isEqualTo("Approved KcertApproved");
      writeConfigMap("api.example.com");
      MockCluster.await("the new certSAN", WAIT, () -> a.reservedNames().apiServerCertSans().contains("api.example.com"));
      assertThat(decide("csr-after", nodeA().dns("api.example.com"))).isEqualTo("Denied ReservedName");
      assertThat(cluster.conditions("csr-after").get(0).getMessage())
          .isEqualTo("DNS SAN api.example.com is reserved: it is one of the API server's certSANs");
    }
  }
}
