package dev.kcert.core.csr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kcert.core.csr.CsrInfo.KeyType;
import dev.kcert.core.model.KcertException;
import dev.kcert.core.pem.Pem;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class CsrParserTest {

  @Test
  void readsSubjectSansAndKey() throws Exception {
    CsrInfo info =
        CsrParser.parsePem(
            KubeletCsrs.forNode("node-a").key("EC-256").dns("node-a", "node-a.local").ip("10.0.0.1", "fd00::1").pem(),
            "test");
    assertThat(info.commonNames()).containsExactly("system:node:node-a");
    assertThat(info.organizations()).containsExactly("system:nodes");
    assertThat(info.otherSubjectAttributes()).isEmpty();
    assertThat(info.subject()).isEqualTo("O=system:nodes,CN=system:node:node-a");
    assertThat(info.dnsNames()).containsExactly("node-a", "node-a.local");
    assertThat(info.ipAddresses())
        .containsExactly(InetAddress.getByName("10.0.0.1"), InetAddress.getByName("fd00::1"));
    assertThat(info.emailAddresses()).isEmpty();
    assertThat(info.uris()).isEmpty();
    assertThat(info.otherSanTypes()).isEmpty();
    assertThat(info.caRequested()).isFalse();
    assertThat(info.signatureValid()).isTrue();
    assertThat(info.signatureProblem()).isEmpty();
    assertThat(info.key().describe()).isEqualTo("ECDSA P-256");
  }

  static Stream<Arguments> keys() {
    return Stream.of(
        Arguments.of("RSA-2048", KeyType.RSA, 2048, "RSA 2048"),
        Arguments.of("RSA-1024", KeyType.RSA, 1024, "RSA 1024"),
        Arguments.of("RSA-2048-PSS", KeyType.RSA, 2048, "RSA 2048"),
        Arguments.of("EC-256", KeyType.ECDSA, 256, "ECDSA P-256"),
        Arguments.of("EC-384", KeyType.ECDSA, 384, "ECDSA P-384"),
        Arguments.of("EC-521", KeyType.ECDSA, 521, "ECDSA P-521"),
        Arguments.of("Ed25519", KeyType.ED25519, 256, "Ed25519"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("keys")
  void identifiesKeysAndVerifiesTheirSignatures(String kind, KeyType type, int bits, String described) {
    CsrInfo info = CsrParser.parsePem(KubeletCsrs.forNode("n").key(kind).dns("n").pem(), "t");
    assertThat(info.key().type()).isEqualTo(type);
    assertThat(info.key().bits()).isEqualTo(bits);
    assertThat(info.key().describe()).isEqualTo(described);
    assertThat(info.signatureValid()).isTrue();
  }

  @Test
  void reportsABrokenSignature() {
    CsrInfo info = CsrParser.parsePem(KubeletCsrs.forNode("n").key("RSA-2048").dns("n").corruptSignature().pem(), "t");
    assertThat(info.signatureValid()).isFalse();
    assertThat(info.signatureProblem()).isEqualTo("signature does not verify with the request's public key");
    CsrInfo pss =
        CsrParser.parsePem(KubeletCsrs.forNode("n").key("RSA-2048-PSS").dns("n").corruptSignature().pem(), "t");
    assertThat(pss.signatureValid()).isFalse();
    assertThat(pss.signatureProblem()).isEqualTo("signature does not verify with the request's public key");
  }

  @Test
  void readsForbiddenSanTypesAndCaRequests() {
    CsrInfo info =
        CsrParser.parsePem(
            KubeletCsrs.forNode("n").dns("n").email("a@b").uri("https://x").registeredId("1.2.3").ca().pem(), "t");
    assertThat(info.emailAddresses()).containsExactly("a@b");
    assertThat(info.uris()).containsExactly("https://x");
    assertThat(info.otherSanTypes()).containsExactly("registeredID");
    assertThat(info.caRequested()).isTrue();
    assertThat(CsrParser.parsePem(KubeletCsrs.forNode("n").keyCertSign().pem(), "t").caRequested()).isTrue();
  }

  static Stream<Arguments> garbage() {
    byte[] der = KubeletCsrs.forNode("n").dns("n").der();
    byte[] truncated = Arrays.copyOf(der, der.length / 2);
    byte[] random = new byte[300];
    new Random(42).nextBytes(random);
    String two = Pem.encode("CERTIFICATE REQUEST", der) + Pem.encode("CERTIFICATE REQUEST", der);
    return Stream.of(
        Arguments.of("empty", new byte[0], "src: no PEM block found"),
        Arguments.of("plain text", "not a request".getBytes(StandardCharsets.US_ASCII), "src: no PEM block found"),
        Arguments.of("raw DER instead of PEM", der, "src: no PEM block found"),
        Arguments.of("wrong PEM type", pem("PRIVATE KEY", der), "src: PEM block is PRIVATE KEY, expected CERTIFICATE REQUEST"),
        Arguments.of("two requests", two.getBytes(StandardCharsets.US_ASCII), "src: 2 PEM blocks found, expected exactly one"),
        Arguments.of("truncated PEM", "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n".getBytes(StandardCharsets.US_ASCII),
            "src: truncated PEM block (BEGIN CERTIFICATE REQUEST without END CERTIFICATE REQUEST)"),
        Arguments.of("random bytes in a PEM", pem("CERTIFICATE REQUEST", random), "src: not a PKCS#10 request: "),
        Arguments.of("truncated DER in a PEM", pem("CERTIFICATE REQUEST", truncated), "src: not a PKCS#10 request: "),
        Arguments.of("1 MiB", new byte[1024 * 1024], "src: request is 1048576 bytes, more than the limit of 65536"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("garbage")
  void garbageGivesOneLineErrors(String name, byte[] input, String messageStart) {
    assertThatThrownBy(() -> CsrParser.parsePem(input, "src"))
        .isExactlyInstanceOf(KcertException.class)
        .hasMessageStartingWith(messageStart)
        .message()
        .doesNotContain("\n");
  }

  @Test
  void randomInputNeverThrowsAnythingButKcertException() {
    Random r = new Random(7);
    byte[] der = KubeletCsrs.forNode("n").dns("n").ip("10.0.0.1").der();
    for (int i = 0; i < 300; i++) {
      byte[] mutated = der.clone();
      for (int k = 0; k < 1 + r.nextInt(4); k++) {
        mutated[r.nextInt(mutated.length)] = (byte) r.nextInt(256);
      }
      try {
        CsrParser.parsePem(pem("CERTIFICATE REQUEST", mutated), "src");
      } catch (KcertException expected) {
        assertThat(expected.getMessage()).startsWith("src: ").doesNotContain("\n");
      }
    }
  }

  static byte[] pem(String type, byte[] der) {
    return Pem.encode(type, der).getBytes(StandardCharsets.US_ASCII);
  }
}
