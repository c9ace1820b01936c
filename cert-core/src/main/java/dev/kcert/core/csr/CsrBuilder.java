package dev.kcert.core.csr;

import dev.kcert.core.model.KcertException;
import dev.kcert.core.pem.Pem;
import dev.kcert.core.pki.CertificateSigner;
import java.io.IOException;
import java.net.InetAddress;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/**
 * PKCS#10 certificate requests as kubeadm writes them for an external CA: the subject (O values
 * before CN, as in the certificates) and the subject alternative names in an extension request,
 * nothing else. The CA decides usages and validity.
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
      KeyPair pair) {
    X500NameBuilder nb = new X500NameBuilder(BCStyle.INSTANCE);
    for (String o : organizations) {
      nb.addRDN(BCStyle.O, o);
    }
    nb.addRDN(BCStyle.CN, commonName);
    X500Name subject = nb.build();
    try {
      JcaPKCS10CertificationRequestBuilder b =
          new JcaPKCS10CertificationRequestBuilder(subject, pair.getPublic());
      List<GeneralName> names = new ArrayList<>();
      for (String dns : dnsNames) {
        names.add(new GeneralName(GeneralName.dNSName, dns));
      }
      for (InetAddress ip : ipAddresses) {
        names.add(new GeneralName(GeneralName.iPAddress, new DEROctetString(ip.getAddress())));
      }
      if (!names.isEmpty()) {
        Extension san =
            new Extension(
                Extension.subjectAlternativeName,
                false,
                new GeneralNames(names.toArray(new GeneralName[0])).getEncoded());
        b.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, new Extensions(san));
      }
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
