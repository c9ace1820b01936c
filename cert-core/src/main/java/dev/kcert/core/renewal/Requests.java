package dev.kcert.core.renewal;

import dev.kcert.core.csr.CsrBuilder;
import dev.kcert.core.model.KcertException;
import dev.kcert.core.pem.Pem;
import dev.kcert.core.pem.PemBlock;
import dev.kcert.core.pki.CertificateInfo;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.pkcs.Attribute;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;

/** Reads the certificate requests kcert wrote, for {@code import}. */
final class Requests {
  /**
   * A request's subject and SANs (no usages), and its public key.
   *
   * @param identity subject and SANs
   * @param publicKey the key it asks a certificate for
   */
  record Request(Identity identity, PublicKey publicKey) {}

  private Requests() {}

  static Request read(Path file) {
    byte[] der = null;
    for (PemBlock b : Pem.parse(Pem.readFile(file), file.toString())) {
      if (CsrBuilder.PEM_TYPE.equals(b.type()) || "NEW CERTIFICATE REQUEST".equals(b.type())) {
        der = b.der();
        break;
      }
    }
    if (der == null) {
      throw KcertException.about(file, "does not contain a PEM encoded certificate request");
    }
    try {
      PKCS10CertificationRequest req = new PKCS10CertificationRequest(der);
      PublicKey key = publicKey(req);
      if (!req.isSignatureValid(new JcaContentVerifierProviderBuilder().build(key))) {
        throw KcertException.about(file, "certificate request signature is invalid");
      }
      X500Principal subject = new X500Principal(req.getSubject().getEncoded());
      List<String> dns = new ArrayList<>();
      List<String> ips = new ArrayList<>();
      for (Attribute a : req.getAttributes(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest)) {
        for (ASN1Encodable v : a.getAttrValues()) {
          GeneralNames names =
              GeneralNames.fromExtensions(
                  Extensions.getInstance(v), Extension.subjectAlternativeName);
          if (names == null) {
            continue;
          }
          for (GeneralName n : names.getNames()) {
            if (n.getTagNo() == GeneralName.dNSName) {
              dns.add(n.getName().toString());
            } else if (n.getTagNo() == GeneralName.iPAddress) {
              byte[] raw = ASN1OctetString.getInstance(n.getName()).getOctets();
              ips.add(InetAddress.getByAddress(raw).getHostAddress());
            }
          }
        }
      }
      Identity id =
          new Identity(
              String.join(",", CertificateInfo.attributes(subject, "CN")),
              CertificateInfo.attributes(subject, "O"),
              dns,
              ips,
              Set.of());
      return new Request(id, key);
    } catch (KcertException e) {
      throw e;
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      throw KcertException.about(
          file, "malformed certificate request: " + KcertException.oneLine(e), e);
    } catch (org.bouncycastle.operator.OperatorCreationException
        | org.bouncycastle.pkcs.PKCSException e) {
      throw KcertException.about(
          file, "cannot check certificate request: " + KcertException.oneLine(e), e);
    }
  }

  private static PublicKey publicKey(PKCS10CertificationRequest req)
      throws IOException, GeneralSecurityException {
    String oid = req.getSubjectPublicKeyInfo().getAlgorithm().getAlgorithm().getId();
    String alg =
        switch (oid) {
          case "1.2.840.113549.1.1.1" -> "RSA";
          case "1.2.840.10045.2.1" -> "EC";
          default -> throw new GeneralSecurityException("unsupported key algorithm " + oid);
        };
    return KeyFactory.getInstance(alg)
        .generatePublic(new X509EncodedKeySpec(req.getSubjectPublicKeyInfo().getEncoded()));
  }
}
