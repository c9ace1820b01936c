package dev.kcert.core.kubeconfig;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kcert.core.model.KcertException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class KubeconfigTest {
  @TempDir Path tmp;

  private static final String TWO_CONTEXTS =
      """
      apiVersion: v1
      clusters:
      - cluster:
          certificate-authority: pki/ca.crt
          server: https://10.0.0.1:6443
        name: prod
      - cluster:
          certificate-authority-data: Q0EtQg==
          server: https://10.0.0.2:6443
        name: other
      contexts:
      - context:
          cluster: other
          user: nobody
        name: first
      - context:
          cluster: prod
          user: admin
        name: admin@prod
      current-context: admin@prod
      kind: Config
      preferences: {}
      users:
      - name: admin
        user:
          client-certificate: /var/lib/kubelet/pki/kubelet-client-current.pem
          client-key-data: S0VZ
          token: keep-me
      """;

  @Test
  void resolvesTheCurrentContextNotTheFirst() {
    Path file = tmp.resolve("admin.conf");
    KubeconfigCredentials c = parse(TWO_CONTEXTS, file).credentials();
    assertThat(c.contextName()).isEqualTo("admin@prod");
    assertThat(c.clusterName()).isEqualTo("prod");
    assertThat(c.userName()).isEqualTo("admin");
    assertThat(c.server()).isEqualTo("https://10.0.0.1:6443");
    assertThat(c.certificateAuthority().isEmbedded()).isFalse();
    assertThat(c.certificateAuthority().file()).isEqualTo(tmp.resolve("pki/ca.crt"));
    assertThat(c.clientCertificate().file())
        .isEqualTo(Path.of("/var/lib/kubelet/pki/kubelet-client-current.pem"));
    assertThat(new String(c.clientKey().load(), StandardCharsets.US_ASCII)).isEqualTo("KEY");
    assertThat(c.clientKey().describe()).isEqualTo(file + " (client-key-data)");
  }

  @Test
  void embeddingNewCredentialsKeepsEveryOtherFieldInItsPlace() {
    Kubeconfig k = parse(TWO_CONTEXTS, tmp.resolve("admin.conf"));
    k.embedClientCredentials(bytes("CERT"), bytes("NEWKEY"), bytes("CA"));
    String out = new String(k.render(), StandardCharsets.UTF_8);
    assertThat(out)
        .isEqualTo(
            """
            apiVersion: v1
            clusters:
            - cluster:
                certificate-authority-data: Q0E=
                server: https://10.0.0.1:6443
              name: prod
            - cluster:
                certificate-authority-data: Q0EtQg==
                server: https://10.0.0.2:6443
              name: other
            contexts:
            - context:
                cluster: other
                user: nobody
              name: first
            - context:
                cluster: prod
                user: admin
              name: admin@prod
            current-context: admin@prod
            kind: Config
            preferences: {}
            users:
            - name: admin
              user:
                client-certificate-data: Q0VSVA==
                client-key-data: TkVXS0VZ
                token: keep-me
            """);
  }

  @Test
  void valuesThatLookLikeNumbersOrDatesAreWrittenBackAsTheyWere() {
    String yaml =
        """
        apiVersion: v1
        clusters:
        - cluster:
            certificate-authority-data: Q0E=
            insecure-skip-tls-verify: false
            server: https://10.0.0.1:6443
          name: c
        contexts:
        - context:
            cluster: c
            namespace: '0123'
            user: u
          name: x
        current-context: x
        kind: Config
        preferences: {}
        users:
        - name: u
          user:
            auth-provider:
              config:
                expiry: 2020-01-01T00:00:00Z
                version: 1.10
            client-certificate-data: Q0VSVA==
        """;
    Kubeconfig k = parse(yaml, tmp.resolve("x.conf"));
    assertThat(new String(k.render(), StandardCharsets.UTF_8)).isEqualTo(yaml);
  }

  static java.util.stream.Stream<String> fixtureKubeconfigs() throws Exception {
    java.util.Optional<Path> root = dev.kcert.core.testing.Fixtures.root();
    if (root.isEmpty()) {
      return java.util.stream.Stream.of("(fixtures absent)");
    }
    try (var files = Files.walk(root.get())) {
      return files.filter(f -> f.toString().endsWith(".conf"))
          .map(f -> root.get().relativize(f).toString()).sorted().toList().stream();
    }
  }

  @ParameterizedTest(name = "{0}")
  @org.junit.jupiter.params.provider.MethodSource("fixtureKubeconfigs")
  void kubeadmWrittenKubeconfigsRoundTripByteForByte(String name) throws Exception {
    Path file = dev.kcert.core.testing.Fixtures.require().resolve(name);
    assertThat(new String(Kubeconfig.read(file).render(), StandardCharsets.UTF_8))
        .isEqualTo(Files.readString(file));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "not YAML|'{{{'|not a valid kubeconfig: ",
        "a list|'- a\\n- b'|not a valid kubeconfig: not a YAML mapping",
        "no current context|'kind: Config'|has no current-context",
        "context missing|'current-context: x\\ncontexts: []'|current-context refers to context"
            + " \"x\", which is not in the file",
        "user missing|'current-context: x\\ncontexts:\\n- name: x\\n  context: {cluster: c, user:"
            + " u}\\nclusters:\\n- name: c\\n  cluster: {server: s}'|context \"x\" refers to user"
            + " \"u\", which is not in the file",
        "garbage base64|'current-context: x\\ncontexts:\\n- name: x\\n  context: {cluster: c, user:"
            + " u}\\nclusters:\\n- name: c\\n  cluster: {server: s}\\nusers:\\n- name: u\\n  user:"
            + " {client-certificate-data: \"%%%\"}'|users[u].client-certificate-data is not valid"
            + " base64"
      })
  void brokenKubeconfigsGetOneLineErrorsNamingTheFile(String name, String yaml, String message) {
    Path file = tmp.resolve("broken.conf");
    assertThatThrownBy(() -> parse(yaml.replace("\\n", "\n"), file).credentials().clientCertificate().load())
        .isInstanceOf(KcertException.class)
        .hasMessageStartingWith(file + ": " + message)
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
  }

  @Test
  void readsFromDisk() throws Exception {
    Path file = tmp.resolve("scheduler.conf");
    Files.writeString(file, TWO_CONTEXTS);
    assertThat(Kubeconfig.read(file).credentials().userName()).isEqualTo("admin");
    assertThatThrownBy(() -> Kubeconfig.read(tmp.resolve("nope.conf")))
        .hasMessage(tmp.resolve("nope.conf") + ": no such file");
  }

  private static Kubeconfig parse(String yaml, Path file) {
    return Kubeconfig.parse(bytes(yaml), file);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
