package dev.kcert.core.model;

import java.nio.file.Path;

/**
 * A failure that a user can act on: the message is one line that names the file or object and the
 * cause. Low-level exceptions (JCA, Bouncy Castle, Jackson) are wrapped as the cause.
 */
public class KcertException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public KcertException(String message) {
    super(message);
  }

  public KcertException(String message, Throwable cause) {
    super(message, cause);
  }

  /** A failure about one file: the message reads {@code <file>: <reason>}. */
  public static KcertException about(Path file, String reason) {
    return new KcertException(file + ": " + reason);
  }

  public static KcertException about(Path file, String reason, Throwable cause) {
    return new KcertException(file + ": " + reason, cause);
  }

  /** The text of a cause, trimmed to one line, for messages that wrap library exceptions. */
  public static String oneLine(Throwable t) {
    String m = t.getMessage();
    if (m == null || m.isBlank()) {
      m = t.getClass().getSimpleName();
    }
    int nl = m.indexOf('\n');
    return (nl >= 0 ? m.substring(0, nl) : m).trim();
  }
}
