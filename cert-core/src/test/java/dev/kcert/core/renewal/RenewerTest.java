package dev.kcert.core.renewal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kcert.core.keys.KeyAlgorithm;
import dev.kcert.core.model.Catalogue;
import dev.kcert.core.model.CatalogueEntry;
import dev.kcert.core.model.KcertException;
import dev.kcert.core.pem.Certificates;
import dev.kcert.core.pem.PrivateKeys;
import dev.kcert.core.pki.CertificateInfo;
import dev.kcert.core.pki.PkiLayout;
import java.math.BigInteger;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class RenewerTest {
  @TempDir static Path root;
  static PkiLayout layout;

  @BeforeAll
  static void pki() {
    layout = TestPkis.create(root);
  }

  static List<String> leaves() {
    return Catalogue.LEAVES.stream().map(CatalogueEntry::name).toList();
  }

  @ParameterizedTest(name = "{0} keeps subject, SANs and usages")
  @MethodSource("leaves")
  void keepsIdentity(String name) {
    CatalogueEntry e = Catalogue.find(name).orElseThrow();
    X509Certificate old = Certificates.readBundle(layout.certFile(e)).get(0);
    CatalogueEntry ca = Catalogue.ca(e.caName());
    X509Certificate caCert = Certificates.readBundle(layout.certFile(ca)).get(0);
    PrivateKey caKey = PrivateKeys.read(layout.keyFile(ca));
    KeyPair pair = KeyAlgorithm.ECDSA_P256.generate();

    X509Certificate renewed =
        Renewer.renew(
            old, name, caCert, caKey, pair.getPublic(), TestPkis.CLOCK, Duration.ofHours(8760));

    CertificateInfo before = CertificateInfo.of(old);
    CertificateInfo after = CertificateInfo.of(renewed);
    assertThat(after.subject()).isEqualTo(before.subject());
    assertThat(after.organizations()).isEqualTo(before.organizations());
    assertThat(after.dnsNames()).isEqualTo(before.dnsNames());
    assertThat(after.ipAddresses()).isEqualTo(before.ipAddresses());
    assertThat(after.extKeyUsages()).isEqualTo(before.extKeyUsages());
    assertThat(renewed.getKeyUsage()).startsWith(true, false, true); // digitalSignature, keyEncipherment
    assertThat(renewed.getBasicConstraints()).isEqualTo(-1);
    assertThat(renewed.getNotBefore().toInstant()).isEqualTo(TestPkis.NOW.minus(Duration.ofMinutes(5)));
    assertThat(renewed.getNotAfter().toInstant()).isEqualTo(TestPkis.NOW.plus(Duration.ofDays(365)));
    assertThat(renewed.getSerialNumber()).isNotEqualTo(old.getSerialNumber());
    assertThat(renewed.getSerialNumber().signum()).isEqualTo(1);
    assertThat(renewed.getSerialNumber().bitLength()).isLessThanOrEqualTo(63);
    assertThat(renewed.getPublicKey()).isEqualTo(pair.getPublic());
    assertThat(Certificates.isSignedBy(renewed, caCert)).isTrue();
    assertThat(renewed.getIssuerX500Principal()).isEqualTo(caCert.getSubjectX500Principal());
  }

  @Test
  void subjectKeepsOrganizationsBeforeCommonName() {
    CatalogueEntry e = Catalogue.find("apiserver-kubelet-client").orElseThrow();
    X509Certificate old = Certificates.readBundle(layout.certFile(e)).get(0);
    X509Certificate caCert = Certificates.readBundle(layout.certFile(Catalogue.ca("ca"))).get(0);
    PrivateKey caKey = PrivateKeys.read(layout.keyFile(Catalogue.ca("ca")));
    X509Certificate renewed =
        Renewer.renew(
            old,
            "x",
            caCert,
            caKey,
            KeyAlgorithm.ECDSA_P256.generate().getPublic(),
            TestPkis.CLOCK,
            Duration.ofDays(30));
    assertThat(renewed.getSubjectX500Principal().getName())
        .isEqualTo("CN=kube-apiserver-kubelet-client,O=kubeadm:cluster-admins");
    assertThat(renewed.getSubjectX500Principal().getEncoded())
        .isEqualTo(old.getSubjectX500Principal().getEncoded());
  }

  @Test
  void serialsAreRandom() {
    CatalogueEntry e = Catalogue.find("front-proxy-client").orElseThrow();
    X509Certificate old = Certificates.readBundle(layout.certFile(e)).get(0);
    CatalogueEntry ca = Catalogue.ca(e.caName());
    X509Certificate caCert = Certificates.readBundle(layout.certFile(ca)).get(0);
    PrivateKey caKey = PrivateKeys.read(layout.keyFile(ca));
    KeyPair pair = KeyAlgorithm.ECDSA_P256.generate();
    BigInteger a =
        Renewer.renew(old, "x", caCert, caKey, pair.getPublic(), TestPkis.CLOCK, Duration.ofDays(1))
            .getSerialNumber();
    BigInteger b =
        Renewer.renew(old, "x", caCert, caKey, pair.getPublic(), TestPkis.CLOCK, Duration.ofDays(1))
            .getSerialNumber();
    assertThat(a).isNotEqualTo(b);
  }

  @Test
  void refusesCa() {
    CatalogueEntry ca = Catalogue.ca("ca");
    X509Certificate caCert = Certificates.readBundle(layout.certFile(ca)).get(0);
    PrivateKey caKey = PrivateKeys.read(layout.keyFile(ca));
    assertThatThrownBy(
            () ->
                Renewer.renew(
                    caCert,
                    "pki/ca.crt",
                    caCert,
                    caKey,
                    caCert.getPublicKey(),
                    TestPkis.CLOCK,
                    Duration.ofDays(1)))
        .isInstanceOf(KcertException.class)
        .hasMessage("pki/ca.crt: is a CA certificate; CAs are not renewed");
  }

  @Test
  void repeatedAltNamesAreDroppedAndDnsNamesSortedAsKubeadmDoes() throws Exception {
    // a v1.9-era certificate: the same IP twice, DNS names unsorted and repeated
    CatalogueEntry ca = Catalogue.ca("ca");
    X509Certificate caCert = Certificates.readBundle(layout.certFile(ca)).get(0);
    PrivateKey caKey = PrivateKeys.read(layout.keyFile(ca));
    KeyPair oldPair = KeyAlgorithm.ECDSA_P256.generate();
    var sans = new org.bouncycastle.asn1.x509.GeneralNames(new org.bouncycastle.asn1.x509.GeneralName[] {
        new org.bouncycastle.asn1.x509.GeneralName(org.bouncycastle.asn1.x509.GeneralName.dNSName, "kubernetes.default"),
        new org.bouncycastle.asn1.x509.GeneralName(org.bouncycastle.asn1.x509.GeneralName.dNSName, "cp-1"),
        new org.bouncycastle.asn1.x509.GeneralName(org.bouncycastle.asn1.x509.GeneralName.dNSName, "kubernetes.default"),
        new org.bouncycastle.asn1.x509.GeneralName(org.bouncycastle.asn1.x509.GeneralName.iPAddress, "10.96.0.1"),
        new org.bouncycastle.asn1.x509.GeneralName(org.bouncycastle.asn1.x509.GeneralName.iPAddress, "192.168.10.11"),
        new org.bouncycastle.asn1.x509.GeneralName(org.bouncycastle.asn1.x509.GeneralName.iPAddress, "10.96.0.1")});
    var b = new org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder(
        caCert, BigInteger.TEN, java.util.Date.from(TestPkis.CLOCK.instant()),
        java.util.Date.from(TestPkis.CLOCK.instant().plus(Duration.ofDays(30))),
        new javax.security.auth.x500.X500Principal("CN=kube-apiserver"), oldPair.getPublic());
    b.addExtension(org.bouncycastle.asn1.x509.Extension.subjectAlternativeName, false, sans);
    b.addExtension(dev.kcert.core.pki.CertificateSigner.extendedKeyUsage(
        java.util.Set.of(dev.kcert.core.model.ExtendedKeyUsage.SERVER_AUTH)));
    X509Certificate old = new org.bouncycastle.cert.jcajce.JcaX509CertificateConverter().getCertificate(
        b.build(new org.bouncycastle.operator.jcajce.JcaContentSignerBuilder(
            dev.kcert.core.pki.CertificateSigner.signatureAlgorithm(caKey)).build(caKey)));
    assertThat(CertificateInfo.of(old).ipAddressStrings()).hasSize(3);

    X509Certificate renewed = Renewer.renew(old, "old", caCert, caKey,
        KeyAlgorithm.ECDSA_P256.generate().getPublic(), TestPkis.CLOCK, Duration.ofDays(365));
    CertificateInfo after = CertificateInfo.of(renewed);
    assertThat(after.dnsNames()).containsExactly("cp-1", "kubernetes.default");
    assertThat(after.ipAddressStrings()).containsExactly("10.96.0.1", "192.168.10.11");
    assertThat(Identity.of(after).differences(Identity.of(CertificateInfo.of(old)), true)).isEmpty();

    String csr = dev.kcert.core.csr.CsrBuilder.build("kube-apiserver", List.of(),
        CertificateInfo.of(old).dnsNames(), CertificateInfo.of(old).ipAddresses(),
        java.util.Set.of(dev.kcert.core.model.ExtendedKeyUsage.SERVER_AUTH), oldPair);
    var parsed = dev.kcert.core.csr.CsrParser.parsePem(
        csr.getBytes(java.nio.charset.StandardCharsets.US_ASCII), "csr");
    assertThat(parsed.dnsNames()).containsExactly("cp-1", "kubernetes.default");
    assertThat(parsed.ipAddresses()).hasSize(2);
  }
}
