package dev.kcert.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.kcert.core.pki.PkiLayout;
import dev.kcert.core.testing.TestPki;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CheckExpirationCommandTest {
  static final Instant NOW = TestPki.NOW;
  static final Clock AN_HOUR_LATER = Clock.fixed(NOW.plus(Duration.ofHours(1)), ZoneOffset.UTC);

  @TempDir Path tmp;
  PkiLayout layout;

  /** A PKI with trouble: apiserver in 20 days, front-proxy-client in 5, admin.conf expired. */
  @BeforeEach
  void pki() throws Exception {
    Instant start = NOW.minus(Duration.ofDays(300));
    layout =
        TestPki.in(tmp.resolve("etc"))
            .window("apiserver", start, NOW.plus(Duration.ofDays(20)))
            .window("front-proxy-client", start, NOW.plus(Duration.ofDays(5)))
            .window("admin.conf", start, NOW.minus(Duration.ofDays(2)))
            .create();
    Files.delete(layout.kubeconfigDir().resolve("super-admin.conf"));
  }

  private Cli.Run check(String... extra) {
    List<String> args = new ArrayList<>(List.of("certs", "check-expiration",
        "--cert-dir", layout.certDir().toString(),
        "--kubeconfig-dir", layout.kubeconfigDir().toString(),
        "--kubelet-dir", layout.kubeletDir().toString()));
    args.addAll(List.of(extra));
    return Cli.run(AN_HOUR_LATER, args.toArray(String[]::new));
  }

  @ParameterizedTest(name = "-o {0}")
  @CsvSource({"text, txt", "json, json", "yaml, yaml"})
  void outputMatchesGoldenFile(String format, String ext) {
    Cli.Run r = check("-o", format);
    assertThat(r.err()).isEmpty();
    assertThat(r.code()).isZero();
    Golden.assertMatches("check-expiration." + ext, r.out());
  }

  @Test
  void jsonHasKubeadmSchema() throws Exception {
    JsonNode doc = new ObjectMapper().readTree(check("-o", "json").out());
    assertThat(doc.get("kind").asText()).isEqualTo("CertificateExpirationInfo");
    assertThat(doc.get("apiVersion").asText()).isEqualTo("output.kubeadm.k8s.io/v1alpha3");
    JsonNode admin = doc.get("certificates").get(0);
    assertThat(admin.fieldNames()).toIterable()
        .containsExactly("name", "expirationDate", "residualTime", "externallyManaged", "caName", "missing");
    assertThat(admin.get("residualTime").asLong()).isEqualTo(-Duration.ofDays(2).plusHours(1).toSeconds());
    JsonNode missing = doc.get("certificates").get(10);
    assertThat(missing.get("name").asText()).isEqualTo("super-admin.conf");
    assertThat(missing.get("missing").asBoolean()).isTrue();
    assertThat(missing.get("expirationDate").isNull()).isTrue();
    assertThat(missing.get("residualTime").asLong()).isZero();
    JsonNode ca = doc.get("certificateAuthorities").get(0);
    assertThat(ca.has("caName")).as("omitted for CAs, as kubeadm does").isFalse();
    assertThat(new YAMLMapper().readTree(check("-o", "yaml").out())).isEqualTo(doc);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "nothing crosses 1h|--fail-within 1h --include-kubelet|3|error: 1 certificate expired or"
            + " expiring within 1h (1 already expired): admin.conf",
        "warn at 30d|--warn-within 30d|4|warning: 3 certificates expired or expiring within 30d"
            + " (1 already expired): admin.conf, apiserver, front-proxy-client",
        "fail beats warn|--warn-within 30d --fail-within 7d|3|error: 2 certificates expired or"
            + " expiring within 7d (1 already expired): admin.conf, front-proxy-client",
        "two weeks|--warn-within 2w|4|warning: 2 certificates expired or expiring within 14d (1"
            + " already expired): admin.conf, front-proxy-client"
      })
  void thresholdsSetTheExitCode(String name, String flags, int code, String lastErrLine) {
    Cli.Run r = check(flags.split(" "));
    assertThat(r.code()).isEqualTo(code);
    assertThat(r.err().lines().reduce((a, b) -> b).orElse("")).isEqualTo(lastErrLine);
  }

  @Test
  void noThresholdCrossedIsExitZero() throws Exception {
    Path fresh = tmp.resolve("fresh");
    PkiLayout ok = TestPki.in(fresh).create();
    Cli.Run r = Cli.run(AN_HOUR_LATER, "certs", "check-expiration",
        "--cert-dir", ok.certDir().toString(), "--kubeconfig-dir", fresh.toString(),
        "--warn-within", "30d", "--fail-within", "7d");
    assertThat(r.code()).isZero();
    assertThat(r.err()).isEmpty();
  }

  @Test
  void aCorruptFileIsShownNamedAndFailsTheRunButTheRestIsReported() throws Exception {
    Path crt = layout.certDir().resolve("etcd/peer.crt");
    Files.writeString(crt, "-----BEGIN CERTIFICATE-----\nMIIB\n");
    Cli.Run r = check();
    assertThat(r.code()).isEqualTo(ExitCodes.ERROR);
    assertThat(r.out()).contains("\n!INVALID! etcd-peer     ").contains("\netcd-server ");
    assertThat(r.err())
        .isEqualTo("error: " + crt + ": truncated PEM block (BEGIN CERTIFICATE without END CERTIFICATE)\n");
    assertThat(check("-o", "json").out())
        .contains("\"name\": \"etcd-peer\",\n            \"expirationDate\": null,");
  }

  @Test
  void aMissingPkiFolderIsAnErrorNamingItAndTheTableIsStillPrinted() {
    Path certDir = tmp.resolve("nope/pki");
    Cli.Run r = Cli.run(AN_HOUR_LATER, "certs", "check-expiration",
        "--cert-dir", certDir.toString(), "--kubeconfig-dir", tmp.resolve("nope").toString(),
        "--fail-within", "7d");
    assertThat(r.code()).isEqualTo(ExitCodes.ERROR);
    assertThat(r.out().lines().filter(l -> l.startsWith("!MISSING! "))).hasSize(14);
    assertThat(r.err()).isEqualTo("error: " + certDir + ": no such folder (the certificate folder)\n");
  }

  @Test
  void foldersWithoutAnyKubeadmFileAreAnError() throws Exception {
    Path empty = Files.createDirectories(tmp.resolve("empty/pki"));
    Cli.Run r = Cli.run(AN_HOUR_LATER, "certs", "check-expiration",
        "--cert-dir", empty.toString(), "--kubeconfig-dir", empty.getParent().toString(), "-o", "json");
    assertThat(r.code()).isEqualTo(ExitCodes.ERROR);
    assertThat(r.out()).contains("\"missing\": true");
    assertThat(r.err())
        .isEqualTo("error: " + empty + ": no kubeadm certificate here, nor a kubeconfig file in "
            + empty.getParent() + "\n");
  }

  @Test
  void aCaThatIsNotACaIsAnInvalidRowInEveryFormat() throws Exception {
    // front-proxy-client.crt put in place of front-proxy-ca.crt: a leaf where the CA should be
    Files.copy(layout.certDir().resolve("front-proxy-client.crt"),
        layout.certDir().resolve("front-proxy-ca.crt"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    String why = layout.certDir().resolve("front-proxy-ca.crt")
        + ": is not a CA certificate (basicConstraints CA:FALSE or absent)";
    Cli.Run text = check();
    assertThat(text.code()).isEqualTo(ExitCodes.ERROR);
    assertThat(text.out()).contains("\n!INVALID! front-proxy-ca ");
    assertThat(text.err()).contains("error: " + why + "\n");
    JsonNode json = new ObjectMapper().readTree(check("-o", "json").out());
    JsonNode ca = json.get("certificateAuthorities").get(2);
    assertThat(ca.get("name").asText()).isEqualTo("front-proxy-ca");
    assertThat(ca.get("error").asText()).isEqualTo(why);
    assertThat(ca.get("expirationDate").isNull()).isTrue();
    JsonNode yaml = new YAMLMapper().readTree(check("-o", "yaml").out());
    assertThat(yaml.get("certificateAuthorities").get(2).get("error").asText()).isEqualTo(why);
  }

  @Test
  void aLeafNotSignedByItsCaIsAnInvalidRow() throws Exception {
    Path other = tmp.resolve("other");
    TestPki.in(other).create();
    Files.copy(other.resolve("pki/apiserver.crt"), layout.certDir().resolve("apiserver.crt"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    JsonNode json = new ObjectMapper().readTree(check("-o", "json").out());
    JsonNode row = json.get("certificates").get(1);
    assertThat(row.get("name").asText()).isEqualTo("apiserver");
    assertThat(row.get("error").asText())
        .isEqualTo(layout.certDir().resolve("apiserver.crt") + ": certificate is not signed by ca (ca.crt)");
    assertThat(check().out()).contains("\n!INVALID! apiserver ");
  }

  @Test
  void missingRowsCarryOnlyTheirNameAndMissing() throws Exception {
    JsonNode json = new ObjectMapper().readTree(check("-o", "json").out());
    JsonNode missing = json.get("certificates").get(json.get("certificates").size() - 1);
    assertThat(missing.get("name").asText()).isEqualTo("super-admin.conf");
    assertThat(missing.has("caName")).isFalse();
    assertThat(missing.get("missing").asBoolean()).isTrue();
    assertThat(missing.get("externallyManaged").asBoolean()).isFalse();
  }

  @Test
  void kubeletRowsOnRequest() {
    Cli.Run r = check("--include-kubelet");
    assertThat(r.out())
        .contains("\nkubelet.conf ")
        .contains("\n!MISSING! kubelet-client-current.pem ")
        .contains("\n!MISSING! kubelet.crt ");
    assertThat(check().out()).doesNotContain("kubelet.conf").doesNotContain("kubelet.crt");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "bad duration|--warn-within|30x|Invalid value for option '--warn-within': invalid duration"
            + " '30x' (expected e.g. 30d, 720h, 2w, 1d12h, 90m)",
        "bad format|-o|xml|Invalid value for option '--output': expected one of [text, json, yaml]"
            + " (case-sensitive) but was 'xml'"
      })
  void badUsageIsExitTwo(String name, String option, String value, String message) {
    Cli.Run r = check(option, value);
    assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(r.err().lines().findFirst().orElseThrow()).isEqualTo(message);
  }

  @Test
  void manyRootsAreReportedOneAfterAnother() throws Exception {
    Path other = tmp.resolve("other");
    TestPki.in(other).create();
    Path etc = layout.kubeconfigDir();
    Cli.Run text = Cli.run(AN_HOUR_LATER, "certs", "check-expiration", etc.toString(), other.toString(),
        "--warn-within", "7d");
    assertThat(text.out()).startsWith("# " + etc + "\nCERTIFICATE ");
    assertThat(text.out()).contains("\n\n# " + other + "\nCERTIFICATE ");
    assertThat(text.out().lines().filter(l -> l.startsWith("CERTIFICATE AUTHORITY"))).hasSize(2);
    assertThat(text.code()).isEqualTo(ExitCodes.WARNING);
    assertThat(text.err()).isEqualTo("warning: 2 certificates expired or expiring within 7d (1 already"
        + " expired): " + etc + ": admin.conf, " + etc + ": front-proxy-client\n");

    Cli.Run json = Cli.run(AN_HOUR_LATER, "certs", "check-expiration", etc.toString(), other.toString(),
        "-o", "json");
    List<JsonNode> docs =
        new ObjectMapper().readerFor(JsonNode.class).<JsonNode>readValues(json.out()).readAll();
    assertThat(docs).hasSize(2);
    assertThat(docs.get(1).get("source").asText()).isEqualTo(other.toString());
    assertThat(docs.get(1).get("certificates")).hasSize(11);
  }

  @Test
  void rootsAndFolderOptionsExcludeEachOther() {
    Cli.Run r = Cli.run(AN_HOUR_LATER, "certs", "check-expiration", tmp.toString(),
        "--cert-dir", tmp.toString());
    assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(r.err()).startsWith("ROOT folders and --cert-dir/--kubeconfig-dir exclude each other");
  }

  @Test
  void helpDocumentsExamplesAndExitCodes() {
    Cli.Run r = Cli.run(AN_HOUR_LATER, "certs", "check-expiration", "--help");
    assertThat(r.code()).isZero();
    assertThat(r.out())
        .contains("Examples:")
        .contains("kcert certs check-expiration --warn-within 30d --fail-within 7d")
        .contains("Exit codes:")
        .contains("3  a certificate has expired or expires within --fail-within");
  }
}
