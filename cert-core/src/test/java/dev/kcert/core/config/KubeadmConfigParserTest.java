package dev.kcert.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kcert.core.keys.KeyAlgorithm;
import dev.kcert.core.model.KcertException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class KubeadmConfigParserTest {
  private static ClusterConfig parse(String yaml) {
    return KubeadmConfigParser.parse(yaml.getBytes(StandardCharsets.UTF_8), "kubeadm.yaml");
  }

  /** A v1beta4 file as 'kubeadm config print init-defaults' lays one out, with every field kcert reads. */
  private static final String V1BETA4 =
      """
      apiVersion: kubeadm.k8s.io/v1beta4
      kind: InitConfiguration
      bootstrapTokens:
      - token: abcdef.0123456789abcdef
        ttl: 24h0m0s
      localAPIEndpoint:
        advertiseAddress: 10.0.0.10
        bindPort: 8443
      nodeRegistration:
        name: cp-1
        criSocket: unix:///var/run/containerd/containerd.sock
        imagePullSerial: true
        taints: null
      timeouts:
        controlPlaneComponentHealthCheck: 4m0s
      ---
      apiVersion: kubeadm.k8s.io/v1beta4
      kind: ClusterConfiguration
      kubernetesVersion: v1.31.2
      clusterName: prod
      certificatesDir: /srv/pki
      certificateValidityPeriod: 17520h0m0s
      caCertificateValidityPeriod: 175200h
      encryptionAlgorithm: ECDSA-P256
      controlPlaneEndpoint: lb.example.com:6443
      apiServer:
        certSANs: [10.0.0.100, api.example.com]
        extraArgs:
        - name: audit-log-path
          value: /var/log/audit.log
      etcd:
        local:
          dataDir: /var/lib/etcd
          serverCertSANs: [etcd.example.com]
          peerCertSANs: [10.0.0.20]
      networking:
        dnsDomain: corp.local
        serviceSubnet: 10.200.0.0/16
        podSubnet: 192.168.0.0/16
      proxy: {}
      ---
      apiVersion: kubelet.config.k8s.io/v1beta1
      kind: KubeletConfiguration
      cgroupDriver: systemd
      anythingGoes: here
      """;

  @Test
  void readsEveryFieldOfV1beta4() {
    ClusterConfig c = parse(V1BETA4);
    assertThat(c.source()).isEqualTo("kubeadm.yaml");
    assertThat(c.certificatesDir()).isEqualTo("/srv/pki");
    assertThat(c.certificateValidityPeriod()).isEqualTo(Duration.ofHours(17520));
    assertThat(c.caCertificateValidityPeriod()).isEqualTo(Duration.ofHours(175200));
    assertThat(c.encryptionAlgorithm()).isEqualTo(KeyAlgorithm.ECDSA_P256);
    assertThat(c.externalEtcd()).isFalse();
    assertThat(c.etcdServerCertSans()).containsExactly("etcd.example.com");
    assertThat(c.etcdPeerCertSans()).containsExactly("10.0.0.20");
    assertThat(c.apiServerCertSans()).containsExactly("10.0.0.100", "api.example.com");
    assertThat(c.controlPlaneEndpoint()).isEqualTo("lb.example.com:6443");
    assertThat(c.dnsDomain()).isEqualTo("corp.local");
    assertThat(c.serviceSubnet()).isEqualTo("10.200.0.0/16");
    assertThat(c.clusterName()).isEqualTo("prod");
    assertThat(c.advertiseAddress()).isEqualTo("10.0.0.10");
    assertThat(c.bindPort()).isEqualTo(8443);
    assertThat(c.nodeName()).isEqualTo("cp-1");
  }

  @Test
  void readsV1beta3WithoutTheFieldsItDoesNotHave() {
    ClusterConfig c =
        parse(
            """
            apiVersion: kubeadm.k8s.io/v1beta3
            kind: ClusterConfiguration
            certificatesDir: /etc/kubernetes/pki
            apiServer:
              timeoutForControlPlane: 4m0s
              certSANs: [k8s.example.com]
            etcd:
              external:
                endpoints: [https://10.0.0.50:2379]
                caFile: /etc/etcd/ca.crt
                certFile: /etc/etcd/client.crt
                keyFile: /etc/etcd/client.key
            """);
    assertThat(c.externalEtcd()).isTrue();
    assertThat(c.apiServerCertSans()).containsExactly("k8s.example.com");
    assertThat(c.certificateValidityPeriod()).isNull();
    assertThat(c.encryptionAlgorithm()).isNull();
  }

  @Test
  void joinConfigurationGivesTheControlPlaneEndpointAndName() {
    ClusterConfig c =
        parse(
            """
            apiVersion: kubeadm.k8s.io/v1beta4
            kind: JoinConfiguration
            nodeRegistration:
              name: cp-2
            controlPlane:
              localAPIEndpoint:
                advertiseAddress: 10.0.0.11
                bindPort: 6443
              certificateKey: "0123"
            discovery:
              bootstrapToken:
                token: abcdef.0123456789abcdef
                apiServerEndpoint: lb:6443
                unsafeSkipCAVerification: true
            """);
    assertThat(c.nodeName()).isEqualTo("cp-2");
    assertThat(c.advertiseAddress()).isEqualTo("10.0.0.11");
    assertThat(c.bindPort()).isEqualTo(6443);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        // v1beta3 never had these: kubeadm's strict decoding refuses them
        "v1beta3 certificateValidityPeriod | kubeadm.k8s.io/v1beta3 | ClusterConfiguration | certificateValidityPeriod: 17520h"
            + " | kubeadm.yaml: ClusterConfiguration: unknown field \"certificateValidityPeriod\"",
        "v1beta3 encryptionAlgorithm       | kubeadm.k8s.io/v1beta3 | ClusterConfiguration | encryptionAlgorithm: ECDSA-P256"
            + " | kubeadm.yaml: ClusterConfiguration: unknown field \"encryptionAlgorithm\"",
        "a misspelt top-level field         | kubeadm.k8s.io/v1beta4 | ClusterConfiguration | certificateDir: /srv"
            + " | kubeadm.yaml: ClusterConfiguration: unknown field \"certificateDir\"",
        "a misspelt nested field            | kubeadm.k8s.io/v1beta4 | ClusterConfiguration | 'etcd: {local: {serverCertSans: [a]}}'"
            + " | kubeadm.yaml: ClusterConfiguration.etcd.local: unknown field \"serverCertSans\"",
        "v1beta4 dropped timeoutForControlPlane | kubeadm.k8s.io/v1beta4 | ClusterConfiguration | 'apiServer: {timeoutForControlPlane: 4m}'"
            + " | kubeadm.yaml: ClusterConfiguration.apiServer: unknown field \"timeoutForControlPlane\"",
        "unknown field of InitConfiguration | kubeadm.k8s.io/v1beta4 | InitConfiguration | 'localAPIEndpoint: {advertiseAddres: 10.0.0.1}'"
            + " | kubeadm.yaml: InitConfiguration.localAPIEndpoint: unknown field \"advertiseAddres\"",
        "a key type kubeadm does not know   | kubeadm.k8s.io/v1beta4 | ClusterConfiguration | encryptionAlgorithm: RSA-1024"
            + " | kubeadm.yaml: ClusterConfiguration.encryptionAlgorithm: unknown value \"RSA-1024\""
            + " (expected RSA-2048, RSA-3072, RSA-4096, ECDSA-P256 or ECDSA-P384)",
        "not a duration                     | kubeadm.k8s.io/v1beta4 | ClusterConfiguration | certificateValidityPeriod: one year"
            + " | kubeadm.yaml: ClusterConfiguration.certificateValidityPeriod: \"one year\" is not a duration (e.g. 8760h)",
        "a zero duration                    | kubeadm.k8s.io/v1beta4 | ClusterConfiguration | certificateValidityPeriod: 0h"
            + " | kubeadm.yaml: ClusterConfiguration.certificateValidityPeriod: \"0h\" must be positive",
        "not a port                         | kubeadm.k8s.io/v1beta4 | InitConfiguration | 'localAPIEndpoint: {bindPort: 70000}'"
            + " | kubeadm.yaml: InitConfiguration.localAPIEndpoint.bindPort: \"70000\" is not a port (1-65535)",
        "both local and external etcd       | kubeadm.k8s.io/v1beta4 | ClusterConfiguration | 'etcd: {local: {}, external: {endpoints: [a]}}'"
            + " | kubeadm.yaml: ClusterConfiguration.etcd: local and external are mutually exclusive",
        "an old version                     | kubeadm.k8s.io/v1beta2 | ClusterConfiguration | clusterName: x"
            + " | kubeadm.yaml: ClusterConfiguration of unsupported apiVersion \"kubeadm.k8s.io/v1beta2\""
            + " (expected kubeadm.k8s.io/v1beta3 or kubeadm.k8s.io/v1beta4)",
      })
  void refusesWhatKubeadmRefuses(
      String name, String apiVersion, String kind, String line, String message) {
    String yaml = "apiVersion: " + apiVersion + "\nkind: " + kind + "\n" + line + "\n";
    assertThatThrownBy(() -> parse(yaml)).isInstanceOf(KcertException.class).hasMessage(message);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\ncgroupDriver: systemd\n",
        "",
        "---\n---\n",
      })
  void aFileWithoutKubeadmDocumentsIsAnError(String yaml) {
    assertThatThrownBy(() -> parse(yaml))
        .isInstanceOf(KcertException.class)
        .hasMessage(
            "kubeadm.yaml: no InitConfiguration, ClusterConfiguration or JoinConfiguration of"
                + " kubeadm.k8s.io/v1beta3 or kubeadm.k8s.io/v1beta4");
  }

  @Test
  void brokenYamlIsOneLineNamingTheFile() {
    assertThatThrownBy(() -> parse("apiVersion: kubeadm.k8s.io/v1beta4\nkind: [unclosed\n"))
        .isInstanceOf(KcertException.class)
        .hasMessageStartingWith("kubeadm.yaml: not valid YAML: ")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
  }

  @Test
  void skipsKubeadmKindsThatSayNothingAboutCertificates() {
    ClusterConfig c =
        parse(
            """
            apiVersion: kubeadm.k8s.io/v1beta4
            kind: ResetConfiguration
            force: true
            ---
            apiVersion: kubeadm.k8s.io/v1beta4
            kind: ClusterConfiguration
            clusterName: c1
            """);
    assertThat(c.clusterName()).isEqualTo("c1");
    assertThat(c.etcdServerCertSans()).isEqualTo(List.of());
  }
}
