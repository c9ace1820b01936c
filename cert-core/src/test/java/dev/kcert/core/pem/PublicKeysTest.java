package dev.kcert.core.pem;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kcert.core.keys.KeyAlgorithm;
import dev.kcert.core.model.KcertException;
import dev.kcert.core.testing.TestPki;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class PublicKeysTest {
  @TempDir Path tmp;

  @ParameterizedTest(name = "{0}")
  @EnumSource(value = KeyAlgorithm.class, names = {"RSA_2048", "ECDSA_P256"})
  void roundTrips(KeyAlgorithm alg) {
    KeyPair pair = alg.generate();
    String pem = PublicKeys.toPem(pair.getPublic());
    assertThat(pem).startsWith("-----BEGIN PUBLIC KEY-----\n");
    assertThat(PublicKeys.parse(pem.getBytes(StandardCharsets.US_ASCII), "k"))
        .isEqualTo(pair.getPublic());
  }

  @Test
  void readsTheServiceAccountKeyKubeadmLayoutHas() {
    var layout = TestPki.in(tmp).create();
    assertThat(PublicKeys.read(layout.serviceAccountPub()).getAlgorithm()).isEqualTo("EC");
  }

  @Test
  void rejectsWhatIsNotAPublicKey() {
    assertThatThrownBy(() -> PublicKeys.parse(bytes(Pem.encode("CERTIFICATE", new byte[] {1})), "f"))
        .isInstanceOf(KcertException.class)
        .hasMessage("f: does not contain a PEM encoded public key");
    assertThatThrownBy(() -> PublicKeys.parse(bytes(Pem.encode("PUBLIC KEY", new byte[] {1, 2})), "f"))
        .hasMessageStartingWith("f: malformed public key: ");
    assertThatThrownBy(() -> PublicKeys.parse(bytes(Pem.encode("RSA PUBLIC KEY", new byte[] {1})), "f"))
        .hasMessage("f: PKCS#1 RSA PUBLIC KEY is not supported; expected PUBLIC KEY");
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
