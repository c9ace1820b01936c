package dev.kcert.core.rotation;

import dev.kcert.core.model.KcertException;
import dev.kcert.core.pki.CertificateSigner;
import dev.kcert.core.renewal.Renewer;
import java.io.IOException;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The new CA cross-signed by the old one ({@code prepare --cross-sign}): the new CA's subject and
 * public key, issued and signed by the old CA. A client that trusts only the old CA accepts a leaf
 * of the new CA when the leaf is presented with this certificate behind it (Go's crypto/x509 and
 * openssl both build the path leaf, cross, old CA from a presented intermediate).
 *
 * <p>During {@code reissue} every leaf of the CA and every kubeconfig's embedded client
 * certificate carries it as its chain: each of them is presented in a TLS handshake (as server or
 * as client) to a peer that may not have loaded the trust-both bundle yet. {@code trust-new},
 * {@code finish} and {@code abort} take it out again. Readers that take the first certificate of
 * a file as the leaf (kubeadm, kcert) are not affected.
 */
public final class CrossSign {
  /** Its file in the rotation folder. */
  public static final String FILE_NAME = "cross.crt";

  private CrossSign() {}

  /**
   * Cross-signs {@code newCa} with the old CA: basicConstraints CA:true with the new CA's path
   * length, keyUsage keyCertSign and cRLSign, SKI of the new key, AKI of the old CA, valid from now
   * (backdated as kubeadm backdates) to the earlier of both CAs' ends.
   */
  public static X509Certificate of(X509Certificate newCa, X509Certificate oldCa, PrivateKey oldKey,
      Clock clock) {
    Instant now = clock.instant();
    Instant from = later(now.minus(Renewer.BACKDATE), oldCa.getNotBefore().toInstant());
    Instant to = earlier(newCa.getNotAfter().toInstant(), oldCa.getNotAfter().toInstant());
    if (!from.isBefore(to)) {
      throw new KcertException("cannot cross-sign the new CA: the old CA is valid only until "
          + oldCa.getNotAfter().toInstant());
    }
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
          X500Name.getInstance(oldCa.getSubjectX500Principal().getEncoded()),
          CertificateSigner.randomSerial(),
          Date.from(from),
          Date.from(to),
          X500Name.getInstance(newCa.getSubjectX500Principal().getEncoded()),
          newCa.getPublicKey());
      int pathLen = newCa.getBasicConstraints();
      b.addExtension(Extension.basicConstraints, true,
          pathLen == Integer.MAX_VALUE || pathLen < 0 ? new BasicConstraints(true) : new BasicConstraints(pathLen));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      b.addExtension(Extension.subjectKeyIdentifier, false,
          ext.createSubjectKeyIdentifier(newCa.getPublicKey()));
      b.addExtension(Extension.authorityKeyIdentifier, false, CertificateSigner.authorityKeyId(oldCa));
      return new JcaX509CertificateConverter().getCertificate(b.build(
          new JcaContentSignerBuilder(CertificateSigner.signatureAlgorithm(oldKey)).build(oldKey)));
    } catch (IOException | CertificateException | OperatorCreationException
        | java.security.NoSuchAlgorithmException e) {
      throw new KcertException("cannot cross-sign the new CA: " + KcertException.oneLine(e), e);
    }
  }

  /**
   * What a certificate file or client-certificate-data should hold: the leaf, then {@code cross}
   * when {@code carry}; every other certificate that followed the leaf is kept after them, except
   * copies of {@code cross}.
   */
  static List<X509Certificate> chain(List<X509Certificate> held, X509Certificate leaf,
      X509Certificate cross, boolean carry) {
    List<X509Certificate> out = new ArrayList<>();
    out.add(leaf);
    if (carry && cross != null) {
      out.add(cross);
    }
    for (int i = 1; i < held.size(); i++) {
      if (!held.get(i).equals(cross)) {
        out.add(held.get(i));
      }
    }
    return out;
  }

  private static Instant later(Instant a, Instant b) {
    return a.isAfter(b) ? a : b;
  }

  private static Instant earlier(Instant a, Instant b) {
    return a.isBefore(b) ? a : b;
  }
}
