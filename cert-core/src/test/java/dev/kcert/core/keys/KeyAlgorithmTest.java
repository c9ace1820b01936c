package dev.kcert.core.keys;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.Signature;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import org.junit.jupiter.api.Test;

class KeyAlgorithmTest {
  @Test
  void rsaKeysHaveTheirSizeAndExponent65537AndSign() throws Exception {
    KeyPair a = KeyAlgorithm.RSA_2048.generate();
    KeyPair b = KeyAlgorithm.RSA_2048.generate();
    RSAPublicKey pub = (RSAPublicKey) a.getPublic();
    RSAPrivateCrtKey priv = (RSAPrivateCrtKey) a.getPrivate();
    assertThat(pub.getModulus().bitLength()).isEqualTo(2048);
    assertThat(pub.getPublicExponent()).isEqualTo(BigInteger.valueOf(65537));
    assertThat(priv.getPrimeP().multiply(priv.getPrimeQ())).isEqualTo(pub.getModulus());
    assertThat(((RSAPublicKey) b.getPublic()).getModulus()).isNotEqualTo(pub.getModulus());
    assertThat(KeyAlgorithm.of(pub)).contains(KeyAlgorithm.RSA_2048);

    byte[] data = "signed by a new key".getBytes(StandardCharsets.US_ASCII);
    Signature signer = Signature.getInstance("SHA256withRSA");
    signer.initSign(a.getPrivate());
    signer.update(data);
    Signature verifier = Signature.getInstance("SHA256withRSA");
    verifier.initVerify(pub);
    verifier.update(data);
    assertThat(verifier.verify(signer.sign())).isTrue();
  }

  @Test
  void ecdsaKeysHaveTheirCurve() {
    assertThat(KeyAlgorithm.of(KeyAlgorithm.ECDSA_P384.generate().getPublic()))
        .contains(KeyAlgorithm.ECDSA_P384);
  }
}
