package dev.kcert.core.pem;

import dev.kcert.core.model.KcertException;
import java.io.ByteArrayInputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads and writes certificates with the JDK's own {@link CertificateFactory}, which keeps Bouncy
 * Castle off the path of read-only commands.
 */
public final class Certificates {
  public static final String PEM_TYPE = "CERTIFICATE";

  private Certificates() {}

  /**
   * Reads a certificate bundle: the first certificate and then its chain, if any.
   *
   * @throws KcertException naming the file when it is missing, holds no certificate, or is corrupt
   */
  public static List<X509Certificate> readBundle(Path file) {
    return parseBundle(Pem.readFile(file), file.toString());
  }

  /** Parses PEM text holding one or more certificates; other block types are skipped. */
  public static List<X509Certificate> parseBundle(byte[] pem, String source) {
    List<X509Certificate> certs = new ArrayList<>();
    for (PemBlock block : Pem.parse(pem, source)) {
      if (PEM_TYPE.equals(block.type())) {
        certs.add(parseDer(block.der(), source));
      }
    }
    if (certs.isEmpty()) {
      throw new KcertException(source + ": does not contain a valid PEM encoded certificate");
    }
    return certs;
  }

  /** Parses one DER certificate. */
  public static X509Certificate parseDer(byte[] der, String source) {
    try {
      return (X509Certificate) factory().generateCertificate(new ByteArrayInputStream(der));
    } catch (CertificateException | RuntimeException e) {
      throw new KcertException(
          source + ": malformed certificate: " + KcertException.oneLine(e), e);
    }
  }

  public static String toPem(X509Certificate cert) {
    try {
      return Pem.encode(PEM_TYPE, cert.getEncoded());
    } catch (CertificateEncodingException e) {
      throw new UncheckedIOException(new java.io.IOException(e));
    }
  }

  /** Whether {@code cert} carries a signature made by {@code issuer}'s key. */
  public static boolean isSignedBy(X509Certificate cert, X509Certificate issuer) {
    try {
      cert.verify(issuer.getPublicKey());
      return true;
    } catch (java.security.GeneralSecurityException | RuntimeException e) {
      return false;
    }
  }

  /** One factory per thread: looking the provider up again for every certificate shows in scans. */
  private static final ThreadLocal<CertificateFactory> FACTORY =
      ThreadLocal.withInitial(
          () -> {
            try {
              return CertificateFactory.getInstance("X.509");
            } catch (CertificateException e) {
              throw new IllegalStateException("the JDK has no X.509 certificate factory", e);
            }
          });

  private static CertificateFactory factory() throws CertificateException {
    return FACTORY.get();
  }
}
