package dev.kcert.core.keys;

import dev.kcert.core.model.KcertException;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.interfaces.ECKey;
import java.security.interfaces.RSAKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.RSAKeyGenParameterSpec;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/** The key types kcert generates, named as users type them ({@code RSA-2048}, {@code ECDSA-P256}). */
public enum KeyAlgorithm {
  RSA_2048("RSA-2048", "RSA", 2048),
  RSA_3072("RSA-3072", "RSA", 3072),
  RSA_4096("RSA-4096", "RSA", 4096),
  ECDSA_P256("ECDSA-P256", "EC", 256),
  ECDSA_P384("ECDSA-P384", "EC", 384);

  private static final SecureRandom RANDOM = new SecureRandom();

  private final String displayName;
  private final String jcaName;
  private final int size;

  KeyAlgorithm(String displayName, String jcaName, int size) {
    this.displayName = displayName;
    this.jcaName = jcaName;
    this.size = size;
  }

  public String displayName() {
    return displayName;
  }

  /** The JCA algorithm name: {@code RSA} or {@code EC}. */
  public String jcaName() {
    return jcaName;
  }

  public int size() {
    return size;
  }

  public boolean isRsa() {
    return "RSA".equals(jcaName);
  }

  /**
   * A new key pair of this type, from the JDK's {@link KeyPairGenerator} (for RSA: public exponent
   * 65537, primes by FIPS 186-4), so that a configured JCA provider is the one that makes keys.
   */
  public KeyPair generate() {
    try {
      KeyPairGenerator gen = KeyPairGenerator.getInstance(jcaName);
      if (isRsa()) {
        gen.initialize(new RSAKeyGenParameterSpec(size, RSAKeyGenParameterSpec.F4), RANDOM);
      } else {
        gen.initialize(new ECGenParameterSpec(size == 256 ? "secp256r1" : "secp384r1"), RANDOM);
      }
      return gen.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new KcertException("cannot generate " + displayName + " key: " + e.getMessage(), e);
    }
  }

  @Override
  public String toString() {
    return displayName;
  }

  /** Parses {@code RSA-2048}, {@code rsa2048}, {@code ECDSA-P256}, {@code ecdsa-p256} and the like. */
  public static KeyAlgorithm parse(String text) {
    String norm = text.trim().toUpperCase(Locale.ROOT).replace("_", "").replace("-", "");
    for (KeyAlgorithm a : values()) {
      if (a.displayName.replace("-", "").equals(norm)) {
        return a;
      }
    }
    throw new IllegalArgumentException(
        "unknown key algorithm '"
            + text
            + "' (expected one of "
            + Arrays.stream(values()).map(KeyAlgorithm::displayName).collect(Collectors.joining(", "))
            + ")");
  }

  /** The algorithm of an existing key, when it is one kcert generates. */
  public static Optional<KeyAlgorithm> of(Key key) {
    if (key instanceof RSAKey rsa) {
      int bits = rsa.getModulus().bitLength();
      return Arrays.stream(values()).filter(a -> a.isRsa() && a.size == bits).findFirst();
    }
    if (key instanceof ECKey ec) {
      int bits = ec.getParams().getCurve().getField().getFieldSize();
      return Arrays.stream(values()).filter(a -> !a.isRsa() && a.size == bits).findFirst();
    }
    return Optional.empty();
  }

  /** A short description of any key, for reports: {@code RSA 2048}, {@code ECDSA P-256}, ... */
  public static String describe(Key key) {
    if (key instanceof RSAKey rsa) {
      return "RSA " + rsa.getModulus().bitLength();
    }
    if (key instanceof ECKey ec) {
      return "ECDSA P-" + ec.getParams().getCurve().getField().getFieldSize();
    }
    return key.getAlgorithm();
  }

  /** The size in bits of an RSA or EC key, 0 for others. */
  public static int bits(Key key) {
    if (key instanceof RSAKey rsa) {
      return rsa.getModulus().bitLength();
    }
    if (key instanceof ECKey ec) {
      return ec.getParams().getCurve().getField().getFieldSize();
    }
    return 0;
  }
}
