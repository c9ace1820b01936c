package dev.kcert.cli;

import static dev.kcert.cli.Cli.args;
import static dev.kcert.cli.Cli.dirs;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kcert.cli.Cli.Run;
import dev.kcert.core.keys.KeyAlgorithm;
import dev.kcert.core.kubeconfig.Kubeconfig;
import dev.kcert.core.pem.Certificates;
import dev.kcert.core.pem.PrivateKeys;
import dev.kcert.core.pki.CertificateInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** How renew, init, generate-csr and check-expiration honour kubeadm's configuration and flag names. */
class KubeadmConfigCommandTest {
  @TempDir Path root;

  private Path config(String yaml) throws Exception {
    Path file = root.resolveSibling(root.getFileName() + "-kubeadm.yaml");
    Files.writeString(file, yaml);
    return file;
  }

  private static X509Certificate cert(Path file) {
    return Certificates.readBundle(file).get(0);
  }

  private static String keyType(Path keyFile) throws Exception {
    return KeyAlgorithm.describe(PrivateKeys.read(keyFile));
  }

  /**
   * One row per way of combining the configuration with flags; the PKI has ECDSA P-256 keys and
   * one-year certificates. Expected: kubeadm's rule (flag, then configuration, then default),
   * except that without encryptionAlgorithm kcert keeps each key's type where kubeadm would make
   * RSA-2048.
   */
  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "v1beta4 validity and algorithm | v1beta4 | certificateValidityPeriod: 17520h\\nencryptionAlgorithm: ECDSA-P384 | ''"
            + "                          | 17520h | ECDSA P-384",
        "--validity wins                | v1beta4 | certificateValidityPeriod: 17520h | --validity=720h"
            + "                          | 720h   | ECDSA P-256",
        "--key-algorithm wins           | v1beta4 | encryptionAlgorithm: ECDSA-P384 | --key-algorithm=ECDSA-P256"
            + "                          | 8760h  | ECDSA P-256",
        "--reuse-key keeps the key      | v1beta4 | encryptionAlgorithm: ECDSA-P384 | --reuse-key"
            + "                          | 8760h  | ECDSA P-256",
        "v1beta3: kcert's defaults      | v1beta3 | clusterName: kubernetes | ''"
            + "                          | 8760h  | ECDSA P-256",
      })
  void renewTakesValidityAndKeyTypeFromTheConfiguration(
      String name, String version, String fields, String flag, String validity, String key)
      throws Exception {
    Cli.pki(root);
    X509Certificate before = cert(root.resolve("pki/apiserver.crt"));
    Path file =
        config(
            "apiVersion: kubeadm.k8s.io/" + version + "\nkind: ClusterConfiguration\n"
                + fields.replace("\\n", "\n") + "\n");
    String[] cmd = {"certs", "renew", "apiserver", "--config", file.toString()};
    if (!flag.isEmpty()) {
      cmd = args(cmd, flag);
    }
    Run r = Cli.run(args(cmd, dirs(root)));

    assertThat(r.code()).as(r.err()).isEqualTo(ExitCodes.OK);
    assertThat(r.err()).isEqualTo("Reading configuration from " + file + "\n");
    X509Certificate after = cert(root.resolve("pki/apiserver.crt"));
    assertThat(after.getNotAfter().toInstant())
        .isEqualTo(Cli.NOW.plus(dev.kcert.core.expiry.Durations.parse(validity)));
    assertThat(keyType(root.resolve("pki/apiserver.key"))).isEqualTo(key);
    assertThat(CertificateInfo.of(after).dnsNames()).isEqualTo(CertificateInfo.of(before).dnsNames());
  }

  @Test
  void certificatesDirComesFromTheConfigurationUnlessCertDirIsGiven() throws Exception {
    Cli.pki(root);
    Path file =
        config(
            "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\ncertificatesDir: "
                + root.resolve("pki") + "\n");
    Run r =
        Cli.run(
            "certs", "check-expiration", "--config", file.toString(),
            "--kubeconfig-dir", root.toString());
    assertThat(r.code()).as(r.err()).isEqualTo(ExitCodes.OK);
    assertThat(r.out()).contains("apiserver                  Jan 10, 2027");

    Run flagWins =
        Cli.run(
            "certs", "check-expiration", "--config", file.toString(),
            "--kubeconfig-dir", root.toString(), "--cert-dir", root.resolve("nowhere").toString());
    assertThat(flagWins.out()).contains("!MISSING! apiserver");
  }

  @Test
  void externalEtcdInTheConfigurationLeavesEtcdOut() throws Exception {
    Cli.pki(root);
    Map<String, String> etcdBefore = etcdFiles();
    Path file =
        config(
            """
            apiVersion: kubeadm.k8s.io/v1beta4
            kind: ClusterConfiguration
            etcd:
              external:
                endpoints: [https://10.0.0.50:2379]
                caFile: /etc/etcd/ca.crt
                certFile: /etc/etcd/client.crt
                keyFile: /etc/etcd/client.key
            """);
    Run r = Cli.run(args(new String[] {"certs", "renew", "all", "--config", file.toString()}, dirs(root)));

    assertThat(r.code()).as(r.err()).isEqualTo(ExitCodes.OK);
    assertThat(r.out())
        .startsWith(
            "etcd is external (etcd.external in the configuration): etcd-server, etcd-peer,"
                + " etcd-healthcheck-client, apiserver-etcd-client are left to etcd's owner\n")
        .doesNotContain("certificate for serving etcd renewed")
        .contains("certificate for serving the Kubernetes API renewed");
    assertThat(etcdFiles()).isEqualTo(etcdBefore);

    Run one = Cli.run(args(new String[] {"certs", "renew", "etcd-server", "--config", file.toString()}, dirs(root)));
    assertThat(one.code()).isEqualTo(ExitCodes.ERROR);
    assertThat(one.err())
        .endsWith(
            "error: etcd-server is not a certificate of this cluster: etcd is external, and its"
                + " certificates belong to etcd's owner\n");

    Run check = Cli.run(args(new String[] {"certs", "check-expiration", "--config", file.toString()}, dirs(root)));
    assertThat(check.code()).as(check.err()).isEqualTo(ExitCodes.OK);
    assertThat(check.out()).doesNotContain("etcd");
  }

  private Map<String, String> etcdFiles() {
    Map<String, String> all = Cli.snapshot(root);
    all.keySet().removeIf(k -> !k.startsWith("pki/etcd/") && !k.startsWith("pki/apiserver-etcd-client"));
    return all;
  }

  @Test
  void externalEtcdIsRecognisedWithoutConfiguration() throws Exception {
    Cli.pki(root);
    // as on a node of an HA cluster with external etcd: no pki/etcd/, no etcd manifest, and the
    // etcd client certificate the etcd's owner issued
    deleteTree(root.resolve("pki/etcd"));

    Run dry = Cli.run(args(new String[] {"certs", "renew", "all", "--renew-within", "30d"}, dirs(root)));
    assertThat(dry.code()).as(dry.err()).isEqualTo(ExitCodes.NOTHING_TO_DO);
    assertThat(dry.out())
        .startsWith(
            "etcd is external (no " + root.resolve("pki/etcd") + " and no local etcd manifest):"
                + " etcd-server, etcd-peer, etcd-healthcheck-client, apiserver-etcd-client are left"
                + " to etcd's owner\n");

    Run all = Cli.run(args(new String[] {"certs", "renew", "all"}, dirs(root)));
    assertThat(all.code()).as(all.err()).isEqualTo(ExitCodes.OK);
    assertThat(all.err()).isEmpty();
    assertThat(all.out()).contains("certificate for serving the Kubernetes API renewed");

    Path csrs = root.resolveSibling(root.getFileName() + "-csr");
    Run csr =
        Cli.run(args(new String[] {"certs", "renew", "all", "--csr-only", "--csr-dir", csrs.toString()}, dirs(root)));
    assertThat(csr.code()).as(csr.err()).isEqualTo(ExitCodes.OK);
    assertThat(csrs.resolve("apiserver.csr")).exists();
    assertThat(csrs.resolve("apiserver-etcd-client.csr")).doesNotExist();
    assertThat(csrs.resolve("etcd-server.csr")).doesNotExist();

    Run check = Cli.run(args(new String[] {"certs", "check-expiration"}, dirs(root)));
    assertThat(check.code()).as(check.err()).isEqualTo(ExitCodes.OK);
    assertThat(check.out()).doesNotContain("etcd");
    assertThat(check.err())
        .isEqualTo(
            "note: etcd is external (no " + root.resolve("pki/etcd") + " and no local etcd"
                + " manifest): etcd-ca, etcd-server, etcd-peer, etcd-healthcheck-client and"
                + " apiserver-etcd-client are not reported, as kubeadm does\n");
  }

  @Test
  void aLocalEtcdManifestKeepsEtcdInTheReport() throws Exception {
    Cli.pki(root);
    deleteTree(root.resolve("pki/etcd"));
    Files.createDirectories(root.resolve("manifests"));
    Files.writeString(root.resolve("manifests/etcd.yaml"), "apiVersion: v1\nkind: Pod\n");
    Run check = Cli.run(args(new String[] {"certs", "check-expiration"}, dirs(root)));
    assertThat(check.out()).contains("!MISSING! etcd-server").contains("!MISSING! etcd-ca");
  }

  @Test
  void initTakesEverythingFromTheConfiguration() throws Exception {
    Path file =
        config(
            """
            apiVersion: kubeadm.k8s.io/v1beta4
            kind: InitConfiguration
            localAPIEndpoint:
              advertiseAddress: 10.0.0.10
              bindPort: 8443
            nodeRegistration:
              name: CP-1
            ---
            apiVersion: kubeadm.k8s.io/v1beta4
            kind: ClusterConfiguration
            clusterName: prod
            controlPlaneEndpoint: lb.example.com
            certificateValidityPeriod: 2160h
            caCertificateValidityPeriod: 43800h
            encryptionAlgorithm: ECDSA-P384
            apiServer:
              certSANs: [10.0.0.100, api.example.com]
            networking:
              dnsDomain: corp.local
              serviceSubnet: 10.200.0.0/16
            etcd:
              local:
                serverCertSANs: [etcd.example.com, 10.0.0.30]
                peerCertSANs: [peer.example.com]
            """);
    Run r = Cli.run(args(new String[] {"certs", "init", "--config", file.toString()}, dirs(root)));
    assertThat(r.code()).as(r.err()).isEqualTo(ExitCodes.OK);
    assertThat(r.err()).isEqualTo("Reading configuration from " + file + "\n");
    assertThat(r.out()).endsWith("Created the PKI of node cp-1 (ECDSA-P384 keys): 27 files.\n");

    CertificateInfo api = CertificateInfo.of(cert(root.resolve("pki/apiserver.crt")));
    assertThat(api.dnsNames())
        .containsExactly(
            "api.example.com", "cp-1", "kubernetes", "kubernetes.default",
            "kubernetes.default.svc", "kubernetes.default.svc.corp.local", "lb.example.com");
    assertThat(api.ipAddressStrings()).containsExactly("10.200.0.1", "10.0.0.10", "10.0.0.100");
    assertThat(api.notAfter()).isEqualTo(Cli.NOW.plus(Duration.ofHours(2160)));
    assertThat(cert(root.resolve("pki/ca.crt")).getNotAfter().toInstant())
        .isEqualTo(Cli.NOW.plus(Duration.ofHours(43800)));
    CertificateInfo server = CertificateInfo.of(cert(root.resolve("pki/etcd/server.crt")));
    assertThat(server.dnsNames()).containsExactly("cp-1", "etcd.example.com", "localhost");
    assertThat(server.ipAddressStrings()).containsExactly("10.0.0.10", "127.0.0.1", "0:0:0:0:0:0:0:1", "10.0.0.30");
    CertificateInfo peer = CertificateInfo.of(cert(root.resolve("pki/etcd/peer.crt")));
    assertThat(peer.dnsNames()).containsExactly("cp-1", "localhost", "peer.example.com");
    assertThat(keyType(root.resolve("pki/apiserver.key"))).isEqualTo("ECDSA P-384");

    // kubeadm: the load balancer for admin, super-admin and the kubelet; the node's own API
    // server for the controller manager and the scheduler, which run beside it
    assertThat(server("admin.conf")).isEqualTo("https://lb.example.com:8443");
    assertThat(server("super-admin.conf")).isEqualTo("https://lb.example.com:8443");
    assertThat(server("kubelet.conf")).isEqualTo("https://lb.example.com:8443");
    assertThat(server("controller-manager.conf")).isEqualTo("https://10.0.0.10:8443");
    assertThat(server("scheduler.conf")).isEqualTo("https://10.0.0.10:8443");
    assertThat(Kubeconfig.read(root.resolve("admin.conf")).credentials().clusterName()).isEqualTo("prod");
  }

  private String server(String kubeconfig) {
    return Kubeconfig.read(root.resolve(kubeconfig)).credentials().server();
  }

  @Test
  void initWithExternalEtcdMakesNoEtcdCertificates() throws Exception {
    Path file =
        config(
            "apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\n"
                + "etcd:\n  external:\n    endpoints: [https://10.0.0.50:2379]\n");
    Run r =
        Cli.run(
            args(
                new String[] {
                  "certs", "init", "--config", file.toString(), "--node-name", "cp-1",
                  "--apiserver-advertise-address", "10.0.0.10", "--key-algorithm", "ECDSA-P256"
                },
                dirs(root)));
    assertThat(r.code()).as(r.err()).isEqualTo(ExitCodes.OK);
    assertThat(root.resolve("pki/etcd")).doesNotExist();
    assertThat(root.resolve("pki/apiserver-etcd-client.crt")).doesNotExist();
    assertThat(root.resolve("pki/apiserver.crt")).exists();
    assertThat(r.out()).contains("etcd is external: its CA, its certificates and apiserver-etcd-client are left to etcd's owner");

    Run gen =
        Cli.run(
            "certs", "generate-csr", "--config", file.toString(), "--node-name", "cp-2",
            "--apiserver-advertise-address", "10.0.0.11", "--key-algorithm", "ECDSA-P256",
            "--cert-dir", root.resolve("pki2").toString(), "--kubeconfig-dir", root.resolve("kc2").toString());
    // generate-csr needs the CA certificate only
    assertThat(gen.code()).isEqualTo(ExitCodes.ERROR);
    Files.createDirectories(root.resolve("pki2"));
    Files.copy(root.resolve("pki/ca.crt"), root.resolve("pki2/ca.crt"));
    gen =
        Cli.run(
            "certs", "generate-csr", "--config", file.toString(), "--node-name", "cp-2",
            "--apiserver-advertise-address", "10.0.0.11", "--key-algorithm", "ECDSA-P256",
            "--cert-dir", root.resolve("pki2").toString(), "--kubeconfig-dir", root.resolve("kc2").toString());
    assertThat(gen.code()).as(gen.err()).isEqualTo(ExitCodes.OK);
    assertThat(root.resolve("pki2/apiserver.csr")).exists();
    assertThat(root.resolve("pki2/etcd")).doesNotExist();
    assertThat(root.resolve("pki2/apiserver-etcd-client.csr")).doesNotExist();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "a URL            | --control-plane-endpoint=https://lb:6443 | --control-plane-endpoint 'https://lb:6443': host 'https://lb:6443' must be an IP address",
        "a space          | --control-plane-endpoint=lb example      | --control-plane-endpoint 'lb example': host 'lb example' must be an IP address",
        "an empty label   | --control-plane-endpoint=lb..example     | --control-plane-endpoint 'lb..example': host 'lb..example' must be an IP address",
        "a bad port       | --control-plane-endpoint=lb:99999        | --control-plane-endpoint 'lb:99999': port '99999' must be a number from 1 to 65535",
        "SANs with spaces | --apiserver-cert-extra-sans=foo bar      | --apiserver-cert-extra-sans: 'foo bar' is not a DNS name or an IP address (separate SANs with commas)",
        "an empty SAN     | --apiserver-cert-extra-sans=a,,b         | --apiserver-cert-extra-sans: '' is not a DNS name or an IP address (separate SANs with commas)",
      })
  void malformedNodeFlagsAreUsageErrors(String name, String flag, String message) {
    for (String command : new String[] {"init", "generate-csr"}) {
      Run r =
          Cli.run(
              args(
                  new String[] {
                    "certs", command, "--node-name", "cp-1", "--apiserver-advertise-address",
                    "10.0.0.10", flag
                  },
                  dirs(root)));
      assertThat(r.code()).as(command).isEqualTo(ExitCodes.USAGE);
      assertThat(r.err()).as(command).startsWith(message);
      assertThat(root.resolve("pki")).doesNotExist();
    }
  }

  @Test
  void aBadValueInTheConfigurationNamesTheFile() throws Exception {
    Path file =
        config(
            "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\n"
                + "controlPlaneEndpoint: https://lb:6443\n");
    Run r =
        Cli.run(
            args(
                new String[] {
                  "certs", "init", "--config", file.toString(), "--node-name", "cp-1",
                  "--apiserver-advertise-address", "10.0.0.10"
                },
                dirs(root)));
    assertThat(r.code()).isEqualTo(ExitCodes.ERROR);
    assertThat(r.err())
        .endsWith(
            "error: control-plane endpoint 'https://lb:6443': host 'https://lb:6443' must be an IP"
                + " address or a lower-case DNS name (host[:port], not a URL) (in the flags or "
                + file + ")\n");
    assertThat(root.resolve("pki")).doesNotExist();
  }

  @Test
  void kubeadmFlagNamesAndTheOldAliasesMakeTheSamePki() throws Exception {
    Run r =
        Cli.run(
            args(
                new String[] {
                  "certs", "init", "--node-name", "cp-1", "--apiserver-advertise-address",
                  "fd00::10", "--apiserver-bind-port", "443", "--service-dns-domain", "corp.local",
                  "--service-cidr", "10.200.0.0/16", "--apiserver-cert-extra-sans",
                  "a.example.com,10.0.0.100", "--key-algorithm", "ECDSA-P256"
                },
                dirs(root)));
    assertThat(r.code()).as(r.err()).isEqualTo(ExitCodes.OK);
    CertificateInfo api = CertificateInfo.of(cert(root.resolve("pki/apiserver.crt")));
    assertThat(api.dnsNames()).contains("kubernetes.default.svc.corp.local", "a.example.com");
    assertThat(server("admin.conf")).isEqualTo("https://[fd00::10]:443");

    Path other = root.resolveSibling(root.getFileName() + "-aliases");
    Run old =
        Cli.run(
            args(
                new String[] {
                  "certs", "init", "--node-name", "cp-1", "--advertise-address", "fd00::10",
                  "--apiserver-bind-port", "443", "--dns-domain", "corp.local", "--service-cidr",
                  "10.200.0.0/16", "--apiserver-cert-extra-sans", "a.example.com,10.0.0.100",
                  "--key-algorithm", "ECDSA-P256"
                },
                dirs(other)));
    assertThat(old.code()).as(old.err()).isEqualTo(ExitCodes.OK);
    CertificateInfo oldApi = CertificateInfo.of(cert(other.resolve("pki/apiserver.crt")));
    assertThat(oldApi.dnsNames()).isEqualTo(api.dnsNames());
    assertThat(oldApi.ipAddressStrings()).isEqualTo(api.ipAddressStrings());
  }

  @Test
  void aBrokenConfigurationIsOneLineAndChangesNothing() throws Exception {
    Cli.pki(root);
    Map<String, String> before = Cli.snapshot(root);
    Path file =
        config("apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\ncertificateValidity: 1h\n");
    Run r = Cli.run(args(new String[] {"certs", "renew", "all", "--config", file.toString()}, dirs(root)));
    assertThat(r.code()).isEqualTo(ExitCodes.ERROR);
    assertThat(r.err())
        .isEqualTo("error: " + file + ": ClusterConfiguration: unknown field \"certificateValidity\"\n");
    assertThat(Cli.snapshot(root)).isEqualTo(before);

    Run missing =
        Cli.run(args(new String[] {"certs", "renew", "all", "--config", root.resolve("nope.yaml").toString()}, dirs(root)));
    assertThat(missing.code()).isEqualTo(ExitCodes.ERROR);
    assertThat(missing.err()).startsWith("error: " + root.resolve("nope.yaml") + ": ");
    assertThat(Cli.snapshot(root)).isEqualTo(before);
  }

  @Test
  void rootfsTakesEveryAbsolutePathBelowIt() throws Exception {
    // a node's tree copied to <root>/host, with kubelet.conf pointing at the kubelet's own file by
    // its absolute path, as kubeadm 1.17 and later write it
    Path host = root.resolve("host");
    Path etc = host.resolve("etc/kubernetes");
    Cli.pki(etc);
    Path kubeletPki = host.resolve("var/lib/kubelet/pki");
    Files.createDirectories(kubeletPki);
    Kubeconfig kubelet = Kubeconfig.read(etc.resolve("kubelet.conf"));
    var creds = kubelet.credentials();
    byte[] pem =
        (new String(creds.clientCertificate().load()) + new String(creds.clientKey().load())).getBytes();
    Files.write(kubeletPki.resolve("kubelet-client-current.pem"), pem);
    String text = Files.readString(etc.resolve("kubelet.conf"));
    text =
        text.replaceAll(
                "client-certificate-data: \\S+",
                "client-certificate: /var/lib/kubelet/pki/kubelet-client-current.pem")
            .replaceAll(
                "client-key-data: \\S+", "client-key: /var/lib/kubelet/pki/kubelet-client-current.pem");
    Files.writeString(etc.resolve("kubelet.conf"), text);
    Files.copy(etc.resolve("pki/ca.crt"), kubeletPki.resolve("kubelet.crt"));

    Run r =
        Cli.run(
            "certs", "check-expiration", "--rootfs", host.toString(), "--include-kubelet");
    assertThat(r.code()).as(r.err()).isEqualTo(ExitCodes.OK);
    assertThat(r.out()).doesNotContain("!INVALID!").doesNotContain("!MISSING!");
    assertThat(row(r.out(), "kubelet.conf")).contains("Jan 10, 2027 08:00 UTC");
    assertThat(row(r.out(), "kubelet-client-current.pem")).contains("Jan 10, 2027 08:00 UTC");

    // the same tree as a ROOT folder: the absolute reference is read below <root>/host
    // and so are the kubelet's own files: <root>/host/var/lib/kubelet/pki, as kubelet.conf's
    Run fleet = Cli.run("certs", "check-expiration", "--include-kubelet", etc.toString());
    assertThat(fleet.code()).as(fleet.err()).isEqualTo(ExitCodes.OK);
    assertThat(fleet.out()).doesNotContain("!INVALID!").doesNotContain("!MISSING!");
    assertThat(row(fleet.out(), "kubelet.conf")).contains("Jan 10, 2027 08:00 UTC");
    assertThat(row(fleet.out(), "kubelet-client-current.pem")).contains("Jan 10, 2027 08:00 UTC");

    // and renewal writes below --rootfs too
    Run renew = Cli.run("certs", "renew", "admin.conf", "--rootfs", host.toString());
    assertThat(renew.code()).as(renew.err()).isEqualTo(ExitCodes.OK);
    assertThat(renew.out())
        .contains("Backed up the files that were replaced to " + etc.resolve("tmp/kcert-backup-20261123T120000Z"));
    Kubeconfig renewed = Kubeconfig.read(etc.resolve("admin.conf"));
    X509Certificate adminCert =
        Certificates.parseBundle(renewed.credentials().clientCertificate().load(), "admin.conf").get(0);
    assertThat(adminCert.getNotAfter().toInstant()).isEqualTo(Cli.NOW.plus(Duration.ofDays(365)));
  }

  /** The table row of a certificate. */
  private static String row(String table, String name) {
    return table.lines().filter(l -> l.startsWith(name + " ")).findFirst().orElse("(no row " + name + ")");
  }

  /** Deletes a folder tree. */
  static void deleteTree(Path dir) throws java.io.IOException {
    try (var s = Files.walk(dir)) {
      for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
