package dev.kcert.core.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kcert.core.model.KcertException;
import dev.kcert.core.pem.Pem;
import dev.kcert.core.pem.PemBlock;
import dev.kcert.core.pem.PrivateKeys;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class PrivateKeysTest {
  @ParameterizedTest(name = "{0}")
  @EnumSource(
      value = KeyAlgorithm.class,
      names = {"RSA_2048", "ECDSA_P256", "ECDSA_P384"})
  void writesKubeadmPemTypesAndReadsThemBack(KeyAlgorithm alg) {
    KeyPair pair = alg.generate();
    String pem = PrivateKeys.toPem(pair);
    assertThat(pem).startsWith("-----BEGIN " + (alg.isRsa() ? "RSA" : "EC") + " PRIVATE KEY-----");
    PrivateKey back = PrivateKeys.parse(ascii(pem), "k");
    assertThat(KeyPairs.matches(back, pair.getPublic())).isTrue();
    assertThat(KeyAlgorithm.of(back)).contains(alg);
  }

  @Test
  void sec1KeyCarriesCurveAndPublicKey() {
    KeyPair pair = KeyAlgorithm.ECDSA_P256.generate();
    PemBlock block = Pem.parse(ascii(PrivateKeys.toPem(pair)), "k").get(0);
    ECPrivateKey sec1 = ECPrivateKey.getInstance(block.der());
    assertThat(sec1.getParametersObject()).hasToString("1.2.840.10045.3.1.7");
    assertThat(sec1.getPublicKey()).isNotNull();
  }

  @Test
  void readsSec1WithoutPublicKey() throws Exception {
    KeyPair pair = KeyAlgorithm.ECDSA_P256.generate();
    ECPrivateKey full = ECPrivateKey.getInstance(Pem.parse(ascii(PrivateKeys.toPem(pair)), "k").get(0).der());
    ECPrivateKey bare = new ECPrivateKey(256, full.getKey(), full.getParametersObject());
    String pem = Pem.encode(PrivateKeys.SEC1_EC, bare.getEncoded());
    PrivateKey back = PrivateKeys.parse(ascii(pem), "k");
    assertThat(KeyPairs.matches(back, pair.getPublic())).isTrue();
  }

  @Test
  void readsPkcs8() {
    KeyPair pair = KeyAlgorithm.ECDSA_P384.generate();
    String pem = Pem.encode(PrivateKeys.PKCS8, pair.getPrivate().getEncoded());
    assertThat(KeyPairs.matches(PrivateKeys.parse(ascii(pem), "k"), pair.getPublic())).isTrue();
  }

  @Test
  void readsEd25519Pkcs8() throws Exception {
    KeyPair pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    String pem = PrivateKeys.toPem(pair);
    assertThat(pem).startsWith("-----BEGIN PRIVATE KEY-----");
    assertThat(KeyPairs.matches(PrivateKeys.parse(ascii(pem), "k"), pair.getPublic())).isTrue();
  }

  @Test
  void detectsMismatch() {
    KeyPair a = KeyAlgorithm.ECDSA_P256.generate();
    KeyPair b = KeyAlgorithm.ECDSA_P256.generate();
    KeyPair r = KeyAlgorithm.RSA_2048.generate();
    assertThat(KeyPairs.matches(a.getPrivate(), b.getPublic())).isFalse();
    assertThat(KeyPairs.matches(a.getPrivate(), r.getPublic())).isFalse();
    assertThat(KeyPairs.matches(r.getPrivate(), a.getPublic())).isFalse();
    assertThat(KeyPairs.matches(r.getPrivate(), r.getPublic())).isTrue();
  }

  @Test
  void rejectsWhatIsNotAKey() {
    assertThatThrownBy(() -> PrivateKeys.parse(ascii(Pem.encode("CERTIFICATE", new byte[] {1})), "f"))
        .isInstanceOf(KcertException.class)
        .hasMessage("f: does not contain a PEM encoded private key");
    assertThatThrownBy(() -> PrivateKeys.parse(ascii(Pem.encode(PrivateKeys.PKCS1_RSA, new byte[] {1, 2})), "f"))
        .hasMessageStartingWith("f: malformed RSA private key: ");
    assertThatThrownBy(() -> PrivateKeys.parse(ascii(Pem.encode(PrivateKeys.SEC1_EC, new byte[] {1, 2})), "f"))
        .hasMessageStartingWith("f: malformed EC private key: ");
    assertThatThrownBy(() -> PrivateKeys.parse(ascii(Pem.encode(PrivateKeys.SEC1_EC, new byte[] {0x30, 0})), "f"))
        .hasMessage("f: EC private key does not name its curve");
    assertThatThrownBy(() -> PrivateKeys.parse(ascii(Pem.encode("ENCRYPTED PRIVATE KEY", new byte[] {1})), "f"))
        .hasMessage("f: encrypted private keys are not supported");
  }

  @Test
  void keyAlgorithmNames() {
    assertThat(KeyAlgorithm.parse("rsa-4096")).isEqualTo(KeyAlgorithm.RSA_4096);
    assertThat(KeyAlgorithm.parse("ECDSA_P384")).isEqualTo(KeyAlgorithm.ECDSA_P384);
    assertThatThrownBy(() -> KeyAlgorithm.parse("DSA-1024"))
        .hasMessage(
            "unknown key algorithm 'DSA-1024' (expected one of RSA-2048, RSA-3072, RSA-4096,"
                + " ECDSA-P256, ECDSA-P384)");
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
