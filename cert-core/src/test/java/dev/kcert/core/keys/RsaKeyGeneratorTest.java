package dev.kcert.core.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RsaKeyGeneratorTest {
  private static final SecureRandom RANDOM = new SecureRandom();

  @ParameterizedTest(name = "RSA-{0}")
  @ValueSource(ints = {2048, 3072})
  void keyMeetsFips186B3(int bits) throws Exception {
    KeyPair pair = RsaKeyGenerator.generate(bits, RANDOM);
    RSAPrivateCrtKey k = (RSAPrivateCrtKey) pair.getPrivate();
    RSAPublicKey pub = (RSAPublicKey) pair.getPublic();
    BigInteger p = k.getPrimeP();
    BigInteger q = k.getPrimeQ();
    BigInteger one = BigInteger.ONE;
    BigInteger e = BigInteger.valueOf(65537);

    assertThat(pub.getModulus()).isEqualTo(k.getModulus()).isEqualTo(p.multiply(q));
    assertThat(k.getModulus().bitLength()).isEqualTo(bits);
    assertThat(pub.getPublicExponent()).isEqualTo(e).isEqualTo(k.getPublicExponent());
    for (BigInteger prime : new BigInteger[] {p, q}) {
      assertThat(prime.bitLength()).isEqualTo(bits / 2);
      assertThat(prime.testBit(bits / 2 - 2)).as("second top bit").isTrue();
      assertThat(prime.isProbablePrime(100)).isTrue();
      assertThat(prime.subtract(one).gcd(e)).isEqualTo(one);
    }
    assertThat(p.subtract(q).abs().bitLength()).isGreaterThan(bits / 2 - 100);
    BigInteger p1 = p.subtract(one);
    BigInteger q1 = q.subtract(one);
    BigInteger lcm = p1.divide(p1.gcd(q1)).multiply(q1);
    assertThat(e.multiply(k.getPrivateExponent()).mod(lcm)).isEqualTo(one);
    assertThat(k.getPrivateExponent().bitLength()).isGreaterThan(bits / 2);
    assertThat(k.getPrimeExponentP()).isEqualTo(k.getPrivateExponent().mod(p1));
    assertThat(k.getPrimeExponentQ()).isEqualTo(k.getPrivateExponent().mod(q1));
    assertThat(k.getCrtCoefficient().multiply(q).mod(p)).isEqualTo(one);

    byte[] data = "signed by a new key".getBytes(StandardCharsets.US_ASCII);
    Signature signer = Signature.getInstance("SHA256withRSA");
    signer.initSign(pair.getPrivate());
    signer.update(data);
    byte[] sig = signer.sign();
    Signature verifier = Signature.getInstance("SHA256withRSA");
    verifier.initVerify(pub);
    verifier.update(data);
    assertThat(verifier.verify(sig)).isTrue();
  }

  @Test
  void successiveKeysDiffer() throws Exception {
    BigInteger a = ((RSAPublicKey) RsaKeyGenerator.generate(2048, RANDOM).getPublic()).getModulus();
    BigInteger b = ((RSAPublicKey) RsaKeyGenerator.generate(2048, RANDOM).getPublic()).getModulus();
    assertThat(a).isNotEqualTo(b);
  }

  @Test
  void primesHaveTheirTwoTopBitsSet() {
    for (int i = 0; i < 20; i++) {
      BigInteger p = RsaKeyGenerator.prime(512, RANDOM);
      assertThat(p.bitLength()).isEqualTo(512);
      assertThat(p.shiftRight(510).intValue()).isEqualTo(3);
      assertThat(p.isProbablePrime(100)).isTrue();
    }
  }

  @Test
  void refusesSizesBelow2048() {
    assertThatThrownBy(() -> RsaKeyGenerator.generate(1024, RANDOM))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("1024");
  }
}
