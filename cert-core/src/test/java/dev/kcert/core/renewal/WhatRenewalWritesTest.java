package dev.kcert.core.renewal;

import static dev.kcert.core.renewal.InstallerTest.permissions;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kcert.core.kubeconfig.Kubeconfig;
import dev.kcert.core.pem.Certificates;
import dev.kcert.core.pem.PrivateKeys;
import dev.kcert.core.pki.PkiLayout;
import dev.kcert.core.renewal.RenewalPlanner.Options;
import dev.kcert.core.renewal.RenewalPlanner.Plan;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Renewal writes what it parsed and checked, never bytes it merely found beside them. */
class WhatRenewalWritesTest {
  @TempDir Path root;
  PkiLayout layout;

  @BeforeEach
  void pki() {
    layout = TestPkis.create(root);
  }

  private Plan plan(String name, boolean reuseKey) {
    return RenewalPlanner.plan(
        layout,
        RenewalPlanner.select(name),
        new Options(Duration.ofDays(365), null, reuseKey, null, false, TestPkis.CLOCK));
  }

  @Test
  void kubeconfigsEmbedTheCaCertificateAloneNeverWhatIsAppendedToCaCrt() throws Exception {
    Path caCrt = root.resolve("pki/ca.crt");
    X509Certificate ca = Certificates.readBundle(caCrt).get(0);
    // the CA key and a foreign certificate appended to ca.crt must not reach any kubeconfig
    Files.writeString(
        caCrt,
        Files.readString(root.resolve("pki/front-proxy-ca.crt"))
            + Files.readString(root.resolve("pki/ca.key")),
        StandardOpenOption.APPEND);

    Plan plan = plan("admin.conf", false);
    new Installer(FileOps.system()).install(layout, TestPkis.NOW, plan.changes());

    byte[] embedded =
        Kubeconfig.read(root.resolve("admin.conf")).credentials().certificateAuthority().load();
    assertThat(new String(embedded, StandardCharsets.US_ASCII)).isEqualTo(Certificates.toPem(ca));
    Pairs.assertAllConsistent(layout);
  }

  @Test
  void reusingALooseKeyWarnsAndRewritesIt0600() throws Exception {
    Path key = root.resolve("pki/apiserver.key");
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-rw-rw-"));
    byte[] before = Files.readAllBytes(key);

    Plan plan = plan("apiserver", true);
    assertThat(plan.warnings())
        .containsExactly(
            key
                + ": the private key kept with --reuse-key can be read or written by group or"
                + " others (rw-rw-rw-); it is rewritten 0600");
    new Installer(FileOps.system()).install(layout, TestPkis.NOW, plan.changes());

    assertThat(permissions(key)).isEqualTo("rw-------");
    assertThat(PrivateKeys.read(key).getEncoded())
        .isEqualTo(PrivateKeys.parse(before, key.toString()).getEncoded());
    Pairs.assertAllConsistent(layout);
  }

  @Test
  void reusingAPrivateKeyLeavesItsFileAlone() {
    Plan plan = plan("apiserver", true);
    assertThat(plan.warnings()).isEmpty();
    assertThat(plan.changes().get(0).files()).extracting(FileChange::backupName)
        .containsExactly("pki/apiserver.crt");
  }

  @Test
  void aCaKeyOthersCanReadIsWarnedAbout() throws Exception {
    Path caKey = root.resolve("pki/etcd/ca.key");
    Files.setPosixFilePermissions(caKey, PosixFilePermissions.fromString("rw-r--r--"));
    assertThat(plan("etcd-server", false).warnings())
        .containsExactly(
            caKey + ": the CA key can be read or written by group or others (rw-r--r--); it"
                + " should be 0600");
    assertThat(plan("apiserver", false).warnings()).isEmpty();
  }
}
