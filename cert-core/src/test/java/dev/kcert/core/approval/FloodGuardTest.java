package dev.kcert.core.approval;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FloodGuardTest {
  static final Instant NOW = Instant.parse("2026-05-01T12:00:00Z");
  static final Duration DAY = Duration.ofHours(24);

  @ParameterizedTest(name = "{0} recent + {1} old requests, limit {2}: active={3}")
  @CsvSource({
    "120, 0, 120, false",
    "121, 0, 120, true",
    "0, 1000, 1, false",
    "2, 0, 1, true",
    "0, 0, 1, false",
  })
  void activeOnlyAboveTheNodesLimitWithinTheWindow(int recent, int old, int limit, boolean active) {
    List<Instant> created = new ArrayList<>();
    created.addAll(Collections.nCopies(recent, NOW.minus(DAY).plusSeconds(60)));
    created.addAll(Collections.nCopies(old, NOW.minus(DAY).minusSeconds(60)));
    FloodGuard.Status s = FloodGuard.evaluate("node-a", created, limit, DAY, NOW);
    assertThat(s.active()).isEqualTo(active);
    assertThat(s.recent()).isEqualTo(recent);
    assertThat(s.limit()).isEqualTo(limit);
  }

  @Test
  void aKubeletReRequestingEvery15MinutesForADayStaysUnderTheDefaultLimit() {
    List<Instant> created = new ArrayList<>();
    for (int i = 0; i < 96; i++) {
      created.add(NOW.minus(Duration.ofMinutes(15L * i)));
    }
    FloodGuard.Status s =
        FloodGuard.evaluate("node-a", created, PolicyConfig.DEFAULT_NODE_REQUEST_LIMIT, DAY, NOW);
    assertThat(s.active()).isFalse();
    assertThat(s.recent()).isEqualTo(96);
  }

  @Test
  void describesTheNodeAndItsCount() {
    FloodGuard.Status s =
        FloodGuard.evaluate("node-x", Collections.nCopies(1000, NOW), 120, DAY, NOW);
    assertThat(s.describe())
        .isEqualTo("node node-x has 1000 pending or approved kubelet-serving requests created in the last 24h, limit 120");
  }
}
