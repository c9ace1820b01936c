package dev.kcert.core.pki;

import dev.kcert.core.keys.KeyAlgorithm;
import dev.kcert.core.model.ExtendedKeyUsage;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.x500.AttributeTypeAndValue;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;

/**
 * The facts of a certificate that kcert reports and that renewal copies, read with the JDK only.
 *
 * @param subject the subject DN (RFC 2253)
 * @param issuer the issuer DN (RFC 2253)
 * @param commonName the subject CN, empty when absent
 * @param organizations the subject O values in encoding order
 * @param dnsNames DNS SANs in order
 * @param ipAddresses IP SANs in order
 * @param extKeyUsages the known extended key usages
 * @param unknownExtKeyUsages OIDs of extended key usages kcert does not know
 * @param serial the serial number
 * @param notBefore start of validity
 * @param notAfter end of validity
 * @param keyDescription the key, as {@code RSA 2048} or {@code ECDSA P-256}
 * @param ca whether basicConstraints says CA:TRUE
 */
public record CertificateInfo(
    String subject,
    String issuer,
    String commonName,
    List<String> organizations,
    List<String> dnsNames,
    List<InetAddress> ipAddresses,
    Set<ExtendedKeyUsage> extKeyUsages,
    List<String> unknownExtKeyUsages,
    BigInteger serial,
    Instant notBefore,
    Instant notAfter,
    String keyDescription,
    boolean ca) {

  public static CertificateInfo of(X509Certificate cert) {
    List<String> dns = new ArrayList<>();
    List<InetAddress> ips = new ArrayList<>();
    try {
      Collection<List<?>> sans = cert.getSubjectAlternativeNames();
      if (sans != null) {
        for (List<?> san : sans) {
          int type = (Integer) san.get(0);
          if (type == 2) {
            dns.add((String) san.get(1));
          } else if (type == 7) {
            ips.add(parseIp((String) san.get(1)));
          }
        }
      }
    } catch (CertificateParsingException e) {
      throw new IllegalArgumentException("malformed subject alternative names", e);
    }
    Set<ExtendedKeyUsage> ekus = EnumSet.noneOf(ExtendedKeyUsage.class);
    List<String> unknown = new ArrayList<>();
    try {
      List<String> oids = cert.getExtendedKeyUsage();
      if (oids != null) {
        for (String oid : oids) {
          ExtendedKeyUsage u = ExtendedKeyUsage.ofOid(oid);
          if (u != null) {
            ekus.add(u);
          } else {
            unknown.add(oid);
          }
        }
      }
    } catch (CertificateParsingException e) {
      throw new IllegalArgumentException("malformed extended key usage", e);
    }
    X500Principal subject = cert.getSubjectX500Principal();
    return new CertificateInfo(
        subject.getName(X500Principal.RFC2253),
        cert.getIssuerX500Principal().getName(X500Principal.RFC2253),
        String.join(",", attributes(subject, "CN")),
        attributes(subject, "O"),
        List.copyOf(dns),
        List.copyOf(ips),
        Set.copyOf(ekus),
        List.copyOf(unknown),
        cert.getSerialNumber(),
        cert.getNotBefore().toInstant(),
        cert.getNotAfter().toInstant(),
        KeyAlgorithm.describe(cert.getPublicKey()),
        cert.getBasicConstraints() >= 0);
  }

  /**
   * The values of one attribute type in a DN, in the order they are encoded, read from the DN's
   * DER encoding (Bouncy Castle's ASN.1 parser, already kcert's; JNDI's LdapName would bring the
   * java.naming module into the runtime for this alone). Every attribute of a multi-valued RDN
   * counts, as Go's crypto/x509 (and so the API server) reads Organization; string values are
   * returned unescaped, other value types as {@code #} and the hex of their DER encoding.
   *
   * @param principal the DN
   * @param type an attribute type name such as {@code CN} or {@code O}
   * @throws IllegalArgumentException when the type is not a known name or the DN is malformed
   */
  public static List<String> attributes(X500Principal principal, String type) {
    ASN1ObjectIdentifier oid = BCStyle.INSTANCE.attrNameToOID(type);
    X500Name name;
    try {
      name = X500Name.getInstance(principal.getEncoded());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("malformed distinguished name", e);
    }
    List<String> values = new ArrayList<>();
    for (RDN rdn : name.getRDNs()) {
      for (AttributeTypeAndValue atv : rdn.getTypesAndValues()) {
        if (atv.getType().equals(oid)) {
          values.add(text(atv.getValue()));
        }
      }
    }
    return List.copyOf(values);
  }

  private static String text(ASN1Encodable value) {
    if (value instanceof ASN1String s) {
      return s.getString();
    }
    return IETFUtils.valueToString(value);
  }

  private static InetAddress parseIp(String literal) {
    try {
      // a literal never triggers a name lookup
      return InetAddress.getByName(literal);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("malformed IP address " + literal, e);
    }
  }

  /** IP SANs in their usual text form. */
  public List<String> ipAddressStrings() {
    return ipAddresses.stream().map(InetAddress::getHostAddress).toList();
  }
}
