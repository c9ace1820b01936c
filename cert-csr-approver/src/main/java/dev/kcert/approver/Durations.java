package dev.kcert.approver;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;

/** Durations as operators write them: {@code 30s}, {@code 10m}, {@code 2h}, {@code 367d}, or ISO-8601. */
final class Durations {
  private Durations() {}

  static Duration parse(String text) {
    String t = text.trim();
    if (t.toUpperCase(Locale.ROOT).startsWith("P")) {
      try {
        return Duration.parse(t);
      } catch (DateTimeParseException e) {
        throw new IllegalArgumentException("invalid duration '" + text + "'");
      }
    }
    if (t.length() < 2) {
      throw new IllegalArgumentException("invalid duration '" + text + "': expected e.g. 30s, 10m, 2h, 367d");
    }
    long n;
    try {
      n = Long.parseLong(t.substring(0, t.length() - 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("invalid duration '" + text + "': expected e.g. 30s, 10m, 2h, 367d");
    }
    if (n < 0) {
      throw new IllegalArgumentException("invalid duration '" + text + "': negative");
    }
    return switch (t.charAt(t.length() - 1)) {
      case 's' -> Duration.ofSeconds(n);
      case 'm' -> Duration.ofMinutes(n);
      case 'h' -> Duration.ofHours(n);
      case 'd' -> Duration.ofDays(n);
      default -> throw new IllegalArgumentException(
          "invalid duration '" + text + "': expected e.g. 30s, 10m, 2h, 367d");
    };
  }
}
