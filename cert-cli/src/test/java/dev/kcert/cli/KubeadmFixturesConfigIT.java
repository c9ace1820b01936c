package dev.kcert.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kcert.cli.Cli.Run;
import dev.kcert.core.kubeconfig.Kubeconfig;
import dev.kcert.core.model.ExtendedKeyUsage;
import dev.kcert.core.pem.Certificates;
import dev.kcert.core.pem.PrivateKeys;
import dev.kcert.core.pki.CertificateSigner;
import dev.kcert.core.pki.CertificateTemplate;
import dev.kcert.core.testing.Fixtures;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The real kubeadm trees of {@code ../shared/fixtures/kubeadm} (skipped when absent) as external
 * etcd nodes and as copied trees read with {@code --rootfs}.
 */
class KubeadmFixturesConfigIT {
  @TempDir Path tmp;

  /** The trees that come with their CA keys (the keyless one cannot be renewed). */
  static List<String> renewable() {
    return Fixtures.names().stream().filter(n -> !n.equals(Fixtures.KEYLESS)).toList();
  }

  private static void deleteTree(Path dir) throws Exception {
    KubeadmConfigCommandTest.deleteTree(dir);
  }

  private static String[] dirs(Path etc) {
    return new String[] {"--cert-dir", etc.resolve("pki").toString(), "--kubeconfig-dir", etc.toString()};
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("renewable")
  void externalEtcdNodesRenewAndReportWithExitZero(String name) throws Exception {
    Path etc = Fixtures.copy(name, tmp.resolve("etc/kubernetes"));
    // an external-etcd node: no pki/etcd/, no etcd manifest
    deleteTree(etc.resolve("pki/etcd"));
    String leftOut =
        "etcd-server, etcd-peer, etcd-healthcheck-client, apiserver-etcd-client are left to etcd's owner";

    Run check = Cli.run(Cli.args(new String[] {"certs", "check-expiration"}, dirs(etc)));
    assertThat(check.code()).as(check.err()).isEqualTo(ExitCodes.OK);
    assertThat(check.out()).doesNotContain("etcd");
    assertThat(check.err()).contains("note: etcd is external");

    Path csrs = tmp.resolve("csr");
    Run csr =
        Cli.run(
            Cli.args(
                new String[] {"certs", "renew", "all", "--csr-only", "--csr-dir", csrs.toString(), "--key-algorithm", "ECDSA-P256"},
                dirs(etc)));
    assertThat(csr.code()).as(csr.err()).isEqualTo(ExitCodes.OK);
    assertThat(csr.out()).contains(leftOut);
    assertThat(csrs.resolve("apiserver-etcd-client.csr")).doesNotExist();

    Run due =
        Cli.run(
            Cli.args(
                new String[] {"certs", "renew", "all", "--renew-within", "30d", "--key-algorithm", "ECDSA-P256"},
                dirs(etc)));
    assertThat(due.code()).as(due.err()).isEqualTo(ExitCodes.OK);
    assertThat(due.out()).contains(leftOut).contains("certificate for serving the Kubernetes API renewed");
    assertThat(due.err()).doesNotContain("error");

    // the daily timer's next run: nothing is due, and it is not a failure
    Run again =
        Cli.run(Cli.args(new String[] {"certs", "renew", "all", "--renew-within", "30d"}, dirs(etc)));
    assertThat(again.code()).as(again.err()).isEqualTo(ExitCodes.NOTHING_TO_DO);

    Run after =
        Cli.run(Cli.args(new String[] {"certs", "check-expiration", "--fail-within", "30d"}, dirs(etc)));
    assertThat(after.code()).as(after.err()).isEqualTo(ExitCodes.OK);
  }

  /**
   * The v1.25 tree's kubelet.conf names /var/lib/kubelet/pki/kubelet-client-current.pem: with
   * --rootfs (or as a ROOT folder ending in etc/kubernetes) it is read below the copied tree, never
   * from this machine.
   */
  @Test
  void aCopiedV125TreeReadsTheKubeletFileBelowRootfs() throws Exception {
    String name = "Harris2711__demokube";
    Path host = tmp.resolve("host");
    Path etc = Fixtures.copy(name, host.resolve("etc/kubernetes"));
    assertThat(Files.readString(etc.resolve("kubelet.conf")))
        .contains("client-certificate: /var/lib/kubelet/pki/kubelet-client-current.pem");

    // the kubelet's own file is not part of the fixture: sign one with the tree's CA
    X509Certificate ca = Certificates.readBundle(etc.resolve("pki/ca.crt")).get(0);
    PrivateKey caKey = PrivateKeys.read(etc.resolve("pki/ca.key"));
    KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
    gen.initialize(256);
    KeyPair pair = gen.generateKeyPair();
    String nodeName =
        Kubeconfig.read(etc.resolve("kubelet.conf")).credentials().userName().replace("system:node:", "");
    X509Certificate kubelet =
        CertificateSigner.sign(
            new CertificateTemplate(
                "system:node:" + nodeName, List.of("system:nodes"), List.of(), List.of(),
                EnumSet.of(ExtendedKeyUsage.CLIENT_AUTH), false,
                Cli.NOW.minus(Duration.ofDays(1)), Cli.NOW.plus(Duration.ofDays(100))),
            pair.getPublic(), ca, caKey);
    Path kubeletPki = host.resolve("var/lib/kubelet/pki");
    Files.createDirectories(kubeletPki);
    Files.writeString(
        kubeletPki.resolve("kubelet-client-current.pem"),
        Certificates.toPem(kubelet) + PrivateKeys.toPem(pair),
        StandardCharsets.US_ASCII);

    Run r =
        Cli.run("certs", "check-expiration", "--rootfs", host.toString(), "--include-kubelet", "--check-keys");
    assertThat(r.out()).doesNotContain("!INVALID! kubelet.conf");
    assertThat(r.out().lines().filter(l -> l.startsWith("kubelet.conf ")).findFirst().orElseThrow())
        .contains("Mar 03, 2027");

    Run fleet = Cli.run("certs", "check-expiration", "--include-kubelet", etc.toString());
    assertThat(fleet.out()).doesNotContain("!INVALID! kubelet.conf");
    assertThat(fleet.out().lines().filter(l -> l.startsWith("kubelet.conf ")).findFirst().orElseThrow())
        .contains("Mar 03, 2027");
  }
}
