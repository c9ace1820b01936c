package dev.kcert.core.approval;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FloodGuardTest {
  static final Instant NOW = Instant.parse("2026-05-01T12:00:00Z");

  @ParameterizedTest(name = "{0} recent + {1} old pending, {2} nodes, margin {3}: active={4}")
  @CsvSource({
    "5, 0, 3, 2, false",
    "6, 0, 3, 2, true",
    "0, 100, 1, 0, false",
    "1, 0, 0, 0, true",
    "0, 0, 0, 0, false",
  })
  void activeOnlyAboveNodesPlusMargin(int recent, int old, int nodes, int margin, boolean active) {
    List<Instant> created = new java.util.ArrayList<>();
    created.addAll(Collections.nCopies(recent, NOW.minus(Duration.ofMinutes(59))));
    created.addAll(Collections.nCopies(old, NOW.minus(Duration.ofMinutes(61))));
    FloodGuard.Status s = FloodGuard.evaluate(created, nodes, margin, NOW);
    assertThat(s.active()).isEqualTo(active);
    assertThat(s.recentPending()).isEqualTo(recent);
    assertThat(s.limit()).isEqualTo(nodes + margin);
  }
}
