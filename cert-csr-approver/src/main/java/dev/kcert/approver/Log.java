package dev.kcert.approver;

/** Helpers for structured key=value log lines. */
final class Log {
  private Log() {}

  /** A value quoted for a key=value line: double quotes and backslashes escaped, one line. */
  static String q(String value) {
    if (value == null) {
      return "\"\"";
    }
    String v = value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", " ").replace("\r", " ");
    return "\"" + v + "\"";
  }

  static String oneLine(Throwable t) {
    String m = t.getMessage();
    if (m == null || m.isBlank()) {
      m = t.getClass().getSimpleName();
    }
    int nl = m.indexOf('\n');
    return (nl >= 0 ? m.substring(0, nl) : m).trim().replace("\"", "'");
  }
}
