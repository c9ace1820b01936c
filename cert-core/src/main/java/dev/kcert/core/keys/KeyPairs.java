package dev.kcert.core.keys;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;

/** Checks on key pairs. */
public final class KeyPairs {
  private static final byte[] PROBE = "kcert key match probe".getBytes(StandardCharsets.US_ASCII);

  private KeyPairs() {}

  /** Whether a private key belongs to a public key (of a certificate or CSR). */
  public static boolean matches(PrivateKey privateKey, PublicKey publicKey) {
    if (privateKey instanceof RSAPrivateCrtKey rsa && publicKey instanceof RSAPublicKey pub) {
      return rsa.getModulus().equals(pub.getModulus())
          && rsa.getPublicExponent().equals(pub.getPublicExponent());
    }
    if (!privateKey.getAlgorithm().equals(publicKey.getAlgorithm())) {
      return false;
    }
    String alg =
        switch (privateKey.getAlgorithm()) {
          case "RSA" -> "SHA256withRSA";
          case "EC" -> "SHA256withECDSA";
          default -> privateKey.getAlgorithm();
        };
    if (privateKey instanceof ECKey a
        && publicKey instanceof ECKey b
        && a.getParams().getCurve().getField().getFieldSize()
            != b.getParams().getCurve().getField().getFieldSize()) {
      return false;
    }
    try {
      Signature signer = Signature.getInstance(alg);
      signer.initSign(privateKey);
      signer.update(PROBE);
      byte[] sig = signer.sign();
      Signature verifier = Signature.getInstance(alg);
      verifier.initVerify(publicKey);
      verifier.update(PROBE);
      return verifier.verify(sig);
    } catch (GeneralSecurityException | RuntimeException e) {
      return false;
    }
  }
}
