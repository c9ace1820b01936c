package dev.kcert.core.kubeconfig;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kcert.core.testing.Fixtures;
import dev.kcert.core.testing.TestPki;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Lifting the embedded certificates out before parsing must never change what is parsed. */
class LiftedBlobsTest {
  @TempDir Path tmp;

  private static final String B64 = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo".repeat(3) + "=";
  private static final String CERT = "Q0VSVC" + B64;
  private static final String KEY = "S0VZ" + B64;
  private static final String CA = "Q0E" + B64;

  private static String config(String extra) {
    return """
        apiVersion: v1
        clusters:
        - cluster:
            certificate-authority-data: %s
            server: https://10.0.0.1:6443
          name: k
        contexts:
        - context:
            cluster: k
            user: u
          name: u@k
        current-context: u@k
        kind: Config
        preferences: {}
        users:
        - name: u
          user:
            client-certificate-data: %s
            client-key-data: %s
        %s""".formatted(CA, CERT, KEY, extra);
  }

  @Test
  void kubectlLayoutIsLiftedAndRestored() {
    LiftedBlobs lifted = LiftedBlobs.lift(bytes(config("")));
    assertThat(lifted.text()).doesNotContain(CA, CERT, KEY);
    assertSameAsPlainParse(config(""));
    KubeconfigCredentials c = parse(config(""), true).credentials();
    assertThat(c.certificateAuthority().embedded()).isEqualTo(CA);
    assertThat(c.clientCertificate().embedded()).isEqualTo(CERT);
    assertThat(c.clientKey().embedded()).isEqualTo(KEY);
  }

  static Stream<String> lookAlikes() {
    String line = "client-key-data: " + KEY;
    return Stream.of(
        // inside a literal block scalar: text, not a key
        "extensions:\n- name: note\n  extension:\n    text: |\n      " + line + "\n      more\n",
        // inside a folded block scalar
        "extensions:\n- name: note\n  extension:\n    text: >\n      " + line + "\n",
        // a continuation line of a quoted scalar
        "extensions:\n- name: note\n  extension:\n    text: \"first\n      " + line + "\"\n",
        // a continuation line of a single-quoted scalar
        "extensions:\n- name: note\n  extension:\n    text: 'first\n      " + line + "'\n");
  }

  @ParameterizedTest
  @MethodSource("lookAlikes")
  void aLookAlikeLineInsideAnotherScalarFallsBackToTheWholeText(String extra) {
    assertSameAsPlainParse(config(extra));
    assertThat(new String(parse(config(extra), true).render(), StandardCharsets.UTF_8))
        .contains(KEY.substring(0, 40));
  }

  @Test
  void otherFormsAreLeftToTheParser() {
    // a comment after the value, quotes, a short value, a flow mapping: not lifted, still read
    String text = config("")
        .replace("client-key-data: " + KEY, "client-key-data: " + KEY + " # rotated")
        .replace("client-certificate-data: " + CERT, "client-certificate-data: \"" + CERT + "\"")
        .replace("certificate-authority-data: " + CA, "certificate-authority-data: Q0E=");
    assertThat(LiftedBlobs.lift(bytes(text)).text()).isEqualTo(text);
    assertSameAsPlainParse(text);
    assertSameAsPlainParse("{users: [{name: u, user: {client-key-data: " + KEY + "}}]}");
  }

  @Test
  void errorsAreReportedFromTheTextItself() {
    String broken = config("").replace("kind: Config", "kind: [Config");
    Throwable lifted = org.assertj.core.api.Assertions.catchThrowable(() -> parse(broken, true));
    Throwable plain = org.assertj.core.api.Assertions.catchThrowable(() -> parse(broken, false));
    assertThat(lifted).isNotNull().hasMessage(plain.getMessage());
  }

  @Test
  void windowsLineEndsAndTrailingSpacesAreNotPartOfTheValue() {
    String text = config("").replace("\n", "  \r\n");
    assertSameAsPlainParse(text);
    assertThat(parse(text, true).credentials().clientKey().embedded()).isEqualTo(KEY);
  }

  @Test
  void textOutsideAsciiAroundTheValuesSurvives() {
    String text = "# kubeconfig für Jürgen ✓\n" + config("extensions:\n- name: ünïcødé ✓\n  extension: {}\n");
    assertThat(LiftedBlobs.lift(bytes(text)).text()).contains("für Jürgen ✓", "ünïcødé ✓").doesNotContain(KEY);
    assertSameAsPlainParse(text);
  }

  @Test
  void aListItemKeyIsLiftedToo() {
    String text = config("extensions:\n- client-key-data: " + KEY + "\n  name: x\n");
    assertThat(LiftedBlobs.lift(bytes(text)).text()).doesNotContain(KEY);
    assertSameAsPlainParse(text);
  }

  @Test
  void generatedKubeconfigsParseTheSame() throws Exception {
    TestPki.in(tmp.resolve("etc")).create();
    try (Stream<Path> files = Files.list(tmp.resolve("etc"))) {
      List<Path> confs = files.filter(f -> f.toString().endsWith(".conf")).toList();
      assertThat(confs).hasSizeGreaterThanOrEqualTo(4);
      for (Path f : confs) {
        assertSameAsPlainParse(Files.readString(f));
      }
    }
  }

  static Stream<String> fixtureKubeconfigs() throws Exception {
    return KubeconfigTest.fixtureKubeconfigs();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("fixtureKubeconfigs")
  void kubeadmFixturesParseTheSame(String name) throws Exception {
    Path file = Fixtures.require().resolve(name);
    assertSameAsPlainParse(Files.readString(file));
  }

  private void assertSameAsPlainParse(String text) {
    Kubeconfig lifted = parse(text, true);
    Kubeconfig plain = parse(text, false);
    assertThat(new String(lifted.render(), StandardCharsets.UTF_8))
        .isEqualTo(new String(plain.render(), StandardCharsets.UTF_8));
    assertThat(credentials(lifted)).isEqualTo(credentials(plain));
  }

  private static List<String> credentials(Kubeconfig k) {
    List<String> out = new ArrayList<>();
    try {
      KubeconfigCredentials c = k.credentials();
      for (CredentialRef r : new CredentialRef[] {c.certificateAuthority(), c.clientCertificate(), c.clientKey()}) {
        out.add(r == null ? "-" : String.valueOf(r.embedded()) + "|" + r.file());
      }
    } catch (RuntimeException e) {
      out.add(e.getMessage());
    }
    return out;
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private Kubeconfig parse(String text, boolean lift) {
    return Kubeconfig.parse(text.getBytes(StandardCharsets.UTF_8), tmp.resolve("k.conf"), lift);
  }
}
