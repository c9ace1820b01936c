package dev.kcert.kube;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.kcert.core.approval.Escapes;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * The one formatter every log line goes through: the component's own (SLF4J, bound to
 * java.util.logging) and the client library's (SLF4J or java.util.logging alike). Each record is
 * one line, whatever it carries: control characters in messages are escaped, and a stack trace is
 * folded into the same line ({@code error=} and {@code stack=} in text, fields in JSON lines).
 *
 * <p>Serves every in-cluster component.
 */
public final class LogFormat extends Formatter {
  /** How lines are written. */
  public enum Style {
    /** {@code 2026-05-01T12:00:00.000Z INFO Controller - key=value ...} */
    TEXT,
    /** One JSON object per line: time, level, logger, message, error, stack. */
    JSON
  }

  /** Stack frames kept per throwable in the chain. */
  public static final int MAX_FRAMES = 12;

  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSX", Locale.ROOT).withZone(ZoneOffset.UTC);
  private static final JsonFactory JSON = new JsonFactory();

  private final Style style;

  public LogFormat(Style style) {
    this.style = style;
  }

  /**
   * Routes everything logged through java.util.logging to standard error in this format: the
   * root logger at {@code level}, the client and HTTP libraries at warnings.
   */
  public static void install(Style style, Level level) {
    LogManager.getLogManager().reset();
    Logger root = Logger.getLogger("");
    Handler handler = new ConsoleHandler();
    handler.setFormatter(new LogFormat(style));
    handler.setLevel(Level.ALL);
    try {
      handler.setEncoding("UTF-8");
    } catch (java.io.UnsupportedEncodingException e) {
      throw new IllegalStateException(e);
    }
    root.addHandler(handler);
    root.setLevel(level);
    for (String noisy : List.of("io.fabric8", "io.vertx", "io.netty")) {
      Logger.getLogger(noisy).setLevel(level.intValue() > Level.WARNING.intValue() ? level : Level.WARNING);
    }
  }

  @Override
  public String format(LogRecord r) {
    String time = TIME.format(Instant.ofEpochMilli(r.getMillis()));
    String level = level(r.getLevel());
    String logger = shortName(r.getLoggerName());
    String message = Escapes.controls(formatMessage(r));
    Throwable t = r.getThrown();
    if (style == Style.JSON) {
      return json(time, level, r.getLoggerName(), message, t);
    }
    StringBuilder sb = new StringBuilder(96 + message.length());
    sb.append(time).append(' ').append(level).append(' ').append(logger).append(" - ").append(message);
    if (t != null) {
      sb.append(" error=").append(Log.q(String.valueOf(t)));
      sb.append(" stack=").append(Log.q(String.join(" | ", frames(t))));
    }
    return sb.append('\n').toString();
  }

  private static String json(String time, String level, String logger, String message, Throwable t) {
    StringWriter out = new StringWriter();
    try (JsonGenerator g = JSON.createGenerator(out)) {
      g.writeStartObject();
      g.writeStringField("time", time);
      g.writeStringField("level", level);
      g.writeStringField("logger", logger == null ? "" : logger);
      g.writeStringField("message", message);
      if (t != null) {
        g.writeStringField("error", Escapes.controls(String.valueOf(t)));
        g.writeArrayFieldStart("stack");
        for (String f : frames(t)) {
          g.writeString(Escapes.controls(f));
        }
        g.writeEndArray();
      }
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.append('\n').toString();
  }

  /**
   * The frames of a throwable and its causes, a few each, causes introduced by "caused by"; not
   * escaped yet.
   */
  static List<String> frames(Throwable t) {
    List<String> out = new ArrayList<>();
    java.util.Set<Throwable> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    for (Throwable c = t; c != null && seen.add(c); c = c.getCause()) {
      if (c != t) {
        out.add("caused by " + c);
      }
      StackTraceElement[] st = c.getStackTrace();
      for (int i = 0; i < st.length && i < MAX_FRAMES; i++) {
        out.add("at " + st[i]);
      }
      if (st.length > MAX_FRAMES) {
        out.add("... " + (st.length - MAX_FRAMES) + " more");
      }
    }
    return out;
  }

  private static String level(Level l) {
    int v = l.intValue();
    if (v >= Level.SEVERE.intValue()) {
      return "ERROR";
    }
    if (v >= Level.WARNING.intValue()) {
      return "WARN";
    }
    if (v >= Level.INFO.intValue()) {
      return "INFO";
    }
    if (v >= Level.FINE.intValue()) {
      return "DEBUG";
    }
    return "TRACE";
  }

  private static String shortName(String name) {
    if (name == null) {
      return "-";
    }
    int dot = name.lastIndexOf('.');
    return dot >= 0 ? name.substring(dot + 1) : name;
  }
}
