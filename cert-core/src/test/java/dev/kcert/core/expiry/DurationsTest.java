package dev.kcert.core.expiry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationsTest {
  @ParameterizedTest(name = "{0} = {1} s")
  @CsvSource({
    "30d, 2592000",
    "720h, 2592000",
    "2w, 1209600",
    "1d12h, 129600",
    "8760h0m0s, 31536000",
    "90m, 5400",
    "45s, 45",
    "0, 0",
    "0s, 0",
    "' 7D ', 604800"
  })
  void parses(String text, long seconds) {
    assertThat(Durations.parse(text)).isEqualTo(Duration.ofSeconds(seconds));
  }

  @ParameterizedTest(name = "rejects \"{0}\"")
  @ValueSource(strings = {"", "30", "d", "-5d", "1.5d", "30 days", "1y", "5d junk"})
  void rejects(String text) {
    assertThatThrownBy(() -> Durations.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("duration");
  }

  @ParameterizedTest(name = "{0} s prints as {1}")
  @CsvSource({"2592000, 30d", "129600, 36h", "5400, 90m", "45, 45s", "0, 0s"})
  void formats(long seconds, String expected) {
    assertThat(Durations.format(Duration.ofSeconds(seconds))).isEqualTo(expected);
  }
}
