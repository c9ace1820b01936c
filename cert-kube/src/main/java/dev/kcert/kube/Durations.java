package dev.kcert.kube;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;

/**
 * Durations as operators write them: cert-core's forms ({@code 30s}, {@code 10m}, {@code 2h},
 * {@code 367d}, {@code 1d12h}, {@code 2w}) or ISO-8601 ({@code PT90S}).
 */
public final class Durations {
  private Durations() {}

  public static Duration parse(String text) {
    String t = text.trim();
    try {
      if (t.toUpperCase(Locale.ROOT).startsWith("P")) {
        return Duration.parse(t);
      }
      return dev.kcert.core.expiry.Durations.parse(t);
    } catch (DateTimeParseException | IllegalArgumentException | ArithmeticException e) {
      throw new IllegalArgumentException(
          "invalid duration '" + text + "': expected e.g. 30s, 10m, 2h, 367d", e);
    }
  }
}
