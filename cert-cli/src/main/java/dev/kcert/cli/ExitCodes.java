package dev.kcert.cli;

/**
 * The exit codes of every kcert command, in one table. Help texts quote it; scripts rely on it.
 *
 * <pre>
 * 0  success
 * 1  error: a file is missing, corrupt or inconsistent, or a write failed
 * 2  usage: unknown command or option, or a bad option value
 * 3  check-expiration: something has expired or expires within --fail-within
 * 4  check-expiration: something expires within --warn-within (and nothing within --fail-within)
 * 5  renew: nothing needed renewal (with --renew-within); nothing was written
 * </pre>
 */
public final class ExitCodes {
  public static final int OK = 0;
  public static final int ERROR = 1;
  public static final int USAGE = 2;
  public static final int EXPIRING = 3;
  public static final int WARNING = 4;
  public static final int NOTHING_TO_DO = 5;

  /** The table as help texts print it. */
  public static final String CHECK_EXPIRATION_HELP =
      "%nExit codes:%n"
          + "  0  all certificates are readable and none crosses a threshold%n"
          + "  1  a file is corrupt, unreadable or inconsistent (the other rows are still shown)%n"
          + "  2  bad usage%n"
          + "  3  a certificate has expired or expires within --fail-within%n"
          + "  4  a certificate expires within --warn-within%n";

  private ExitCodes() {}
}
