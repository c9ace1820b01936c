package dev.kcert.core.approval;

/**
 * Makes text from a request safe to show: names in a CSR are chosen by whoever wrote it, and a
 * newline or a terminal escape in one must not forge a log line, a condition or an Event.
 */
public final class Escapes {
  private Escapes() {}

  /**
   * Replaces C0 and C1 control characters, DEL, the Unicode line and paragraph separators and the
   * bidirectional overrides with {@code \xNN} or {@code \\uNNNN}; everything else is kept.
   */
  public static String controls(String text) {
    if (text == null) {
      return "";
    }
    StringBuilder sb = null;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (unsafe(c)) {
        if (sb == null) {
          sb = new StringBuilder(text.length() + 16).append(text, 0, i);
        }
        if (c <= 0xff) {
          sb.append(String.format("\\x%02x", (int) c));
        } else {
          sb.append(String.format("\\u%04x", (int) c));
        }
      } else if (sb != null) {
        sb.append(c);
      }
    }
    return sb == null ? text : sb.toString();
  }

  private static boolean unsafe(char c) {
    return c < 0x20
        || (c >= 0x7f && c <= 0x9f)
        || c == 0x2028
        || c == 0x2029
        || (c >= 0x202a && c <= 0x202e)
        || (c >= 0x2066 && c <= 0x2069);
  }
}
