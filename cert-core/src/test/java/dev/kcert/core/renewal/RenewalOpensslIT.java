package dev.kcert.core.renewal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kcert.core.keys.KeyAlgorithm;
import dev.kcert.core.kubeconfig.Kubeconfig;
import dev.kcert.core.kubeconfig.KubeconfigCredentials;
import dev.kcert.core.model.Catalogue;
import dev.kcert.core.model.CatalogueEntry;
import dev.kcert.core.pki.PkiLayout;
import dev.kcert.core.renewal.RenewalPlanner.Options;
import dev.kcert.core.testing.Openssl;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Renewed certificates, keys and requests checked independently with openssl. */
class RenewalOpensslIT {
  @TempDir Path root;
  @TempDir Path work;

  /** openssl checks validity against the real clock; renew at the real time. */
  static final Clock REAL_NOW = Clock.fixed(Instant.now().truncatedTo(ChronoUnit.SECONDS), ZoneOffset.UTC);

  @ParameterizedTest(name = "renew all with {0} keys: openssl verifies every certificate and key")
  @EnumSource(
      value = KeyAlgorithm.class,
      names = {"ECDSA_P256", "ECDSA_P384", "RSA_2048"})
  void renewedPkiPassesOpenssl(KeyAlgorithm alg) throws Exception {
    PkiLayout layout = TestPkis.create(root, KeyAlgorithm.ECDSA_P256);
    RenewalPlanner.Plan plan =
        RenewalPlanner.plan(
            layout, Catalogue.renewable(), new Options(Duration.ofDays(365), alg, false, null, false, REAL_NOW));
    Installer.Result result =
        new Installer(FileOps.system()).install(PkiLayout.under(root), REAL_NOW.instant(), plan.changes());

    for (CatalogueEntry e : Catalogue.renewable()) {
      Path ca = layout.certFile(Catalogue.ca(e.caName()));
      Path crt;
      Path key;
      Path oldCrt;
      if (e.isKubeconfig()) {
        crt = extract(layout.kubeconfigFile(e), true, e.name() + ".crt");
        key = extract(layout.kubeconfigFile(e), false, e.name() + ".key");
        oldCrt = extract(result.backupDir().resolve(e.baseName()), true, e.name() + ".old.crt");
        assertThat(mode(layout.kubeconfigFile(e))).isEqualTo("rw-------");
      } else {
        crt = layout.certFile(e);
        key = layout.keyFile(e);
        oldCrt = result.backupDir().resolve("pki/" + e.baseName() + ".crt");
        assertThat(mode(key)).as(e.name()).isEqualTo("rw-------");
        assertThat(mode(crt)).as(e.name()).isEqualTo("rw-r--r--");
        assertThat(Files.readString(key))
            .startsWith(alg.isRsa() ? "-----BEGIN RSA PRIVATE KEY-----" : "-----BEGIN EC PRIVATE KEY-----");
      }
      assertThat(Openssl.ok(work, "verify", "-CAfile", ca.toString(), crt.toString()))
          .isEqualTo(crt + ": OK\n");
      assertThat(Openssl.ok(work, "pkey", "-check", "-noout", "-in", key.toString()))
          .contains("Key is valid");
      assertThat(identity(crt)).as(e.name()).isEqualTo(identity(oldCrt));
      String text = Openssl.ok(work, "x509", "-noout", "-text", "-in", crt.toString());
      assertThat(text).contains("Digital Signature, Key Encipherment").contains("CA:FALSE");
    }
  }

  @Test
  void sec1KeysWithoutPublicKeyStillWork() throws Exception {
    PkiLayout layout = TestPkis.create(root);
    for (String key : List.of("ca.key", "apiserver.key")) {
      Path file = layout.certDir().resolve(key);
      Openssl.ok(work, "ec", "-in", file.toString(), "-no_public", "-out", file.toString());
      assertThat(Openssl.ok(work, "asn1parse", "-in", file.toString())).doesNotContain("cont [ 1 ]");
    }
    RenewalPlanner.Plan plan =
        RenewalPlanner.plan(
            layout,
            RenewalPlanner.select("apiserver"),
            new Options(Duration.ofDays(30), null, true, null, false, REAL_NOW));
    new Installer(FileOps.system()).install(PkiLayout.under(root), REAL_NOW.instant(), plan.changes());

    assertThat(Openssl.ok(work, "verify", "-CAfile", layout.certDir().resolve("ca.crt").toString(),
            layout.certDir().resolve("apiserver.crt").toString()))
        .endsWith(": OK\n");
    Pairs.assertAllConsistent(layout);
  }

