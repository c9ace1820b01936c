package dev.kcert.core.model;

import java.nio.file.Path;
import java.util.regex.Pattern;

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

  /** A qualified Java exception class name, as library messages embed their causes. */
  private static final Pattern CLASS_NAME =
      Pattern.compile("(?:[A-Za-z_$][\\w$]*\\.)+[A-Z][\\w$]*(?:Exception|Error)\\b:?\\s*");

  /**
   * A run of base64 long enough to be key or certificate material: 24 characters or more of its
   * alphabet, with capitals, small letters and digits (a path, which starts with a slash or lacks
   * one of the three, is left alone).
   */
  private static final Pattern MATERIAL = Pattern.compile("[A-Za-z0-9+/=]{24,}");

  private static final int MAX_REASON = 300;

  /**
   * A name read from a file (a context, user or cluster name) as a message may show it: as it is
   * when short and plain, else described, since a name field can hold anything, a key included.
   */
  public static String shown(String name) {
    if (name.length() <= 64
        && name.chars().noneMatch(Character::isISOControl)
        && !MATERIAL.matcher(name).results().anyMatch(r -> looksLikeMaterial(r.group()))) {
      return "\"" + name + "\"";
    }
    return "(a " + name.length() + "-character name)";
  }

  private static boolean looksLikeMaterial(String run) {
    return !run.startsWith("/")
        && run.chars().anyMatch(Character::isUpperCase)
        && run.chars().anyMatch(Character::isLowerCase)
        && run.chars().anyMatch(Character::isDigit);
  }

  /**
   * The text of a library exception as a reason a user can read: one line, no Java class names,
   * nothing long enough to be key material (library messages may quote the input they choked on),
   * at most 300 characters. Use it for every cause whose message kcert did not write itself.
   */
  public static String oneLine(Throwable t) {
    String m = t.getMessage();
    if (m == null) {
      m = "";
    }
    int nl = m.indexOf('\n');
    m = nl >= 0 ? m.substring(0, nl) : m;
    m = CLASS_NAME.matcher(m).replaceAll("");
    m = MATERIAL.matcher(m).replaceAll(r -> looksLikeMaterial(r.group()) ? "..." : "$0");
    m = m.replaceAll("\\p{Cntrl}", "?").trim();
    if (m.length() > MAX_REASON) {
      m = m.substring(0, MAX_REASON) + "...";
    }
    if (m.isEmpty() || m.equals("...")) {
      return t instanceof java.io.EOFException ? "unexpected end of data" : "unreadable data";
    }
    return m;
  }
}
