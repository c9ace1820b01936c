package dev.kcert.core.keys;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.spec.RSAPrivateCrtKeySpec;
import java.security.spec.RSAPublicKeySpec;

/**
 * Makes RSA key pairs with public exponent 65537 following FIPS 186-4 B.3.3 (probable primes),
 * the way Go's {@code crypto/rsa} (which kubeadm uses) and OpenSSL draw their primes: each search
 * starts from a random number with its two top bits set. Such a prime is at least 1.5·2<sup>k-1</sup>,
 * above the standard's floor of √2·2<sup>k-1</sup>, so every prime found is usable and the modulus
 * always has the full size.
 *
 * <p>The JDK's own generator draws a prime anywhere in [2<sup>k-1</sup>, 2<sup>k</sup>) and throws away
 * the 41% that fall below the floor, so it searches 1.7 primes for each one it keeps; prime searches
 * are nearly all of the cost of a key. Primality is the JDK's test ({@link
 * BigInteger#nextProbablePrime}: a sieve, Miller-Rabin rounds and a Lucas test), the same test its
 * generator applies.
 */
final class RsaKeyGenerator {
  private static final BigInteger E = BigInteger.valueOf(65537);

  private RsaKeyGenerator() {}

  static KeyPair generate(int bits, SecureRandom random) throws GeneralSecurityException {
    if (bits < 2048 || bits % 2 != 0) {
      throw new IllegalArgumentException("RSA key size must be even and at least 2048: " + bits);
    }
    int half = bits / 2;
    BigInteger minDistance = BigInteger.ONE.shiftLeft(half - 100);
    BigInteger minD = BigInteger.ONE.shiftLeft(half);
    while (true) {
      BigInteger p = prime(half, random);
      BigInteger q = prime(half, random);
      if (p.subtract(q).abs().compareTo(minDistance) <= 0) {
        continue;
      }
      if (p.compareTo(q) < 0) { // p > q, as PKCS #1 writers conventionally order them
        BigInteger t = p;
        p = q;
        q = t;
      }
      BigInteger n = p.multiply(q);
      BigInteger p1 = p.subtract(BigInteger.ONE);
      BigInteger q1 = q.subtract(BigInteger.ONE);
      BigInteger lcm = p1.divide(p1.gcd(q1)).multiply(q1);
      BigInteger d = E.modInverse(lcm);
      if (d.compareTo(minD) <= 0 || n.bitLength() != bits) {
        continue; // FIPS 186-4 B.3.1: d > 2^(nlen/2); neither happens in practice
      }
      KeyFactory factory = KeyFactory.getInstance("RSA");
      return new KeyPair(
          factory.generatePublic(new RSAPublicKeySpec(n, E)),
          factory.generatePrivate(
              new RSAPrivateCrtKeySpec(n, E, d, p, q, d.mod(p1), d.mod(q1), q.modInverse(p))));
    }
  }

  /** A probable prime of exactly {@code bits} bits, its two top bits set, with gcd(p-1, e) = 1. */
  static BigInteger prime(int bits, SecureRandom random) {
    while (true) {
      BigInteger start = new BigInteger(bits, random).setBit(bits - 1).setBit(bits - 2);
      BigInteger p = start.nextProbablePrime();
      if (p.bitLength() == bits && p.subtract(BigInteger.ONE).gcd(E).equals(BigInteger.ONE)) {
        return p;
      }
    }
  }
}
