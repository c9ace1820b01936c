package dev.kcert.core.renewal;

import dev.kcert.core.generate.GenerationOptions;
import dev.kcert.core.model.KcertException;
import dev.kcert.core.pki.CertificateInfo;
import dev.kcert.core.pki.CertificateSigner;
import dev.kcert.core.pki.CertificateTemplate;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * kubeadm's renewal rule, in memory: the existing certificate is the source of truth. The new one
 * copies its subject CN and O values (in order), its DNS and IP SANs and its extended key usages;
 * it gets key usage digitalSignature + keyEncipherment, a new random serial, NotBefore five minutes
 * ago and NotAfter {@code validity} from now, and is signed by the CA.
 */
public final class Renewer {
  /** kubeadm backdates certificates by five minutes against clock skew. */
  public static final Duration BACKDATE = GenerationOptions.BACKDATE;

  /** kubeadm's default validity of renewed certificates: one year. */
  public static final Duration DEFAULT_VALIDITY = GenerationOptions.DEFAULT_VALIDITY;

  private Renewer() {}

  /**
   * When a certificate renewed at {@code now} for {@code validity} expires: never after its CA, as
   * kubeadm caps it (a certificate that outlives its CA is of no use once the CA has expired).
   */
  public static Instant notAfter(Instant now, Duration validity, X509Certificate caCert) {
    Instant wanted = now.plus(validity);
    Instant caEnd = caCert.getNotAfter().toInstant();
    return wanted.isAfter(caEnd) ? caEnd : wanted;
  }

  /**
   * A renewed certificate for {@code newKey}, valid until {@link #notAfter}.
   *
   * @param source names the old certificate in messages
   * @throws KcertException when the old certificate carries something renewal cannot copy
   */
  public static X509Certificate renew(
      X509Certificate old,
      String source,
      X509Certificate caCert,
      PrivateKey caKey,
      PublicKey newKey,
      Clock clock,
      Duration validity) {
    if (validity.isNegative() || validity.isZero()) {
      throw new IllegalArgumentException("validity must be positive");
    }
    CertificateInfo info;
    try {
      info = CertificateInfo.of(old);
    } catch (IllegalArgumentException e) {
      throw new KcertException(source + ": " + e.getMessage(), e);
    }
    if (info.ca()) {
      throw new KcertException(source + ": is a CA certificate; CAs are not renewed");
    }
    if (!info.unknownExtKeyUsages().isEmpty()) {
      throw new KcertException(
          source
              + ": carries extended key usages kcert cannot copy: "
              + String.join(", ", info.unknownExtKeyUsages()));
    }
    Instant now = clock.instant();
    CertificateTemplate t =
        new CertificateTemplate(
            info.commonName(),
            info.organizations(),
            info.dnsNames(),
            info.ipAddresses(),
            info.extKeyUsages(),
            false,
            now.minus(BACKDATE),
            notAfter(now, validity, caCert));
    return CertificateSigner.sign(t, newKey, caCert, caKey);
  }
}
