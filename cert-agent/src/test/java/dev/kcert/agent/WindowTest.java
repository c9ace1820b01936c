package dev.kcert.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class WindowTest {
  @ParameterizedTest(name = "{0} {1}-{2} {3} at {4}: {5}")
  @CsvSource({
    // 2026-11-30 is a Monday
    "'mon,tue', 09:00, 16:00, UTC, 2026-11-30T10:00:00Z, true",
    "'mon,tue', 09:00, 16:00, UTC, 2026-11-30T16:30:00Z, false",
    "'wed', 09:00, 16:00, UTC, 2026-11-30T10:00:00Z, false",
    "'monday', 09:00, 16:00, Europe/Berlin, 2026-11-30T08:30:00Z, true",
    "'monday', 09:00, 16:00, Europe/Berlin, 2026-11-30T07:30:00Z, false",
    // past midnight: Sunday 22:00 to Monday 04:00 belongs to Sunday
    "'sun', 22:00, 04:00, UTC, 2026-11-30T03:00:00Z, true",
    "'sun', 22:00, 04:00, UTC, 2026-11-30T23:00:00Z, false",
    "'mon', 22:00, 04:00, UTC, 2026-11-30T23:00:00Z, true",
  })
  void contains(String days, String start, String end, String zone, String at, boolean inside) {
    assertThat(Window.parse(List.of(days.split(",")), start, end, zone).contains(Instant.parse(at))).isEqualTo(inside);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
    "funday | 09:00 | 16:00 | UTC | --days: unknown day 'funday': expected e.g. mon,tue,wed",
    "mon | 9h | 16:00 | UTC | --start-time: invalid time '9h': expected HH:MM or HH:MM:SS",
    "mon | 09:00 | 16:00 | Mars/Base | --time-zone: unknown zone 'Mars/Base'",
  })
  void badFlagsAreNamed(String days, String start, String end, String zone, String message) {
    assertThatThrownBy(() -> Window.parse(List.of(days), start, end, zone)).hasMessage(message);
  }
}
