package dev.kcert.core.renewal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kcert.core.model.Catalogue;
import dev.kcert.core.model.CatalogueEntry;
import dev.kcert.core.pki.PkiLayout;
import dev.kcert.core.renewal.RenewalPlanner.Options;
import dev.kcert.core.renewal.RenewalPlanner.Status;
import dev.kcert.core.testing.Openssl;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Renewal of copies of real kubeadm trees ({@code ../shared/fixtures/kubeadm} beside the
 * repository). Skipped, with a message, where that folder is absent.
 */
class FixtureRenewalIT {
  /** Every leaf in the fixtures has expired by this day; every CA is still valid. */
  static final Instant NOW = Instant.parse("2026-11-23T12:00:00Z");
  static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

  @TempDir Path root;

  static Path fixtures() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null && !Files.isDirectory(dir.resolve("cert-core"))) {
      dir = dir.getParent();
    }
    Path f = dir == null ? null : dir.resolve("../shared/fixtures/kubeadm").normalize();
    Assumptions.assumeTrue(
        f != null && Files.isDirectory(f),
        "kubeadm fixture trees not found in ../shared/fixtures/kubeadm; skipping");
    return f;
  }

  private PkiLayout copy(String name) {
    Path from = fixtures().resolve(name);
    try (Stream<Path> s = Files.walk(from)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        Path target = root.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
          Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwxr-xr-x"));
        } else {
          Files.copy(p, target);
          Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-r--r--"));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return PkiLayout.under(root);
  }

  @ParameterizedTest(name = "{0}: every leaf and kubeconfig renewed, CAs untouched")
  @ValueSource(
      strings = {
        "MaxxMoney__kubeadm_etc_kubernetes",
        "sijong09__k8s",
        "Harris2711__demokube",
        "zetaoss__zeta-linux"
      })
  void renewsCompleteTrees(String name) throws Exception {
    PkiLayout layout = copy(name);
    Map<String, byte[]> before = TestPkis.snapshot(root);

    RenewalPlanner.Plan plan =
        RenewalPlanner.plan(
            layout, Catalogue.renewable(), new Options(Duration.ofHours(8760), null, false, null, false, CLOCK));
    Installer.Result result =
        new Installer(FileOps.system()).install(PkiLayout.under(root), NOW, plan.changes());

    List<String> present =
        Catalogue.renewable().stream()
            .filter(e -> Files.exists(layout.certFile(e)))
            .map(CatalogueEntry::name)
            .toList();
    assertThat(plan.renewals()).extracting(i -> i.entry().name()).isEqualTo(present);
    assertThat(plan.items())
        .filteredOn(i -> i.status() != Status.RENEW)
        .allMatch(i -> i.status() == Status.MISSING);
    Pairs.assertAllConsistent(layout);
    Map<String, byte[]> after = TestPkis.snapshot(root);
    for (CatalogueEntry ca : Catalogue.CAS) {
      String crt = "pki/" + ca.baseName() + ".crt";
      String key = "pki/" + ca.baseName() + ".key";
      assertThat(after.get(crt)).as(crt).isEqualTo(before.get(crt));
      assertThat(after.get(key)).as(key).isEqualTo(before.get(key));
    }
    for (CatalogueEntry e : Catalogue.LEAVES) {
      Path key = layout.keyFile(e);
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key)))
          .as(e.name())
          .isEqualTo("rw-------");
      Path ca = layout.certFile(Catalogue.ca(e.caName()));
      assertThat(Openssl.ok(root, "verify", "-attime", String.valueOf(NOW.getEpochSecond()),
              "-CAfile", ca.toString(), layout.certFile(e).toString()))
          .endsWith(": OK\n");
      assertThat(Openssl.ok(root, "pkey", "-check", "-noout", "-in", key.toString()))
          .contains("Key is valid");
      assertThat(result.backupDir().resolve("pki/" + e.baseName() + ".crt"))
          .hasBinaryContent(before.get("pki/" + e.baseName() + ".crt"));
    }
    for (CatalogueEntry e : Catalogue.KUBECONFIGS) {
      Path file = layout.kubeconfigFile(e);
      if (!Files.exists(file)) {
        continue;
      }
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
          .as(e.name())
          .isEqualTo("rw-------");
      Path crt = root.resolve(e.name() + ".crt");
      Files.write(
          crt,
          dev.kcert.core.kubeconfig.Kubeconfig.read(file).credentials().clientCertificate().load());
      assertThat(Openssl.ok(root, "verify", "-attime", String.valueOf(NOW.getEpochSecond()),
              "-CAfile", layout.certDir().resolve("ca.crt").toString(), crt.toString()))
          .endsWith(": OK\n");
      assertThat(result.backupDir().resolve(e.baseName()))
          .hasBinaryContent(before.get(e.baseName()));
    }
    assertThat(after.get("kubelet.conf")).isEqualTo(before.get("kubelet.conf"));
    assertThat(after.get("pki/sa.key")).isEqualTo(before.get("pki/sa.key"));
  }

  @Test
  void treeWithoutKeysChangesNothing() {
    PkiLayout layout = copy("Thiago-Sorrilha__k8s_hello_world_cka");
    Map<String, byte[]> before = TestPkis.snapshot(root);

    RenewalPlanner.Plan plan =
        RenewalPlanner.plan(
            layout, Catalogue.renewable(), new Options(Duration.ofHours(8760), null, false, null, false, CLOCK));

    assertThat(plan.renewals()).isEmpty();
    assertThat(plan.items())
        .filteredOn(i -> Files.exists(i.file()))
        .hasSize(7)
        .allMatch(i -> i.status() == Status.EXTERNAL_CA);
    assertThat(plan.items())
        .filteredOn(i -> i.entry().isKubeconfig())
        .allMatch(i -> i.status() == Status.MISSING);
    InstallerTest.assertSameFiles(before, TestPkis.snapshot(root));
    assertThat(root.resolve("tmp")).doesNotExist();
  }
}