  @Test
  void requestsPassOpenssl() throws Exception {
    PkiLayout layout = TestPkis.create(root);
    Path csrDir = root.resolve("csr");
    CsrPlanner.write(CsrPlanner.plan(layout, Catalogue.renewable(), csrDir, null, false));
    for (CatalogueEntry e : Catalogue.renewable()) {
      Path csr = csrDir.resolve(e.name() + ".csr");
      assertThat(Openssl.ok(work, "req", "-verify", "-noout", "-in", csr.toString()))
          .contains("verify OK");
      assertThat(Openssl.ok(work, "pkey", "-check", "-noout", "-in", csrDir.resolve(e.name() + ".key").toString()))
          .contains("Key is valid");
      String subject = Openssl.ok(work, "req", "-noout", "-subject", "-nameopt", "RFC2253", "-in", csr.toString());
      String old =
          Openssl.ok(
              work,
              "x509",
              "-noout",
              "-subject",
              "-nameopt",
              "RFC2253",
              "-in",
              (e.isKubeconfig() ? extract(layout.kubeconfigFile(e), true, e.name() + ".crt") : layout.certFile(e))
                  .toString());
      assertThat(subject).isEqualTo(old);
    }
    // the API server's request asks for its SANs (DNS names sorted, as kubeadm's
    // RemoveDuplicateAltNames leaves them) and kubeadm's usages
    String text = Openssl.ok(work, "req", "-noout", "-text", "-in", csrDir.resolve("apiserver.csr").toString());
    assertThat(text)
        .contains("DNS:api.example.com, DNS:cp-1, DNS:k8s.example.com, DNS:kubernetes,"
            + " DNS:kubernetes.default, DNS:kubernetes.default.svc,"
            + " DNS:kubernetes.default.svc.cluster.local,"
            + " IP Address:10.96.0.1, IP Address:10.0.0.10, IP Address:10.0.0.100")
        .contains("X509v3 Key Usage: critical\n                    Digital Signature, Key Encipherment")
        .contains("X509v3 Extended Key Usage: \n                    TLS Web Server Authentication");
  }

  @Test
  void newNodeRequestsPassOpenssl() throws Exception {
    PkiLayout layout = PkiLayout.under(root);
    Files.createDirectories(layout.certDir());
    Path other = work.resolve("other");
    Files.copy(TestPkis.create(other).certDir().resolve("ca.crt"), layout.certDir().resolve("ca.crt"));
    NodeCsrPlanner.write(NodeCsrPlanner.plan(layout, TestPkis.NODE, KeyAlgorithm.RSA_2048));

    for (CatalogueEntry e : Catalogue.LEAVES) {
      Path csr = layout.certFile(e).resolveSibling(e.baseName().replaceAll(".*/", "") + ".csr");
      assertThat(Openssl.ok(work, "req", "-verify", "-noout", "-in", csr.toString())).contains("verify OK");
      assertThat(Openssl.ok(work, "pkey", "-check", "-noout", "-in", layout.keyFile(e).toString()))
          .contains("Key is valid");
    }
    for (CatalogueEntry e : NodeCsrPlanner.kubeconfigs()) {
      Path kc = layout.kubeconfigFile(e);
      assertThat(Openssl.ok(work, "req", "-verify", "-noout", "-in", kc + ".csr")).contains("verify OK");
      Path key = extract(kc, false, e.name() + ".key");
      assertThat(Openssl.ok(work, "pkey", "-check", "-noout", "-in", key.toString())).contains("Key is valid");
    }
    assertThat(Openssl.ok(work, "req", "-noout", "-subject", "-nameopt", "RFC2253", "-in",
            layout.kubeconfigDir().resolve("kubelet.conf.csr").toString()))
        .isEqualTo("subject=CN=system:node:cp-1,O=system:nodes\n");
  }

  @Test
  void certificateSignedByOpensslAsExternalCaIsImported() throws Exception {
    PkiLayout layout = TestPkis.create(root);
    Path csrDir = root.resolve("csr");
    List<CatalogueEntry> entries = RenewalPlanner.select("apiserver");
    CsrPlanner.write(CsrPlanner.plan(layout, entries, csrDir, null, false));
    Files.writeString(
        work.resolve("ext.cnf"),
        "[v3]\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n"
            + "basicConstraints=critical,CA:FALSE\n");
    Openssl.ok(
        work,
        "x509",
        "-req",
        "-in",
        csrDir.resolve("apiserver.csr").toString(),
        "-CA",
        layout.certDir().resolve("ca.crt").toString(),
        "-CAkey",
        layout.certDir().resolve("ca.key").toString(),
        "-set_serial",
        "4242",
        "-days",
        "90",
        "-copy_extensions",
        "copy",
        "-extfile",
        "ext.cnf",
        "-extensions",
        "v3",
        "-out",
        csrDir.resolve("apiserver.crt").toString());

    List<ImportPlanner.Item> items = ImportPlanner.plan(layout, entries, csrDir, true, REAL_NOW);
    new Installer(FileOps.system())
        .install(PkiLayout.under(root), REAL_NOW.instant(), List.of(items.get(0).change()));

    assertThat(Files.readString(layout.certDir().resolve("apiserver.crt")))
        .isEqualTo(Files.readString(csrDir.resolve("apiserver.crt")));
    assertThat(
            Openssl.ok(work, "verify", "-CAfile", layout.certDir().resolve("ca.crt").toString(),
                layout.certDir().resolve("apiserver.crt").toString()))
        .endsWith(": OK\n");
    Pairs.assertAllConsistent(layout);
  }

