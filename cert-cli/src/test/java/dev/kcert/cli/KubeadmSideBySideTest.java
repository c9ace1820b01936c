package dev.kcert.cli;

import static dev.kcert.cli.Cli.args;
import static dev.kcert.cli.Cli.dirs;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kcert.cli.Cli.Run;
import dev.kcert.core.kubeconfig.Kubeconfig;
import dev.kcert.core.pem.Certificates;
import dev.kcert.core.pki.CertificateInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kcert certs renew all} beside what {@code kubeadm certs renew all} (v1.31) gives the same
 * PKI and the same ClusterConfiguration: {@code certificateValidityPeriod: 17520h}, {@code
 * encryptionAlgorithm: ECDSA-P384} and {@code etcd.external}.
 *
 * <p>The kubeadm column is built from kubeadm's documented and coded behaviour, since no kubeadm
 * binary runs here: the renewal manager's certificate list is {@code GetCertsWithoutEtcd} when
 * {@code etcd.external} is set (no etcd certificates, no {@code apiserver-etcd-client}, no etcd CA),
 * plus admin.conf, super-admin.conf, controller-manager.conf and scheduler.conf (kubelet.conf is
 * left to the kubelet); each renewed certificate keeps the old one's subject, SANs and extended key
 * usages ({@code certToConfig}), gets a new key of {@code encryptionAlgorithm}, is valid from five
 * minutes before now ({@code CertificateBackdate}) until now plus {@code certificateValidityPeriod};
 * CAs are never renewed.
 */
class KubeadmSideBySideTest {
  @TempDir Path root;

  /** What kubeadm gives one certificate: renewed (with validity and key type) or left as it is. */
  record Expected(boolean renewed, Duration validity, String keyType) {
    static Expected renew() {
      return new Expected(true, Duration.ofHours(17520), "ECDSA P-384");
    }

    static Expected keep() {
      return new Expected(false, null, null);
    }
  }

  /** The kubeadm column, one row per file kubeadm's renewal could touch. */
  static final Map<String, Expected> KUBEADM = new LinkedHashMap<>();

  static {
    KUBEADM.put("pki/apiserver.crt", Expected.renew());
    KUBEADM.put("pki/apiserver-kubelet-client.crt", Expected.renew());
    KUBEADM.put("pki/front-proxy-client.crt", Expected.renew());
    KUBEADM.put("admin.conf", Expected.renew());
    KUBEADM.put("super-admin.conf", Expected.renew());
    KUBEADM.put("controller-manager.conf", Expected.renew());
    KUBEADM.put("scheduler.conf", Expected.renew());
    KUBEADM.put("pki/apiserver-etcd-client.crt", Expected.keep());
    KUBEADM.put("pki/etcd/server.crt", Expected.keep());
    KUBEADM.put("pki/etcd/peer.crt", Expected.keep());
    KUBEADM.put("pki/etcd/healthcheck-client.crt", Expected.keep());
    KUBEADM.put("pki/etcd/ca.crt", Expected.keep());
    KUBEADM.put("pki/ca.crt", Expected.keep());
    KUBEADM.put("pki/front-proxy-ca.crt", Expected.keep());
    KUBEADM.put("kubelet.conf", Expected.keep());
  }

  private X509Certificate read(String file) {
    Path p = root.resolve(file);
    if (file.endsWith(".conf")) {
      byte[] pem = Kubeconfig.read(p).credentials().clientCertificate().load();
      return Certificates.parseBundle(pem, file).get(0);
    }
    return Certificates.readBundle(p).get(0);
  }

  @Test
  void renewAllGivesWhatKubeadmGives() throws Exception {
    Cli.pki(root); // ECDSA P-256 keys, one year, local etcd files still on disk
    Map<String, CertificateInfo> before = new LinkedHashMap<>();
    Map<String, String> bytesBefore = Cli.snapshot(root);
    for (String f : KUBEADM.keySet()) {
      before.put(f, CertificateInfo.of(read(f)));
    }
    Path config = root.resolveSibling(root.getFileName() + "-kubeadm.yaml");
    Files.writeString(
        config,
        """
        apiVersion: kubeadm.k8s.io/v1beta4
        kind: ClusterConfiguration
        certificateValidityPeriod: 17520h
        encryptionAlgorithm: ECDSA-P384
        etcd:
          external:
            endpoints: [https://10.0.0.50:2379]
            caFile: /etc/etcd/ca.crt
            certFile: /etc/etcd/client.crt
            keyFile: /etc/etcd/client.key
        """);

    Run r = Cli.run(args(new String[] {"certs", "renew", "all", "--config", config.toString()}, dirs(root)));
    assertThat(r.code()).as(r.err()).isEqualTo(ExitCodes.OK);

    Map<String, String> bytesAfter = Cli.snapshot(root);
    Instant now = Cli.NOW;
    for (Map.Entry<String, Expected> row : KUBEADM.entrySet()) {
      String f = row.getKey();
      Expected kubeadm = row.getValue();
      CertificateInfo old = before.get(f);
      CertificateInfo kcert = CertificateInfo.of(read(f));
      if (!kubeadm.renewed()) {
        assertThat(bytesAfter.get(f)).as(f + ": kubeadm leaves it as it is").isEqualTo(bytesBefore.get(f));
        continue;
      }
      assertThat(kcert.serial()).as(f + ": renewed").isNotEqualTo(old.serial());
      assertThat(kcert.notBefore()).as(f + ": notBefore").isEqualTo(now.minus(Duration.ofMinutes(5)));
      assertThat(kcert.notAfter()).as(f + ": notAfter").isEqualTo(now.plus(kubeadm.validity()));
      assertThat(kcert.keyDescription()).as(f + ": key").isEqualTo(kubeadm.keyType());
      assertThat(kcert.subject()).as(f + ": subject").isEqualTo(old.subject());
      assertThat(kcert.issuer()).as(f + ": issuer").isEqualTo(old.issuer());
      assertThat(kcert.dnsNames()).as(f + ": DNS SANs").isEqualTo(old.dnsNames());
      assertThat(kcert.ipAddresses()).as(f + ": IP SANs").isEqualTo(old.ipAddresses());
      assertThat(kcert.extKeyUsages()).as(f + ": extended key usages").isEqualTo(old.extKeyUsages());
    }
    // the same set of renewed certificates, by kubeadm's long names, in kubeadm's order (by name:
    // admin.conf, apiserver, apiserver-kubelet-client, controller-manager.conf, front-proxy-client,
    // scheduler.conf, super-admin.conf)
    List<String> renewedLines =
        r.out().lines().filter(l -> l.endsWith(" renewed")).toList();
    assertThat(renewedLines)
        .containsExactly(
            "certificate embedded in the kubeconfig file for the admin to use and for kubeadm itself renewed",
            "certificate for serving the Kubernetes API renewed",
            "certificate for the API server to connect to kubelet renewed",
            "certificate embedded in the kubeconfig file for the controller manager to use renewed",
            "certificate for the front proxy client renewed",
            "certificate embedded in the kubeconfig file for the scheduler manager to use renewed",
            "certificate embedded in the kubeconfig file for the super-admin renewed");
  }
}
