package dev.kcert.core.pki;

import dev.kcert.core.keys.KeyAlgorithm;
import dev.kcert.core.model.ExtendedKeyUsage;
import dev.kcert.core.model.KcertException;
import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Builds X.509 certificates the way kubeadm does: random positive 63-bit serials, subject O values
 * before CN, key usage digitalSignature + keyEncipherment on leaves (plus keyCertSign on CAs),
 * basic constraints, SKI on CAs and AKI on leaves. Signing goes through the JDK's providers.
 */
public final class CertificateSigner {
  private static final SecureRandom RANDOM = new SecureRandom();

  private CertificateSigner() {}

  /** A self-signed CA certificate for a key pair. */
  public static X509Certificate selfSignedCa(CertificateTemplate t, KeyPair pair) {
    if (!t.ca()) {
      throw new IllegalArgumentException("template is not a CA");
    }
    X500Name name = name(t);
    return build(t, name, pair.getPublic(), name, pair.getPrivate(), null);
  }

  /** A certificate for {@code subjectKey}, signed by a CA. */
  public static X509Certificate sign(
      CertificateTemplate t, PublicKey subjectKey, X509Certificate caCert, PrivateKey caKey) {
    X500Name issuer = X500Name.getInstance(caCert.getSubjectX500Principal().getEncoded());
    return build(t, name(t), subjectKey, issuer, caKey, caCert);
  }

  /** The signature algorithm a CA key signs with. */
  public static String signatureAlgorithm(PrivateKey caKey) {
    return switch (caKey.getAlgorithm()) {
      case "RSA" -> "SHA256withRSA";
      case "EC" -> KeyAlgorithm.bits(caKey) > 256 ? "SHA384withECDSA" : "SHA256withECDSA";
      case "Ed25519", "EdDSA" -> "Ed25519";
      default -> throw new KcertException("unsupported CA key algorithm " + caKey.getAlgorithm());
    };
  }

  /** A random positive serial number of at most 63 bits. */
  public static BigInteger randomSerial() {
    BigInteger serial;
    do {
      serial = new BigInteger(63, RANDOM);
    } while (serial.signum() == 0);
    return serial;
  }

