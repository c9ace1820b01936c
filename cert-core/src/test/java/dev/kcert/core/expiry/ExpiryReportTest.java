package dev.kcert.core.expiry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kcert.core.inventory.InventoryOptions;
import dev.kcert.core.inventory.PkiInventory;
import dev.kcert.core.pki.PkiLayout;
import dev.kcert.core.testing.TestPki;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExpiryReportTest {
  @TempDir Path tmp;

  static final Instant NOW = TestPki.NOW;

  private ExpiryReport report(PkiLayout layout, Instant at) {
    return ExpiryReport.of(
        PkiInventory.scan(layout, InventoryOptions.DEFAULT), Clock.fixed(at, ZoneOffset.UTC));
  }

  @Test
  void residualTimeIsWholeSecondsTruncatedTowardZero() {
    Instant t = Instant.parse("2027-01-01T00:00:00Z");
    assertThat(ExpiryReport.residualSeconds(t.minusMillis(1500), t)).isEqualTo(1);
    assertThat(ExpiryReport.residualSeconds(t.plusMillis(1500), t)).isEqualTo(-1);
    assertThat(ExpiryReport.residualSeconds(t, t)).isZero();
  }

  @Test
  void thresholdsCountExpiredAndExpiringButNeverMissing() throws Exception {
    PkiLayout layout =
        TestPki.in(tmp)
            .window("apiserver", NOW.minus(Duration.ofDays(300)), NOW.plus(Duration.ofDays(20)))
            .window("admin.conf", NOW.minus(Duration.ofDays(400)), NOW.minus(Duration.ofDays(2)))
            .create();
    Files.delete(layout.kubeconfigDir().resolve("super-admin.conf"));
    ExpiryReport r = report(layout, NOW);
    assertThat(r.entry("apiserver").residualSeconds()).isEqualTo(Duration.ofDays(20).toSeconds());
    assertThat(r.entry("admin.conf").residualSeconds()).isEqualTo(-Duration.ofDays(2).toSeconds());
    assertThat(r.entry("super-admin.conf").missing()).isTrue();
    assertThat(r.entry("super-admin.conf").expirationDate()).isNull();
    assertThat(r.entry("super-admin.conf").residualSeconds()).isZero();

    assertThat(r.expiringWithin(Duration.ofDays(30))).extracting(ExpiryEntry::name)
        .containsExactly("admin.conf", "apiserver");
    assertThat(r.expiringWithin(Duration.ofDays(20))).extracting(ExpiryEntry::name)
        .as("the threshold is inclusive").containsExactly("admin.conf", "apiserver");
    assertThat(r.expiringWithin(Duration.ofDays(19))).extracting(ExpiryEntry::name)
        .containsExactly("admin.conf");
    assertThat(r.expiringWithin(Duration.ZERO)).extracting(ExpiryEntry::name)
        .containsExactly("admin.conf");
  }

  @Test
  void aYearLaterEverythingButTheCasHasExpired() {
    PkiLayout layout = TestPki.in(tmp).create();
    ExpiryReport r = report(layout, NOW.plus(Duration.ofDays(366)));
    assertThat(r.expiringWithin(Duration.ZERO)).hasSize(11);
    assertThat(r.authorities()).allMatch(e -> e.residualSeconds() > 0);
  }
}
