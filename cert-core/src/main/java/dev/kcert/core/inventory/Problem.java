package dev.kcert.core.inventory;

/**
 * Something wrong found while taking stock, on one line that names the file and the cause.
 *
 * @param severity whether it makes the command fail
 * @param entry the catalogue entry it concerns
 * @param message what is wrong, naming the file
 */
public record Problem(Severity severity, String entry, String message) {
  /** How bad a problem is. */
  public enum Severity {
    /** Worth knowing; the PKI works. */
    WARNING,
    /** The PKI is broken here: commands exit non-zero. */
    ERROR
  }

  public boolean isError() {
    return severity == Severity.ERROR;
  }
}
