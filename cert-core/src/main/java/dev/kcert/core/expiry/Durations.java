package dev.kcert.core.expiry;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as operators write them: {@code 30d}, {@code 720h}, {@code 2w}, {@code 1d12h}, {@code
 * 8760h0m0s} (Go's form), {@code 90m}, {@code 45s}, or {@code 0}.
 */
public final class Durations {
  private static final Pattern PART = Pattern.compile("(\\d+)(w|d|h|m|s)");

  private Durations() {}

  public static Duration parse(String text) {
    String s = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
    if (s.equals("0")) {
      return Duration.ZERO;
    }
    if (s.isEmpty()) {
      throw new IllegalArgumentException("empty duration");
    }
    Matcher m = PART.matcher(s);
    int pos = 0;
    Duration total = Duration.ZERO;
    while (pos < s.length()) {
      if (!m.find(pos) || m.start() != pos) {
        throw new IllegalArgumentException(
            "invalid duration '" + text + "' (expected e.g. 30d, 720h, 2w, 1d12h, 90m)");
      }
      long n;
      try {
        n = Long.parseLong(m.group(1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("duration '" + text + "' is too large", e);
      }
      Duration part =
          switch (m.group(2)) {
            case "w" -> Duration.ofDays(Math.multiplyExact(n, 7));
            case "d" -> Duration.ofDays(n);
            case "h" -> Duration.ofHours(n);
            case "m" -> Duration.ofMinutes(n);
            default -> Duration.ofSeconds(n);
          };
      total = total.plus(part);
      pos = m.end();
    }
    return total;
  }

  /** A duration in the largest whole unit that fits it, for messages: {@code 30d}, {@code 36h}. */
  public static String format(Duration d) {
    long s = d.getSeconds();
    if (s != 0 && s % 86400 == 0) {
      return s / 86400 + "d";
    }
    if (s != 0 && s % 3600 == 0) {
      return s / 3600 + "h";
    }
    if (s != 0 && s % 60 == 0) {
      return s / 60 + "m";
    }
    return s + "s";
  }
}
