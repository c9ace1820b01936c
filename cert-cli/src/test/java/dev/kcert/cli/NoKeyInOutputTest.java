package dev.kcert.cli;

import static dev.kcert.cli.Cli.args;
import static dev.kcert.cli.Cli.dirs;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kcert.core.testing.TestPki;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * No message ever quotes a private key. Each case breaks a file so that an error path runs right
 * where key material sits (in a YAML tag, a name, a truncated or mislabelled PEM block...), then
 * runs every command that reads it, with --stacktrace, and looks for a marker (a piece of the key's
 * base64) in standard output, standard error and in the names and contents of the files kcert
 * wrote (backup copies of keys excepted: copying a key is their job).
 */
class NoKeyInOutputTest {
  @TempDir static Path tmp;
  static Path template;

  @BeforeAll
  static void pki() {
    template = tmp.resolve("template");
    Cli.pki(template);
  }

  /** A breakage: what it does to a copy of the PKI, given the key's base64 (one line). */
  record Breakage(String name, BiConsumer<Path, String> apply) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Arguments> breakages() {
    List<Breakage> all = new ArrayList<>();
    all.add(new Breakage("YAML tag before client-key-data", (root, key) ->
        replaceValue(root.resolve("scheduler.conf"), "client-key-data", "!!!" + key)));
    all.add(new Breakage("verbatim tag holding the key", (root, key) ->
        replaceValue(root.resolve("scheduler.conf"), "client-key-data", "!<" + key + "> x")));
    all.add(new Breakage("key as the user's name", (root, key) ->
        replaceValue(root.resolve("scheduler.conf"), "user", key)));
    all.add(new Breakage("key as the current context", (root, key) ->
        replaceValue(root.resolve("admin.conf"), "current-context", key)));
    all.add(new Breakage("key after a mapping indicator", (root, key) ->
        replaceValue(root.resolve("admin.conf"), "client-key-data", key + ": " + key)));
    all.add(new Breakage("key in a flow sequence left open", (root, key) ->
        replaceValue(root.resolve("admin.conf"), "client-key-data", "[" + key)));
    all.add(new Breakage("key as an alias", (root, key) ->
        replaceValue(root.resolve("admin.conf"), "client-key-data", "*" + key)));
    all.add(new Breakage("key with a tab inside", (root, key) ->
        replaceValue(root.resolve("admin.conf"), "client-key-data", key.substring(0, 40) + "\t" + key.substring(40))));
    all.add(new Breakage("key data in the certificate field", (root, key) ->
        replaceValue(root.resolve("controller-manager.conf"), "client-certificate-data",
            Base64.getEncoder().encodeToString(pem(key).getBytes(StandardCharsets.US_ASCII)))));
    all.add(new Breakage("truncated key file", (root, key) ->
        write(root.resolve("pki/apiserver.key"), pem(key).substring(0, pem(key).length() - 30))));
    all.add(new Breakage("key file with a bad character", (root, key) ->
        write(root.resolve("pki/apiserver.key"), pem(key).replace(key.substring(10, 11), "%"))));
    all.add(new Breakage("key under a label made of key", (root, key) ->
        write(root.resolve("pki/apiserver.key"), "-----BEGIN " + key + "-----\n" + key + "\n-----END " + key + "-----\n")));
    all.add(new Breakage("key where the CA certificate belongs", (root, key) ->
        write(root.resolve("pki/ca.crt"), pem(key))));
    all.add(new Breakage("key where a certificate belongs", (root, key) ->
        write(root.resolve("pki/etcd/server.crt"), pem(key).replace("EC PRIVATE KEY", "CERTIFICATE"))));
    all.add(new Breakage("key that is not a key", (root, key) ->
        write(root.resolve("pki/front-proxy-client.key"),
            pem(key).replace("EC PRIVATE KEY", "PRIVATE KEY"))));
    return all.stream().map(Arguments::of);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("breakages")
  void noOutputAndNoWrittenFileQuotesTheKey(Breakage breakage) throws IOException {
    Path root = Files.createTempDirectory(tmp, "case");
    TestPki.copyTree(template, root);
    String key = keyBase64(root.resolve("pki/apiserver.key"));
    String marker = key.substring(key.length() / 2, key.length() / 2 + 20);
    breakage.apply().accept(root, key);
    Map<String, String> before = Cli.snapshot(root);

    List<String[]> commands = List.of(
        new String[] {"certs", "check-expiration", "--check-keys", "--include-kubelet"},
        new String[] {"certs", "check-expiration", "--check-keys", "-o", "json"},
        new String[] {"certs", "check-expiration", "--check-keys", "-o", "yaml"},
        new String[] {"certs", "renew", "all", "--dry-run"},
        new String[] {"certs", "renew", "all", "--reuse-key"},
        new String[] {"certs", "renew", "all", "--csr-only", "--csr-dir", root.resolve("csr").toString()},
        new String[] {"certs", "import", "--csr-dir", root.resolve("csr").toString()});
    for (String[] command : commands) {
      Cli.Run r = Cli.run(args(args(command, dirs(root)), "--stacktrace"));
      String what = String.join(" ", command);
      assertThat(r.out()).as("stdout of %s", what).doesNotContain(marker);
      assertThat(r.err()).as("stderr of %s", what).doesNotContain(marker);
    }
    try (Stream<Path> files = Files.walk(root)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        String rel = root.relativize(f).toString();
        assertThat(rel).as("a written file's name").doesNotContain(marker);
        boolean keyCopy = rel.startsWith("tmp/kcert-backup-") && !rel.endsWith("kcert-journal");
        String content = Files.readString(f, StandardCharsets.ISO_8859_1);
        boolean changed = !content.equals(before.get(rel));
        if (changed && !keyCopy && !rel.endsWith(".key")) {
          assertThat(content).as("written file %s", rel).doesNotContain(marker);
        }
      }
    }
  }

  private static String keyBase64(Path keyFile) throws IOException {
    return Files.readString(keyFile).lines().filter(l -> !l.startsWith("-----")).reduce("", String::concat);
  }

  private static String pem(String base64) {
    StringBuilder sb = new StringBuilder("-----BEGIN EC PRIVATE KEY-----\n");
    for (int i = 0; i < base64.length(); i += 64) {
      sb.append(base64, i, Math.min(base64.length(), i + 64)).append('\n');
    }
    return sb.append("-----END EC PRIVATE KEY-----\n").toString();
  }

  /** Replaces the value of every {@code field:} line in a kubeconfig. */
  private static void replaceValue(Path file, String field, String value) {
    try {
      String text = Files.readString(file);
      StringBuilder out = new StringBuilder();
      for (String line : text.split("\n", -1)) {
        String trimmed = line.stripLeading();
        String bare = trimmed.startsWith("- ") ? trimmed.substring(2) : trimmed;
        if (bare.startsWith(field + ": ")) {
          out.append(line, 0, line.indexOf(field + ": ") + field.length() + 2).append(value);
        } else {
          out.append(line);
        }
        out.append('\n');
      }
      Files.writeString(file, out.substring(0, out.length() - 1));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static void write(Path file, String text) {
    try {
      Files.writeString(file, text);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
