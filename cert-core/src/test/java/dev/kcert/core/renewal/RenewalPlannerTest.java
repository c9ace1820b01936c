package dev.kcert.core.renewal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kcert.core.keys.KeyAlgorithm;
import dev.kcert.core.model.Catalogue;
import dev.kcert.core.model.CatalogueEntry;
import dev.kcert.core.model.KcertException;
import dev.kcert.core.pem.PrivateKeys;
import dev.kcert.core.pki.PkiLayout;
import dev.kcert.core.renewal.RenewalPlanner.Item;
import dev.kcert.core.renewal.RenewalPlanner.Options;
import dev.kcert.core.renewal.RenewalPlanner.Plan;
import dev.kcert.core.renewal.RenewalPlanner.Status;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class RenewalPlannerTest {
  @TempDir Path root;

  private static Options options() {
    return new Options(Duration.ofHours(8760), null, false, null, false, TestPkis.CLOCK);
  }

  private static Map<String, Item> byName(Plan plan) {
    return plan.items().stream()
        .collect(Collectors.toMap(i -> i.entry().name(), Function.identity()));
  }

  @ParameterizedTest(name = "{0} is refused")
  @ValueSource(strings = {"ca", "front-proxy-ca", "etcd-ca"})
  void casAreNotRenewed(String name) {
    assertThatThrownBy(() -> RenewalPlanner.select(name))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            name + " is a certificate authority; CAs are not renewed (only the certificates they"
                + " sign)");
  }

  @Test
  void unknownNameListsTheChoices() {
    assertThatThrownBy(() -> RenewalPlanner.select("apiserver-foo"))
        .hasMessage(
            "unknown certificate 'apiserver-foo' (expected all or one of apiserver,"
                + " apiserver-kubelet-client, front-proxy-client, etcd-server, etcd-peer,"
                + " etcd-healthcheck-client, apiserver-etcd-client, admin.conf, super-admin.conf,"
                + " controller-manager.conf, scheduler.conf)");
  }

  @Test
  void allSelectsLeavesAndKubeconfigs() {
    assertThat(RenewalPlanner.select("all")).isEqualTo(Catalogue.renewable());
    assertThat(RenewalPlanner.select("admin.conf")).extracting(CatalogueEntry::name)
        .containsExactly("admin.conf");
  }

  @Test
  void renewsEverythingWithTheOldKeyType() {
    PkiLayout layout = TestPkis.create(root);
    Plan plan = RenewalPlanner.plan(layout, Catalogue.renewable(), options());
    assertThat(plan.items()).hasSize(11).allMatch(i -> i.status() == Status.RENEW);
    assertThat(plan.items()).allMatch(i -> i.keyDescription().equals("ECDSA-P256"));
    assertThat(plan.items())
        .allMatch(i -> i.newNotAfter().equals(TestPkis.NOW.plus(Duration.ofDays(365))));
    assertThat(plan.warnings()).isEmpty();
    // leaves change key and certificate, kubeconfigs one file
    Item apiserver = byName(plan).get("apiserver");
    assertThat(apiserver.change().files())
        .extracting(FileChange::backupName)
        .containsExactly("pki/apiserver.key", "pki/apiserver.crt");
    assertThat(byName(plan).get("etcd-server").change().files())
        .extracting(FileChange::backupName)
        .containsExactly("pki/etcd/server.key", "pki/etcd/server.crt");
    assertThat(byName(plan).get("admin.conf").change().files())
        .extracting(FileChange::backupName)
        .containsExactly("admin.conf");
  }

  @Test
  void keyAlgorithmCanBeChosen() {
    PkiLayout layout = TestPkis.create(root);
    Plan plan =
        RenewalPlanner.plan(
            layout,
            RenewalPlanner.select("apiserver"),
            new Options(Duration.ofDays(30), KeyAlgorithm.ECDSA_P384, false, null, false, TestPkis.CLOCK));
    Item item = plan.items().get(0);
    assertThat(item.keyDescription()).isEqualTo("ECDSA-P384");
    String keyPem = new String(item.change().files().get(0).content(), StandardCharsets.US_ASCII);
    assertThat(keyPem).startsWith("-----BEGIN EC PRIVATE KEY-----");
  }

  @Test
  void reuseKeyWritesNoKeyFile() {
    PkiLayout layout = TestPkis.create(root);
    Plan plan =
        RenewalPlanner.plan(
            layout,
            RenewalPlanner.select("apiserver"),
            new Options(Duration.ofDays(30), null, true, null, false, TestPkis.CLOCK));
    assertThat(plan.items().get(0).change().files())
        .extracting(FileChange::backupName)
        .containsExactly("pki/apiserver.crt");
  }

  @Test
  void missingFilesAreSkipped() throws Exception {
    PkiLayout layout = TestPkis.create(root);
    Files.delete(root.resolve("super-admin.conf"));
    Files.delete(root.resolve("pki/front-proxy-client.crt"));
    Map<String, Item> items = byName(RenewalPlanner.plan(layout, Catalogue.renewable(), options()));
    assertThat(items.get("super-admin.conf").status()).isEqualTo(Status.MISSING);
    assertThat(items.get("front-proxy-client").status())
        .isEqualTo(Status.MISSING);
    assertThat(items.get("admin.conf").status()).isEqualTo(Status.RENEW);
  }

  @Test
  void externalCaIsSkipped() throws Exception {
    PkiLayout layout = TestPkis.create(root);
    Files.delete(root.resolve("pki/etcd/ca.key"));
    Map<String, Item> items = byName(RenewalPlanner.plan(layout, Catalogue.renewable(), options()));
    assertThat(items.values())
        .filteredOn(i -> i.entry().caName().equals("etcd-ca"))
        .hasSize(4)
        .allMatch(i -> i.status() == Status.EXTERNAL_CA && i.change() == null);
    assertThat(items.get("apiserver").status()).isEqualTo(Status.RENEW);
  }

  @ParameterizedTest(name = "--renew-within {0}: {1} renewed")
  @CsvSource({"30d, 0", "47d, 0", "49d, 11", "400d, 11"})
  void renewWithinSelectsWhatIsDue(String within, int renewed) {
    PkiLayout layout = TestPkis.create(root);
    Plan plan =
        RenewalPlanner.plan(
            layout,
            Catalogue.renewable(),
            new Options(
                Duration.ofDays(365),
                null,
                false,
                dev.kcert.core.expiry.Durations.parse(within),
                false,
                TestPkis.CLOCK));
    assertThat(plan.renewals()).hasSize(renewed);
    assertThat(plan.items())
        .filteredOn(i -> i.status() != Status.RENEW)
        .allMatch(i -> i.status() == Status.NOT_DUE);
  }

  @Test
  void dryRunComputesNoFiles() {
    PkiLayout layout = TestPkis.create(root);
    Plan plan =
        RenewalPlanner.plan(
            layout,
            Catalogue.renewable(),
            new Options(Duration.ofDays(10), null, false, null, true, TestPkis.CLOCK));
    assertThat(plan.renewals()).hasSize(11).allMatch(i -> i.change() == null);
    assertThat(plan.changes()).isEmpty();
    assertThat(plan.items().get(0).newNotAfter()).isEqualTo(TestPkis.NOW.plus(Duration.ofDays(10)));
  }

  @Test
  void warnsWhenValidityOutlivesTheCaAndEndsWithIt() {
    PkiLayout layout = TestPkis.create(root);
    Plan plan =
        RenewalPlanner.plan(
            layout,
            RenewalPlanner.select("apiserver"),
            new Options(Duration.ofDays(5000), null, false, null, true, TestPkis.CLOCK));
    assertThat(plan.warnings())
        .containsExactly(
            "apiserver: --validity would make it valid until 2040-08-01T12:00:00Z, after ca"
                + " expires; the renewed certificate ends with its CA (2036-01-08T08:00:00Z)");
    assertThat(plan.items().get(0).newNotAfter()).isEqualTo(java.time.Instant.parse("2036-01-08T08:00:00Z"));
  }

  @Test
  void caKeyThatDoesNotMatchIsAnError() throws Exception {
    PkiLayout layout = TestPkis.create(root);
    Path caKey = root.resolve("pki/front-proxy-ca.key");
    Files.writeString(caKey, PrivateKeys.toPem(KeyAlgorithm.ECDSA_P256.generate()));
    assertThatThrownBy(() -> RenewalPlanner.plan(layout, Catalogue.renewable(), options()))
        .isInstanceOf(KcertException.class)
        .hasMessage(caKey + ": does not match front-proxy-ca.crt");
  }

  @Test
  void corruptCertificateIsAnError() throws Exception {
    PkiLayout layout = TestPkis.create(root);
    Path crt = root.resolve("pki/apiserver.crt");
    Files.writeString(crt, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
    assertThatThrownBy(() -> RenewalPlanner.plan(layout, Catalogue.renewable(), options()))
        .isInstanceOf(KcertException.class)
        .hasMessageStartingWith(crt + ": malformed certificate: ");
  }

  @Test
  void reuseOfAKeyThatDoesNotMatchIsAnError() throws Exception {
    PkiLayout layout = TestPkis.create(root);
    Path key = root.resolve("pki/apiserver.key");
    Files.writeString(key, PrivateKeys.toPem(KeyAlgorithm.ECDSA_P256.generate()));
    assertThatThrownBy(
            () ->
                RenewalPlanner.plan(
                    layout,
                    RenewalPlanner.select("apiserver"),
                    new Options(Duration.ofDays(30), null, true, null, false, TestPkis.CLOCK)))
        .hasMessage(key + ": private key does not match the certificate; cannot reuse it");
  }

  @Test
  void optionsRefuseReuseKeyWithKeyAlgorithm() {
    assertThatThrownBy(
            () ->
                new Options(
                    Duration.ofDays(1), KeyAlgorithm.RSA_2048, true, null, false, TestPkis.CLOCK))
        .hasMessage("--reuse-key and --key-algorithm exclude each other");
  }
}
