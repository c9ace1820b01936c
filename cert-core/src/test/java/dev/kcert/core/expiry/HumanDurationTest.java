package dev.kcert.core.expiry;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HumanDurationTest {
  private static final long MIN = 60;
  private static final long HOUR = 3600;
  private static final long DAY = 86400;

  @ParameterizedTest(name = "{0} s -> {1}")
  @CsvSource({
    "-2, <invalid>",
    "-31536000, <invalid>",
    "-1, 0s",
    "0, 0s",
    "1, 1s",
    "119, 119s",
    "120, 2m",
    "121, 2m1s",
    "599, 9m59s",
    "600, 10m",
    "10799, 179m",
    "10800, 3h",
    "11100, 3h5m",
    "28799, 7h59m",
    "28800, 8h",
    "172799, 47h",
    "172800, 2d",
    "176400, 2d1h",
    "691199, 7d23h",
    "691200, 8d",
    "31535999, 364d",
    "31536000, 365d",
    "63071999, 729d",
    "63072000, 2y",
    "63158400, 2y1d",
    "252287999, 7y364d",
    "252288000, 8y",
    "315359999, 9y",
    "3153600000, 100y"
  })
  void formatsLikeKubernetes(long seconds, String expected) {
    assertThat(HumanDuration.format(seconds)).isEqualTo(expected);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"kubeadm sample one year less a day, 360"})
  void kubeadmSampleDays(String name, long days) {
    assertThat(HumanDuration.format(days * DAY + 5 * HOUR + 3 * MIN)).isEqualTo(days + "d");
  }
}