  @Test
  void everyCertificateSignedByOpensslIsImportedAndVerifies() throws Exception {
    PkiLayout layout = TestPkis.create(root);
    Path csrDir = root.resolve("csr");
    CsrPlanner.write(CsrPlanner.plan(layout, Catalogue.renewable(), csrDir, null, false));
    Files.writeString(
        work.resolve("ext.cnf"),
        "[server]\nextendedKeyUsage=serverAuth\n[client]\nextendedKeyUsage=clientAuth\n"
            + "[both]\nextendedKeyUsage=serverAuth,clientAuth\n");
    int serial = 100;
    for (CatalogueEntry e : Catalogue.renewable()) {
      Path caCrt = layout.certFile(Catalogue.ca(e.caName()));
      Path caKey = layout.keyFile(Catalogue.ca(e.caName()));
      String section =
          e.extKeyUsages().size() == 2
              ? "both"
              : e.extKeyUsages().contains(dev.kcert.core.model.ExtendedKeyUsage.SERVER_AUTH) ? "server" : "client";
      Openssl.ok(work, "x509", "-req", "-in", csrDir.resolve(e.name() + ".csr").toString(),
          "-CA", caCrt.toString(), "-CAkey", caKey.toString(), "-set_serial", String.valueOf(serial++),
          "-days", "30", "-copy_extensions", "copy", "-extfile", "ext.cnf", "-extensions", section,
          "-out", csrDir.resolve(e.name() + ".crt").toString());
    }

    List<ImportPlanner.Item> items =
        ImportPlanner.plan(layout, Catalogue.renewable(), csrDir, true, REAL_NOW);
    new Installer(FileOps.system())
        .install(PkiLayout.under(root), REAL_NOW.instant(), items.stream().map(ImportPlanner.Item::change).toList());

    for (CatalogueEntry e : Catalogue.renewable()) {
      Path ca = layout.certFile(Catalogue.ca(e.caName()));
      Path crt =
          e.isKubeconfig() ? extract(layout.kubeconfigFile(e), true, e.name() + ".crt") : layout.certFile(e);
      assertThat(Openssl.ok(work, "verify", "-CAfile", ca.toString(), crt.toString()))
          .isEqualTo(crt + ": OK\n");
      assertThat(Openssl.ok(work, "x509", "-noout", "-fingerprint", "-in", crt.toString()))
          .isEqualTo(Openssl.ok(work, "x509", "-noout", "-fingerprint", "-in",
              csrDir.resolve(e.name() + ".crt").toString()));
    }
    Pairs.assertAllConsistent(layout);
  }

  @Test
  void renewedApiServerCertificateIsAcceptedByTlsClients() throws Exception {
    PkiLayout layout = TestPkis.create(root, KeyAlgorithm.ECDSA_P256);
    RenewalPlanner.Plan plan =
        RenewalPlanner.plan(
            layout,
            RenewalPlanner.select("apiserver"),
            new Options(Duration.ofDays(365), null, false, null, false, REAL_NOW));
    new Installer(FileOps.system()).install(PkiLayout.under(root), REAL_NOW.instant(), plan.changes());

    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Process server =
        new ProcessBuilder(
                "openssl", "s_server", "-accept", "127.0.0.1:" + port, "-cert",
                layout.certDir().resolve("apiserver.crt").toString(), "-key",
                layout.certDir().resolve("apiserver.key").toString(), "-naccept", "1", "-quiet")
            .redirectErrorStream(true)
            .redirectOutput(work.resolve("server.log").toFile())
            .start();
    try {
      Openssl.Result client = null;
      for (int attempt = 0; attempt < 50; attempt++) {
        client =
            Openssl.run(
                work, "s_client", "-connect", "127.0.0.1:" + port, "-verify_return_error",
                "-verify_hostname", "kubernetes.default.svc", "-CAfile",
                layout.certDir().resolve("ca.crt").toString(), "-brief");
        if (!client.output().contains("Connection refused") && !client.output().contains("connect:errno")) {
          break;
        }
        Thread.sleep(100);
      }
      assertThat(client.exitCode()).as(client.output()).isZero();
      assertThat(client.output()).contains("Verification: OK");
    } finally {
      server.destroy();
      server.waitFor(5, TimeUnit.SECONDS);
    }
  }

  private String identity(Path crt) {
    return Openssl.ok(
        work, "x509", "-noout", "-subject", "-nameopt", "RFC2253", "-ext",
        "subjectAltName,extendedKeyUsage", "-in", crt.toString());
  }

  private Path extract(Path kubeconfig, boolean cert, String name) throws IOException {
    KubeconfigCredentials c = Kubeconfig.read(kubeconfig).credentials();
    Path out = work.resolve(name);
    Files.write(out, (cert ? c.clientCertificate() : c.clientKey()).load());
    return out;
  }

  private static String mode(Path p) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }
}
