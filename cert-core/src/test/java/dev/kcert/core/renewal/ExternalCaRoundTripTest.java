package dev.kcert.core.renewal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kcert.core.keys.KeyAlgorithm;
import dev.kcert.core.model.Catalogue;
import dev.kcert.core.model.CatalogueEntry;
import dev.kcert.core.model.ExtendedKeyUsage;
import dev.kcert.core.model.KcertException;
import dev.kcert.core.pem.Certificates;
import dev.kcert.core.pem.PrivateKeys;
import dev.kcert.core.pki.CertificateInfo;
import dev.kcert.core.pki.CertificateSigner;
import dev.kcert.core.pki.CertificateTemplate;
import dev.kcert.core.pki.PkiLayout;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code renew --csr-only}, an external CA signing, {@code import}. */
class ExternalCaRoundTripTest {
  @TempDir Path root;
  @TempDir Path csrDir;
  PkiLayout layout;

  @BeforeEach
  void pki() {
    layout = TestPkis.create(root);
  }

  @Test
  void csrOnlyWritesKeysAndRequestsAndLeavesThePkiAlone() throws Exception {
    Map<String, byte[]> before = TestPkis.snapshot(root);
    CsrPlanner.Plan plan = CsrPlanner.plan(layout, Catalogue.renewable(), csrDir, null, false);
    CsrPlanner.write(plan);

    assertThat(plan.files()).hasSize(11);
    assertThat(csrDir.resolve("etcd-server.csr")).exists();
    assertThat(csrDir.resolve("admin.conf.csr")).exists();
    assertThat(csrDir.resolve("admin.conf.key")).exists();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(csrDir.resolve("apiserver.key"))))
        .isEqualTo("rw-------");
    assertThat(Files.readString(csrDir.resolve("apiserver.csr")))
        .startsWith("-----BEGIN CERTIFICATE REQUEST-----\n");
    for (CatalogueEntry e : Catalogue.renewable()) {
      Requests.Request r = Requests.read(csrDir.resolve(e.name() + ".csr"));
      Identity old = Identity.of(CertificateInfo.of(existing(e)));
      assertThat(r.identity().differences(old, false)).as(e.name()).isEmpty();
      PrivateKey key = PrivateKeys.read(csrDir.resolve(e.name() + ".key"));
      assertThat(dev.kcert.core.keys.KeyPairs.matches(key, r.publicKey())).isTrue();
    }
    InstallerTest.assertSameFiles(before, TestPkis.snapshot(root));
  }

  @Test
  void csrOnlyRefusesToOverwrite() throws Exception {
    Files.writeString(csrDir.resolve("apiserver.csr"), "x");
    CsrPlanner.Plan plan = CsrPlanner.plan(layout, Catalogue.renewable(), csrDir, null, false);
    assertThatThrownBy(() -> CsrPlanner.write(plan))
        .hasMessage(csrDir.resolve("apiserver.csr") + ": already exists; refusing to overwrite it");
    assertThat(csrDir.resolve("apiserver.key")).doesNotExist();
  }

  @Test
  void csrOnlyWithReuseKeySignsWithTheInstalledKey() {
    CsrPlanner.Plan plan =
        CsrPlanner.plan(layout, RenewalPlanner.select("apiserver"), csrDir, null, true);
    CsrPlanner.write(plan);
    assertThat(csrDir.resolve("apiserver.key")).doesNotExist();
    Requests.Request r = Requests.read(csrDir.resolve("apiserver.csr"));
    assertThat(r.publicKey()).isEqualTo(existing(Catalogue.find("apiserver").orElseThrow()).getPublicKey());
  }

  @Test
  void roundTripInstallsEverySignedCertificate() {
    CsrPlanner.write(CsrPlanner.plan(layout, Catalogue.renewable(), csrDir, null, false));
    for (CatalogueEntry e : Catalogue.renewable()) {
      signAs(e, e.caName(), e.extKeyUsages(), null, Duration.ofDays(365));
    }
    List<ImportPlanner.Item> items =
        ImportPlanner.plan(layout, Catalogue.renewable(), csrDir, false, TestPkis.CLOCK);
    assertThat(items).hasSize(11);
    new Installer(FileOps.system())
        .install(PkiLayout.under(root), TestPkis.NOW, items.stream().map(ImportPlanner.Item::change).toList());

    Pairs.assertAllConsistent(layout);
    for (CatalogueEntry e : Catalogue.renewable()) {
      assertThat(existing(e).getNotAfter().toInstant())
          .isEqualTo(TestPkis.NOW.plus(Duration.ofDays(365)));
    }
  }

  @Test
  void roundTripWithReusedKeyKeepsTheInstalledKey() throws Exception {
    CatalogueEntry admin = Catalogue.find("admin.conf").orElseThrow();
    CsrPlanner.write(CsrPlanner.plan(layout, List.of(admin), csrDir, null, true));
    signAs(admin, "ca", admin.extKeyUsages(), null, Duration.ofDays(30));
    List<ImportPlanner.Item> items =
        ImportPlanner.plan(layout, List.of(admin), csrDir, true, TestPkis.CLOCK);
    new Installer(FileOps.system())
        .install(PkiLayout.under(root), TestPkis.NOW, List.of(items.get(0).change()));
    Pairs.assertAllConsistent(layout);
  }

  @Test
  void certificateFromAnotherCaIsRefused() {
    CatalogueEntry e = Catalogue.find("apiserver").orElseThrow();
    CsrPlanner.write(CsrPlanner.plan(layout, List.of(e), csrDir, null, false));
    signAs(e, "front-proxy-ca", e.extKeyUsages(), null, Duration.ofDays(30));
    assertRefused(
        e,
        csrDir.resolve("apiserver.crt") + ": is not signed by ca (" + root.resolve("pki/ca.crt") + ")");
  }

  @Test
  void certificateForAnotherKeyIsRefused() throws Exception {
    CatalogueEntry e = Catalogue.find("apiserver").orElseThrow();
    CsrPlanner.write(CsrPlanner.plan(layout, List.of(e), csrDir, null, false));
    signAs(e, "ca", e.extKeyUsages(), null, Duration.ofDays(30));
    Files.writeString(csrDir.resolve("apiserver.key"), PrivateKeys.toPem(KeyAlgorithm.ECDSA_P256.generate()));
    assertRefused(
        e,
        csrDir.resolve("apiserver.crt")
            + ": does not match the private key "
            + csrDir.resolve("apiserver.key"));
  }

  @Test
  void certificateNotIssuedForTheRequestIsRefused() {
    CatalogueEntry e = Catalogue.find("apiserver").orElseThrow();
    CsrPlanner.write(CsrPlanner.plan(layout, List.of(e), csrDir, null, false));
    signAs(e, "ca", e.extKeyUsages(), KeyAlgorithm.ECDSA_P256.generate().getPublic(), Duration.ofDays(30));
    assertRefused(
        e,
        csrDir.resolve("apiserver.crt") + ": was not issued for the key of " + csrDir.resolve("apiserver.csr"));
  }

  @Test
  void certificateWithoutTheNeededUsageIsRefused() {
    CatalogueEntry e = Catalogue.find("apiserver").orElseThrow();
    CsrPlanner.write(CsrPlanner.plan(layout, List.of(e), csrDir, null, false));
    signAs(e, "ca", Set.of(ExtendedKeyUsage.CLIENT_AUTH), null, Duration.ofDays(30));
    assertRefused(
        e,
        csrDir.resolve("apiserver.crt")
            + ": lacks the extended key usage server auth that apiserver needs");
  }

  @Test
  void expiredCertificateIsRefused() {
    CatalogueEntry e = Catalogue.find("scheduler.conf").orElseThrow();
    CsrPlanner.write(CsrPlanner.plan(layout, List.of(e), csrDir, null, false));
    signAs(e, "ca", e.extKeyUsages(), null, Duration.ofDays(-1));
    assertRefused(
        e, csrDir.resolve("scheduler.conf.crt") + ": has already expired (2026-11-22T12:00:00Z)");
  }

  @Test
  void certificateWithAnotherSubjectIsRefused() {
    CatalogueEntry e = Catalogue.find("etcd-peer").orElseThrow();
    CsrPlanner.write(CsrPlanner.plan(layout, List.of(e), csrDir, null, false));
    Requests.Request r = Requests.read(csrDir.resolve("etcd-peer.csr"));
    sign(
        e,
        "etcd-ca",
        new CertificateTemplate(
            "cp-2",
            List.of(),
            List.of("cp-1", "localhost"),
            ips(r.identity().ipAddresses()),
            e.extKeyUsages(),
            false,
            TestPkis.NOW.minus(Duration.ofMinutes(5)),
            TestPkis.NOW.plus(Duration.ofDays(30))),
        r.publicKey());
    assertRefused(
        e,
        csrDir.resolve("etcd-peer.crt")
            + ": does not carry the subject and SANs of "
            + csrDir.resolve("etcd-peer.csr")
            + ": CN cp-2 instead of cp-1");
  }

  @Test
  void importInstallsOnlyTheCertificatesInCanonicalPem() throws Exception {
    CatalogueEntry e = Catalogue.find("apiserver").orElseThrow();
    CsrPlanner.write(CsrPlanner.plan(layout, List.of(e), csrDir, null, false));
    signAs(e, "ca", e.extKeyUsages(), null, Duration.ofDays(30));
    Path crt = csrDir.resolve("apiserver.crt");
    X509Certificate signed = Certificates.readBundle(crt).get(0);
    // a file as a careless CA hand-off leaves it: comments, CRLF, and the key appended
    String messy =
        "issued by the external CA\r\n"
            + Certificates.toPem(signed).replace("\n", "\r\n")
            + Files.readString(csrDir.resolve("apiserver.key"));
    Files.writeString(crt, messy);

    List<ImportPlanner.Item> items = ImportPlanner.plan(layout, List.of(e), csrDir, true, TestPkis.CLOCK);
    new Installer(FileOps.system())
        .install(PkiLayout.under(root), TestPkis.NOW, List.of(items.get(0).change()));

    assertThat(Files.readString(root.resolve("pki/apiserver.crt"))).isEqualTo(Certificates.toPem(signed));
    assertThat(Files.readString(root.resolve("pki/apiserver.key")))
        .isEqualTo(PrivateKeys.toPem(new java.security.KeyPair(signed.getPublicKey(),
            PrivateKeys.read(csrDir.resolve("apiserver.key")))));
    Pairs.assertAllConsistent(layout);
  }

  @Test
  void importRefusesAHugeFile() throws Exception {
    CatalogueEntry e = Catalogue.find("apiserver").orElseThrow();
    CsrPlanner.write(CsrPlanner.plan(layout, List.of(e), csrDir, null, false));
    signAs(e, "ca", e.extKeyUsages(), null, Duration.ofDays(30));
    Path crt = csrDir.resolve("apiserver.crt");
    Files.writeString(crt, "#".repeat(300_000) + "\n", java.nio.file.StandardOpenOption.APPEND);
    long size = Files.size(crt);
    assertRefused(
        e,
        crt + ": is " + size + " bytes, more than the 262144 a certificate file may have; not imported");
  }

  @Test
  void certificateNotValidYetIsRefused() {
    CatalogueEntry e = Catalogue.find("apiserver").orElseThrow();
    CsrPlanner.write(CsrPlanner.plan(layout, List.of(e), csrDir, null, false));
    Requests.Request r = Requests.read(csrDir.resolve("apiserver.csr"));
    sign(
        e,
        "ca",
        new CertificateTemplate(
            r.identity().commonName(),
            r.identity().organizations(),
            r.identity().dnsNames(),
            ips(r.identity().ipAddresses()),
            e.extKeyUsages(),
            false,
            Instant.parse("2035-01-01T00:00:00Z"),
            Instant.parse("2036-01-01T00:00:00Z")),
        r.publicKey());
    assertRefused(
        e,
        csrDir.resolve("apiserver.crt") + ": is not valid yet (valid from 2035-01-01T00:00:00Z)");
  }

  @Test
  void certificateOutlivingItsCaIsImportedWithAWarning() {
    CatalogueEntry e = Catalogue.find("apiserver").orElseThrow();
    CsrPlanner.write(CsrPlanner.plan(layout, List.of(e), csrDir, null, false));
    signAs(e, "ca", e.extKeyUsages(), null, Duration.ofDays(3650));
    List<ImportPlanner.Item> items = ImportPlanner.plan(layout, List.of(e), csrDir, true, TestPkis.CLOCK);
    X509Certificate ca = Certificates.readBundle(root.resolve("pki/ca.crt")).get(0);
    assertThat(items.get(0).warnings())
        .containsExactly(
            "apiserver: the imported certificate is valid until "
                + TestPkis.NOW.plus(Duration.ofDays(3650))
                + ", after ca expires ("
                + ca.getNotAfter().toInstant()
                + ")");
  }

  private void assertRefused(CatalogueEntry e, String message) {
    Map<String, byte[]> before = TestPkis.snapshot(root);
    assertThatThrownBy(() -> ImportPlanner.plan(layout, List.of(e), csrDir, true, TestPkis.CLOCK))
        .isInstanceOf(KcertException.class)
        .hasMessage(message);
    InstallerTest.assertSameFiles(before, TestPkis.snapshot(root));
  }

  /** Signs {@code DIR/<name>.csr} as an external CA would, into {@code DIR/<name>.crt}. */
  private void signAs(
      CatalogueEntry e, String caName, Set<ExtendedKeyUsage> usages, PublicKey otherKey, Duration validity) {
    Requests.Request r = Requests.read(csrDir.resolve(e.name() + ".csr"));
    Instant start = TestPkis.NOW.minus(Duration.ofMinutes(5));
    Instant end = validity.isNegative() ? TestPkis.NOW.minus(Duration.ofDays(1)) : TestPkis.NOW.plus(validity);
    if (validity.isNegative()) {
      start = end.minus(Duration.ofDays(30));
    }
    CertificateTemplate t =
        new CertificateTemplate(
            r.identity().commonName(),
            r.identity().organizations(),
            r.identity().dnsNames(),
            ips(r.identity().ipAddresses()),
            usages,
            false,
            start,
            end);
    sign(e, caName, t, otherKey != null ? otherKey : r.publicKey());
  }

  private void sign(CatalogueEntry e, String caName, CertificateTemplate t, PublicKey key) {
    CatalogueEntry ca = Catalogue.ca(caName);
    X509Certificate caCert = Certificates.readBundle(layout.certFile(ca)).get(0);
    PrivateKey caKey = PrivateKeys.read(layout.keyFile(ca));
    X509Certificate cert = CertificateSigner.sign(t, key, caCert, caKey);
    try {
      Files.writeString(csrDir.resolve(e.name() + ".crt"), Certificates.toPem(cert));
    } catch (java.io.IOException ex) {
      throw new java.io.UncheckedIOException(ex);
    }
  }

  private static List<InetAddress> ips(List<String> literals) {
    List<InetAddress> out = new ArrayList<>();
    for (String s : literals) {
      try {
        out.add(InetAddress.getByName(s));
      } catch (java.net.UnknownHostException ex) {
        throw new IllegalArgumentException(ex);
      }
    }
    return out;
  }

  private X509Certificate existing(CatalogueEntry e) {
    return Existing.read(layout, e).certificate();
  }
}
