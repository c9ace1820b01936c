package dev.kcert.core.rotation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kcert.core.inventory.PkiInventory;
import dev.kcert.core.inventory.InventoryOptions;
import dev.kcert.core.keys.KeyAlgorithm;
import dev.kcert.core.kubeconfig.Kubeconfig;
import dev.kcert.core.kubeconfig.KubeconfigCredentials;
import dev.kcert.core.model.Catalogue;
import dev.kcert.core.pem.Certificates;
import dev.kcert.core.pki.PkiLayout;
import dev.kcert.core.renewal.FileOps;
import dev.kcert.core.renewal.Installer;
import dev.kcert.core.renewal.RenewalPlanner;
import dev.kcert.core.testing.FakeNode;
import dev.kcert.core.testing.Openssl;
import dev.kcert.core.testing.StaticPods;
import dev.kcert.core.testing.TestPki;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.asn1.x509.Extension;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code prepare --cross-sign}, judged by openssl and by kubectl (Go's crypto/x509): during
 * reissue a peer that still trusts only the old CA accepts what the new CA signed, because every
 * re-signed leaf and embedded client certificate carries the cross certificate as its chain.
 */
class CrossSignIT {
  @TempDir Path root;
  Path work;
  Rotation r;
  X509Certificate old;
  Path oldCa;

  @BeforeEach
  void rotateToReissue() throws IOException {
    TestPki.in(root).create();
    StaticPods.write(root);
    work = Files.createDirectories(root.resolve("work"));
    r = Rotation.of(NodeFiles.under(root), Catalogue.CA, TestPki.CLOCK);
    oldCa = work.resolve("old-ca.crt");
    Files.copy(r.caFile(), oldCa);
    old = Certificates.readBundle(oldCa).get(0);
    r.prepare(new NewCa.Generate(KeyAlgorithm.ECDSA_P256, Duration.ofDays(3650)), true, false);
  }

  @Test
  void theCrossCertificateIsTheNewCaIssuedByTheOldOne() {
    X509Certificate neu = Certificates.readBundle(r.newCrt()).get(0);
    X509Certificate cross = Certificates.readBundle(r.crossCrt()).get(0);
    assertThat(cross.getSubjectX500Principal()).isEqualTo(neu.getSubjectX500Principal());
    assertThat(cross.getPublicKey()).isEqualTo(neu.getPublicKey());
    assertThat(cross.getIssuerX500Principal()).isEqualTo(old.getSubjectX500Principal());
    assertThat(Certificates.isSignedBy(cross, old)).isTrue();
    assertThat(cross.getBasicConstraints()).isEqualTo(neu.getBasicConstraints());
    boolean[] ku = cross.getKeyUsage();
    assertThat(ku[5]).as("keyCertSign").isTrue();
    assertThat(ku[6]).as("cRLSign").isTrue();
    assertThat(cross.getNotBefore()).isAfterOrEqualTo(old.getNotBefore());
    assertThat(cross.getNotAfter()).isBeforeOrEqualTo(old.getNotAfter());
    String text = Openssl.ok(work, "x509", "-noout", "-text", "-in", r.crossCrt().toString());
    String oldText = Openssl.ok(work, "x509", "-noout", "-text", "-in", oldCa.toString());
    String newText = Openssl.ok(work, "x509", "-noout", "-text", "-in", r.newCrt().toString());
    assertThat(keyId(text, "X509v3 Subject Key Identifier")).isEqualTo(keyId(newText, "X509v3 Subject Key Identifier"));
    assertThat(keyId(text, "X509v3 Authority Key Identifier")).isEqualTo(keyId(oldText, "X509v3 Subject Key Identifier"));
    assertThat(text).contains("CA:TRUE").contains("Certificate Sign, CRL Sign");
    assertThat(cross.getExtensionValue(Extension.subjectKeyIdentifier.getId())).isNotNull();
  }

  @Test
  void reissueCarriesTheCrossCertificateAndTrustNewDropsIt() throws Exception {
    r.advance(Phase.TRUST_BOTH, false);
    assertThat(Certificates.readBundle(root.resolve("pki/apiserver.crt"))).hasSize(1);
    r.advance(Phase.REISSUED, false);
    assertThat(r.status().problems()).isEmpty();
    X509Certificate cross = Certificates.readBundle(r.crossCrt()).get(0);
    for (String leaf : List.of("apiserver", "apiserver-kubelet-client")) {
      Path crt = root.resolve("pki/" + leaf + ".crt");
      List<X509Certificate> chain = Certificates.readBundle(crt);
      assertThat(chain).as(leaf).hasSize(2);
      assertThat(chain.get(1)).isEqualTo(cross);
      assertThat(Openssl.ok(work, "verify", "-CAfile", oldCa.toString(), "-untrusted", r.crossCrt().toString(),
          crt.toString())).endsWith(": OK\n");
      assertThat(Openssl.run(work, "verify", "-CAfile", oldCa.toString(), crt.toString()).exitCode())
          .as("without the cross certificate the old CA alone rejects %s", leaf).isNotZero();
    }
    assertThat(clientChain("admin.conf")).hasSize(2).element(1).isEqualTo(cross);

    // kcert's own readers take the first certificate as the leaf: check-expiration and renew
    PkiLayout layout = PkiLayout.under(root);
    assertThat(PkiInventory.scan(layout, InventoryOptions.DEFAULT).hasErrors()).isFalse();
    X509Certificate before = Certificates.readBundle(root.resolve("pki/apiserver.crt")).get(0);
    RenewalPlanner.Plan plan = RenewalPlanner.plan(layout, RenewalPlanner.select("apiserver"),
        new RenewalPlanner.Options(Duration.ofDays(30), null, true, null, false, TestPki.CLOCK));
    new Installer(FileOps.system()).install(layout, TestPki.NOW, plan.changes());
    X509Certificate renewed = Certificates.readBundle(root.resolve("pki/apiserver.crt")).get(0);
    assertThat(renewed.getPublicKey()).isEqualTo(before.getPublicKey());
    assertThat(List.copyOf(renewed.getSubjectAlternativeNames())).isEqualTo(List.copyOf(before.getSubjectAlternativeNames()));

    r.advance(Phase.TRUST_NEW, false);
    assertThat(Certificates.readBundle(root.resolve("pki/apiserver-kubelet-client.crt"))).hasSize(1);
    assertThat(clientChain("admin.conf")).hasSize(1);
    r.advance(Phase.FINISHED, false);
    assertThat(r.crossCrt()).doesNotExist();
  }

  @Test
  void abortFromReissueDropsTheCrossCertificate() {
    r.advance(Phase.TRUST_BOTH, false);
    r.advance(Phase.REISSUED, false);
    r.abort(false);
    assertThat(r.crossCrt()).doesNotExist();
    for (String leaf : List.of("apiserver", "apiserver-kubelet-client")) {
      Path crt = root.resolve("pki/" + leaf + ".crt");
      assertThat(Certificates.readBundle(crt)).hasSize(1);
      assertThat(Openssl.ok(work, "verify", "-CAfile", oldCa.toString(), crt.toString())).endsWith(": OK\n");
    }
    assertThat(clientChain("admin.conf")).hasSize(1);
  }

  @Test
  void etcdPeersThatTrustOnlyTheOldCaAcceptTheChainBothWays() throws IOException {
    Rotation etcd = Rotation.of(NodeFiles.under(root), Catalogue.ETCD_CA, TestPki.CLOCK);
    Path oldEtcd = work.resolve("old-etcd-ca.crt");
    Files.copy(etcd.caFile(), oldEtcd);
    etcd.prepare(new NewCa.Generate(KeyAlgorithm.ECDSA_P256, Duration.ofDays(3650)), true, false);
    etcd.advance(Phase.TRUST_BOTH, false);
    etcd.advance(Phase.REISSUED, false);
    Path server = root.resolve("pki/etcd/server");
    Path client = root.resolve("pki/etcd/healthcheck-client");
    for (Path leaf : List.of(server, client, root.resolve("pki/etcd/peer"), root.resolve("pki/apiserver-etcd-client"))) {
      assertThat(Certificates.readBundle(Path.of(leaf + ".crt"))).as(leaf.toString()).hasSize(2);
      Openssl.ok(work, "verify", "-CAfile", oldEtcd.toString(), "-untrusted", etcd.crossCrt().toString(),
          leaf + ".crt");
    }
    // s_server presents leaf+cross and demands a client chain the old CA accepts; s_client likewise
    assertThat(handshake(server, oldEtcd, client, oldEtcd)).isTrue();
    etcd.advance(Phase.TRUST_NEW, false);
    assertThat(handshake(server, oldEtcd, client, oldEtcd))
        .as("once trust-new dropped the chains, the old CA alone no longer accepts them").isFalse();
  }

  /**
   * kubectl (Go's crypto/x509) trusts only the old CA and presents admin.conf's client certificate
   * data; openssl s_server serves the API server's leaf and chain and accepts only client chains
   * that end in the old CA. Both directions must succeed during reissue and fail once the chains
   * are gone.
   */
  @Test
  void kubectlThatTrustsOnlyTheOldCaTalksToTheReissuedServerBothWays() throws Exception {
    Assumptions.assumeTrue(onPath("kubectl"), "kubectl is not installed; skipping the Go client check");
    r.advance(Phase.TRUST_BOTH, false);
    r.advance(Phase.REISSUED, false);
    assertThat(kubectl()).as("kubectl during reissue").isTrue();
    r.advance(Phase.TRUST_NEW, false);
    assertThat(kubectl()).as("kubectl once trust-new dropped the chains").isFalse();
  }

  private boolean kubectl() throws Exception {
    Path leaf = root.resolve("pki/apiserver");
    int port = FakeNode.freePort();
    Process s = sServer(leaf, oldCa, port, true);
    try {
      KubeconfigCredentials c = Kubeconfig.read(root.resolve("admin.conf")).credentials();
      Base64.Encoder b64 = Base64.getEncoder();
      Path kc = work.resolve("old-trust.conf");
      Files.writeString(kc, "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n"
          + "    server: https://127.0.0.1:" + port + "\n"
          + "    tls-server-name: kubernetes\n"
          + "    certificate-authority-data: " + b64.encodeToString(Files.readAllBytes(oldCa)) + "\n"
          + "users:\n- name: u\n  user:\n"
          + "    client-certificate-data: " + b64.encodeToString(c.clientCertificate().load()) + "\n"
          + "    client-key-data: " + b64.encodeToString(c.clientKey().load()) + "\n"
          + "contexts:\n- name: x\n  context:\n    cluster: c\n    user: u\ncurrent-context: x\n");
      Process k = new ProcessBuilder("kubectl", "--kubeconfig", kc.toString(), "--request-timeout", "10s",
          "get", "--raw", "/").redirectErrorStream(true).start();
      String out = new String(k.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!k.waitFor(30, TimeUnit.SECONDS)) {
        k.destroyForcibly();
        throw new AssertionError("kubectl timed out");
      }
      return k.exitValue() == 0 && out.contains("s_server");
    } finally {
      s.destroyForcibly();
    }
  }

  /** One TLS 1.2 handshake, each side presenting leaf+chain and trusting only its CA file. */
  private boolean handshake(Path serverLeaf, Path serverTrust, Path clientLeaf, Path clientTrust)
      throws IOException {
    int port = FakeNode.freePort();
    Process s = sServer(serverLeaf, serverTrust, port, false);
    try {
      List<String> args = new ArrayList<>(List.of("s_client", "-connect", "127.0.0.1:" + port, "-tls1_2",
          "-CAfile", clientTrust.toString(), "-cert", clientLeaf + ".crt", "-key", clientLeaf + ".key",
          "-verify_return_error", "-brief"));
      args.addAll(chainOption(clientLeaf));
      Openssl.Result c = Openssl.run(work, args.toArray(String[]::new));
      return c.exitCode() == 0 && c.output().contains("Verification: OK");
    } finally {
      s.destroyForcibly();
    }
  }

  private Process sServer(Path leaf, Path trust, int port, boolean www) throws IOException {
    List<String> cmd = new ArrayList<>(List.of("openssl", "s_server", "-accept", "127.0.0.1:" + port,
        "-cert", leaf + ".crt", "-key", leaf + ".key",
        "-CAfile", trust.toString(), "-Verify", "2", "-verify_return_error", "-tls1_2"));
    cmd.addAll(chainOption(leaf));
    cmd.addAll(www ? List.of("-www") : List.of("-naccept", "1"));
    Process s = new ProcessBuilder(cmd).directory(work.toFile()).redirectErrorStream(true).start();
    BufferedReader rd = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
    String line;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while ((line = rd.readLine()) != null && !line.contains("ACCEPT")) {
      if (System.nanoTime() > deadline) {
        s.destroyForcibly();
        throw new AssertionError("openssl s_server did not start");
      }
    }
    if (line == null) {
      throw new AssertionError("openssl s_server exited before accepting");
    }
    Thread drain = new Thread(() -> {
      try {
        rd.transferTo(java.io.Writer.nullWriter());
      } catch (IOException e) {
        // the server was killed
      }
    });
    drain.setDaemon(true);
    drain.start();
    return s;
  }

  /** The certificates after the leaf in its file, as openssl's -cert_chain; none when there are none. */
  private List<String> chainOption(Path leaf) throws IOException {
    List<X509Certificate> certs = Certificates.readBundle(Path.of(leaf + ".crt"));
    if (certs.size() < 2) {
      return List.of();
    }
    StringBuilder sb = new StringBuilder();
    certs.stream().skip(1).forEach(c -> sb.append(Certificates.toPem(c)));
    Path f = work.resolve(leaf.getFileName() + "-chain.crt");
    Files.writeString(f, sb.toString());
    return List.of("-cert_chain", f.toString());
  }

  private List<X509Certificate> clientChain(String kubeconfig) {
    KubeconfigCredentials c = Kubeconfig.read(root.resolve(kubeconfig)).credentials();
    return Certificates.parseBundle(c.clientCertificate().load(), kubeconfig);
  }

  private static String keyId(String text, String label) {
    int i = text.indexOf(label);
    assertThat(i).as(label).isNotNegative();
    String line = text.substring(i).lines().skip(1).findFirst().orElseThrow().trim();
    return line.replace("keyid:", "");
  }

  private static boolean onPath(String tool) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
      if (Files.isExecutable(Path.of(dir, tool))) {
        return true;
      }
    }
    return false;
  }
}
