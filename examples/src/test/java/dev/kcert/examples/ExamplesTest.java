package dev.kcert.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kcert.core.pki.NodeParameters;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExamplesTest {
  static final Instant MADE = Instant.parse("2026-11-23T10:00:00Z");

  @TempDir Path tmp;

  @Test
  void makeThenListWhatExpires() {
    assertThat(MakePki.make(tmp, NodeParameters.of("cp-1", "10.0.0.10"), Clock.fixed(MADE, ZoneOffset.UTC))
            .files())
        .hasSize(27);
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8);
    Clock in360days = Clock.fixed(MADE.plus(Duration.ofDays(360)), ZoneOffset.UTC);
    assertThat(ListExpiring.list(tmp, Duration.ofDays(30), in360days, out)).isEqualTo(11);
    assertThat(buf.toString(StandardCharsets.UTF_8))
        .contains("apiserver                  2027-11-23T10:00:00Z (5d left)")
        .doesNotContain("etcd-ca");
    assertThat(ListExpiring.list(tmp, Duration.ofDays(30), Clock.fixed(MADE, ZoneOffset.UTC), out))
        .isZero();
  }
}
