package dev.kcert.kube;

import dev.kcert.core.approval.Escapes;
import dev.kcert.core.model.KcertException;

/** Helpers for structured key=value log lines. */
public final class Log {
  private Log() {}

  /**
   * A value quoted for a key=value line: double quotes and backslashes escaped, control characters
   * written as {@code \xNN}, so a name chosen by a node can never end the line or forge a field.
   */
  public static String q(String value) {
    if (value == null) {
      return "\"\"";
    }
    String v = value.replace("\\", "\\\\").replace("\"", "\\\"");
    return "\"" + Escapes.controls(v) + "\"";
  }

  /** An error's first line, with double quotes made single to sit inside {@code "..."}. */
  public static String oneLine(Throwable t) {
    return KcertException.oneLine(t).replace("\"", "'");
  }
}
