package dev.kcert.core.pem;

import dev.kcert.core.model.KcertException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;

/**
 * Public keys in PEM ({@code PUBLIC KEY}, SubjectPublicKeyInfo), such as kubeadm's {@code sa.pub}.
 * Read with the JDK's key factories.
 */
public final class PublicKeys {
  public static final String PEM_TYPE = "PUBLIC KEY";

  private PublicKeys() {}

  public static PublicKey read(Path file) {
    return parse(Pem.readFile(file), file.toString());
  }

  public static PublicKey parse(byte[] pem, String source) {
    for (PemBlock block : Pem.parse(pem, source)) {
      if (PEM_TYPE.equals(block.type())) {
        return fromDer(block.der(), source);
      }
      if ("RSA PUBLIC KEY".equals(block.type())) {
        throw new KcertException(
            source + ": PKCS#1 RSA PUBLIC KEY is not supported; expected PUBLIC KEY");
      }
    }
    throw new KcertException(source + ": does not contain a PEM encoded public key");
  }

  public static String toPem(PublicKey key) {
    return Pem.encode(PEM_TYPE, key.getEncoded());
  }

  private static PublicKey fromDer(byte[] der, String source) {
    String error = null;
    for (String alg : new String[] {"RSA", "EC", "Ed25519"}) {
      try {
        return KeyFactory.getInstance(alg).generatePublic(new X509EncodedKeySpec(der));
      } catch (GeneralSecurityException | RuntimeException e) {
        error = KcertException.oneLine(e);
      }
    }
    throw new KcertException(source + ": malformed public key: " + error);
  }
}
