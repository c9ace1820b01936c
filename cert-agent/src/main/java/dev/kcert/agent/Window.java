package dev.kcert.agent;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeParseException;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * When renewals may start, as kured's reboot window: the days of the week, a start and an end time
 * of day (an end before the start runs past midnight), in a time zone. Only the start of a run is
 * gated: a run that began inside the window finishes.
 */
public record Window(Set<DayOfWeek> days, LocalTime start, LocalTime end, ZoneId zone) {
  public static final Window ALWAYS =
      new Window(EnumSet.allOf(DayOfWeek.class), LocalTime.MIN, LocalTime.of(23, 59, 59), ZoneId.of("UTC"));

  /**
   * Parses the four flags.
   *
   * @param days {@code mon,tue,...} or full names, any case
   * @param start {@code HH:MM} or {@code HH:MM:SS}
   * @throws IllegalArgumentException naming the flag
   */
  public static Window parse(List<String> days, String start, String end, String zone) {
    Set<DayOfWeek> set = EnumSet.noneOf(DayOfWeek.class);
    for (String d : days) {
      String t = d.trim().toLowerCase(Locale.ROOT);
      if (t.isEmpty()) {
        continue;
      }
      DayOfWeek found = null;
      for (DayOfWeek w : DayOfWeek.values()) {
        String full = w.name().toLowerCase(Locale.ROOT);
        if (full.equals(t) || full.substring(0, 3).equals(t)) {
          found = w;
        }
      }
      if (found == null) {
        throw new IllegalArgumentException("--days: unknown day '" + d + "': expected e.g. mon,tue,wed");
      }
      set.add(found);
    }
    if (set.isEmpty()) {
      throw new IllegalArgumentException("--days: no day given");
    }
    ZoneId z;
    try {
      z = ZoneId.of(zone);
    } catch (java.time.DateTimeException e) {
      throw new IllegalArgumentException("--time-zone: unknown zone '" + zone + "'");
    }
    return new Window(set, time("--start-time", start), time("--end-time", end), z);
  }

  private static LocalTime time(String flag, String text) {
    try {
      return LocalTime.parse(text.trim());
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(flag + ": invalid time '" + text + "': expected HH:MM or HH:MM:SS");
    }
  }

  public boolean contains(Instant t) {
    ZonedDateTime local = t.atZone(zone);
    LocalTime time = local.toLocalTime();
    if (!start.isAfter(end)) {
      return days.contains(local.getDayOfWeek()) && !time.isBefore(start) && !time.isAfter(end);
    }
    // past midnight: the part after midnight belongs to the window that began the day before
    if (!time.isBefore(start)) {
      return days.contains(local.getDayOfWeek());
    }
    return !time.isAfter(end) && days.contains(local.getDayOfWeek().minus(1));
  }

  @Override
  public String toString() {
    return days + " " + start + "-" + end + " " + zone;
  }
}
