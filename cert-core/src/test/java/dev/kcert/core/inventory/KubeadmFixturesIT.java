package dev.kcert.core.inventory;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kcert.core.expiry.ExpiryEntry;
import dev.kcert.core.expiry.ExpiryReport;
import dev.kcert.core.kubeconfig.Kubeconfig;
import dev.kcert.core.pki.PkiLayout;
import dev.kcert.core.testing.Fixtures;
import dev.kcert.core.testing.Openssl;
import dev.kcert.core.testing.TestPki;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Real kubeadm trees (v1.14 to v1.29): every row's expiry agrees with what openssl reads from the
 * same certificate, CAs and leaves are told apart, and the keyless set is externally managed.
 */
class KubeadmFixturesIT {
  @TempDir Path tmp;

  static java.util.List<String> fixtures() {
    return Fixtures.names();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("fixtures")
  void everyRowMatchesOpenssl(String name) throws Exception {
    Path etc = Fixtures.copy(name, tmp.resolve("etc"));
    PkiLayout layout = PkiLayout.under(etc);
    Inventory inv = PkiInventory.scan(layout, new InventoryOptions(false, true));
    ExpiryReport report = ExpiryReport.of(inv, TestPki.CLOCK);

    assertThat(inv.problems()).filteredOn(Problem::isError).isEmpty();
    int checked = 0;
    for (InventoryRow row : inv.authorities()) {
      assertThat(row.isPresent()).as(row.name()).isTrue();
      assertThat(row.info().ca()).isTrue();
      assertThat(row.info().notAfter()).isAfter(TestPki.NOW);
      assertThat(row.info().notAfter()).isEqualTo(opensslEndDate(row.file(), tmp));
      checked++;
    }
    for (InventoryRow row : inv.certificates()) {
      if (row.isMissing()) {
        continue;
      }
      assertThat(row.isPresent()).as(row.name()).isTrue();
      Path pem = row.file();
      if (row.entry().isKubeconfig()) {
        pem = tmp.resolve(row.name() + ".crt");
        Files.write(pem, Kubeconfig.read(row.file()).credentials().clientCertificate().load());
      }
      assertThat(row.info().notAfter()).as(row.name()).isEqualTo(opensslEndDate(pem, tmp));
      ExpiryEntry e = report.entry(row.name());
      assertThat(e.residualSeconds()).as("%s has expired by 2026-11-23", row.name()).isNegative();
      checked++;
    }
    assertThat(checked).isGreaterThanOrEqualTo(10);

    boolean keyless = name.equals(Fixtures.KEYLESS);
    assertThat(report.all().filter(x -> !x.missing()))
        .allMatch(x -> x.externallyManaged() == keyless);
  }

  private static Instant opensslEndDate(Path pem, Path dir) {
    String out = Openssl.ok(dir, "x509", "-noout", "-enddate", "-in", pem.toString()).strip();
    String date = out.substring("notAfter=".length()).replaceAll("\\s+", " ");
    return ZonedDateTime.parse(
            date, DateTimeFormatter.ofPattern("MMM d HH:mm:ss yyyy z", Locale.ENGLISH))
        .withZoneSameInstant(ZoneOffset.UTC)
        .toInstant();
  }
}
