package dev.kcert.core.csr;

import dev.kcert.core.model.KcertException;
import dev.kcert.core.pem.Pem;
import dev.kcert.core.pki.CertificateSigner;
import java.io.IOException;
import java.net.InetAddress;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import dev.kcert.core.model.ExtendedKeyUsage;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/**
 * PKCS#10 certificate requests for an external CA: the subject (O values before CN, as in the
 * certificates) and, in an extension request, the subject alternative names and kubeadm's key
 * usage and extended key usages for the certificate. kubeadm's own requests leave the usages to
 * the CA; carrying them lets a CA that copies requested extensions (openssl's {@code
 * -copy_extensions copy}) issue a certificate that works. The CA decides validity.
 */
public final class CsrBuilder {
  public static final String PEM_TYPE = CsrParser.PEM_TYPE;

  private CsrBuilder() {}

  /** A signed request for {@code pair}'s public key, PEM encoded. */
  public static String build(
      String commonName,
      List<String> organizations,
      List<String> dnsNames,
      List<InetAddress> ipAddresses,
      Set<ExtendedKeyUsage> extKeyUsages,
      KeyPair pair) {
    return build(commonName, organizations, dnsNames, ipAddresses, extKeyUsages, false, pair);
  }

  /**
   * A signed request for a CA certificate (an intermediate under an external root): kubeadm's CA
   * key usage and {@code CA:true} requested, no names.
   */
  public static String buildCa(String commonName, List<String> organizations, KeyPair pair) {
    return build(commonName, organizations, List.of(), List.of(), Set.of(), true, pair);
  }

  private static String build(
      String commonName,
      List<String> organizations,
      List<String> dnsNames,
      List<InetAddress> ipAddresses,
      Set<ExtendedKeyUsage> extKeyUsages,
      boolean ca,
      KeyPair pair) {
    X500Name subject = CertificateSigner.name(commonName, organizations);
    try {
      JcaPKCS10CertificationRequestBuilder b =
          new JcaPKCS10CertificationRequestBuilder(subject, pair.getPublic());
      List<Extension> requested = new ArrayList<>();
      requested.add(CertificateSigner.keyUsage(ca));
      if (ca) {
        requested.add(
            new Extension(Extension.basicConstraints, true, new BasicConstraints(true).getEncoded()));
      }
      Extension eku = CertificateSigner.extendedKeyUsage(extKeyUsages);
      if (eku != null) {
        requested.add(eku);
      }
      GeneralNames names = CertificateSigner.subjectAltNames(dnsNames, ipAddresses);
      if (names != null) {
        requested.add(new Extension(Extension.subjectAlternativeName, false, names.getEncoded()));
      }
      b.addAttribute(
          PKCSObjectIdentifiers.pkcs_9_at_extensionRequest,
          new Extensions(requested.toArray(new Extension[0])));
      PKCS10CertificationRequest req =
          b.build(
              new JcaContentSignerBuilder(CertificateSigner.signatureAlgorithm(pair.getPrivate()))
                  .build(pair.getPrivate()));
      return Pem.encode(PEM_TYPE, req.getEncoded());
    } catch (IOException | OperatorCreationException e) {
      throw new KcertException(
          "cannot build certificate request for " + commonName + ": " + KcertException.oneLine(e),
          e);
    }
  }
}