  private static X509Certificate build(
      CertificateTemplate t,
      X500Name subject,
      PublicKey subjectKey,
      X500Name issuer,
      PrivateKey signerKey,
      X509Certificate caCert) {
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
              issuer,
              randomSerial(),
              Date.from(t.notBefore()),
              Date.from(t.notAfter()),
              subject,
              subjectKey);
      b.addExtension(keyUsage(t.ca()));
      Extension eku = extendedKeyUsage(t.extKeyUsages());
      if (eku != null) {
        b.addExtension(eku);
      }
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(t.ca()));
      if (t.ca()) {
        b.addExtension(
            Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(subjectKey));
      } else if (caCert != null) {
        byte[] ski = caCert.getExtensionValue(Extension.subjectKeyIdentifier.getId());
        if (ski != null) {
          b.addExtension(Extension.authorityKeyIdentifier, false, authorityKeyId(caCert));
        }
      }
      GeneralNames names = subjectAltNames(t.dnsNames(), t.ipAddresses());
      if (names != null) {
        b.addExtension(Extension.subjectAlternativeName, false, names);
      }
      ContentSigner signer =
          new JcaContentSignerBuilder(signatureAlgorithm(signerKey)).build(signerKey);
      return new JcaX509CertificateConverter().getCertificate(b.build(signer));
    } catch (IOException
        | CertificateException
        | OperatorCreationException
        | java.security.NoSuchAlgorithmException e) {
      throw new KcertException(
          "cannot sign certificate for " + t.commonName() + ": " + KcertException.oneLine(e), e);
    }
  }

  /**
   * The authority key identifier of what {@code caCert} signs: its subject key identifier alone,
   * as Go's crypto/x509 writes it (no issuer name and serial, which would tie the leaf to this one
   * certificate of the CA's key and keep a cross-signed copy of the CA from ever being its issuer).
   */
  public static org.bouncycastle.asn1.x509.AuthorityKeyIdentifier authorityKeyId(X509Certificate caCert)
      throws IOException, java.security.NoSuchAlgorithmException {
    byte[] ski = caCert.getExtensionValue(Extension.subjectKeyIdentifier.getId());
    if (ski == null) {
      return new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(caCert.getPublicKey());
    }
    return new org.bouncycastle.asn1.x509.AuthorityKeyIdentifier(
        org.bouncycastle.asn1.x509.SubjectKeyIdentifier.getInstance(
                org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils.parseExtensionValue(ski))
            .getKeyIdentifier());
  }

  /** kubeadm's key usage: digitalSignature and keyEncipherment, plus keyCertSign for a CA. */
  public static Extension keyUsage(boolean ca) {
    int usage = KeyUsage.digitalSignature | KeyUsage.keyEncipherment;
    if (ca) {
      usage |= KeyUsage.keyCertSign;
    }
    try {
      return new Extension(Extension.keyUsage, true, new KeyUsage(usage).getEncoded());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** The extended key usage extension, server auth before client auth; null when none. */
  public static Extension extendedKeyUsage(java.util.Set<ExtendedKeyUsage> usages) {
    if (usages.isEmpty()) {
      return null;
    }
    List<KeyPurposeId> purposes = new ArrayList<>();
    // a stable order: server auth before client auth, as kubeadm writes them
    for (ExtendedKeyUsage u : ExtendedKeyUsage.values()) {
      if (usages.contains(u)) {
        purposes.add(
            KeyPurposeId.getInstance(new org.bouncycastle.asn1.ASN1ObjectIdentifier(u.oid())));
      }
    }
    try {
      return new Extension(
          Extension.extendedKeyUsage,
          false,
          new org.bouncycastle.asn1.x509.ExtendedKeyUsage(purposes.toArray(new KeyPurposeId[0]))
              .getEncoded());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** The subject as kubeadm (Go's pkix.Name) encodes it: O values first, then CN. */
  static X500Name name(CertificateTemplate t) {
    return name(t.commonName(), t.organizations());
  }

  /** The subject as kubeadm (Go's pkix.Name) encodes it: O values first, then CN. */
  public static X500Name name(String commonName, List<String> organizations) {
    X500NameBuilder nb = new X500NameBuilder(BCStyle.INSTANCE);
    for (String o : organizations) {
      nb.addRDN(BCStyle.O, o);
    }
    nb.addRDN(BCStyle.CN, commonName);
    return nb.build();
  }

  /** DNS names, then IP addresses, as a SAN extension's value; {@code null} when there are none. */
  /** DNS names as kubeadm's {@code RemoveDuplicateAltNames} leaves them: sorted, each once. */
  public static List<String> uniqueDnsNames(List<String> dnsNames) {
    return List.copyOf(new java.util.TreeSet<>(dnsNames));
  }

  /**
   * IP addresses as kubeadm's {@code RemoveDuplicateAltNames} leaves them: each once, in their
   * first order (a real v1.9 certificate carries the same IP twice).
   */
  public static List<InetAddress> uniqueIpAddresses(List<InetAddress> ipAddresses) {
    java.util.Map<String, InetAddress> seen = new java.util.LinkedHashMap<>();
    for (InetAddress ip : ipAddresses) {
      seen.putIfAbsent(ip.getHostAddress(), ip);
    }
    return List.copyOf(seen.values());
  }

  public static GeneralNames subjectAltNames(List<String> dnsNames, List<InetAddress> ipAddresses) {
    List<GeneralName> names = new ArrayList<>();
    for (String dns : uniqueDnsNames(dnsNames)) {
      names.add(new GeneralName(GeneralName.dNSName, dns));
    }
    for (InetAddress ip : uniqueIpAddresses(ipAddresses)) {
      names.add(new GeneralName(GeneralName.iPAddress, new DEROctetString(ip.getAddress())));
    }
    return names.isEmpty() ? null : new GeneralNames(names.toArray(new GeneralName[0]));
  }
}
