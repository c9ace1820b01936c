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
 * 5  renew: nothing to renew (every selected certificate missing or not due within
 *    --renew-within); import: no certificate to import; nothing was written
 * 6  check-served: a component serves another certificate than its file (restart it)
 * 7  check-served: a component could not be reached (and none serves a wrong certificate)
 * </pre>
 */
public final class ExitCodes {
  public static final int OK = 0;
  public static final int ERROR = 1;
  public static final int USAGE = 2;
  public static final int EXPIRING = 3;
  public static final int WARNING = 4;
  public static final int NOTHING_TO_DO = 5;
  public static final int SERVED_DIFFERS = 6;
  public static final int UNREACHABLE = 7;

  /** The table as help texts print it. */
  public static final String CHECK_EXPIRATION_HELP =
      "%nExit codes:%n"
          + "  0  all certificates are readable and none crosses a threshold%n"
          + "  1  a file is corrupt, unreadable or inconsistent (the other rows are still%n"
          + "     shown), or no kubeadm file is where the options point%n"
          + "  2  bad usage%n"
          + "  3  a certificate has expired or expires within --fail-within%n"
          + "  4  a certificate expires within --warn-within%n";

  /** The table as {@code renew} prints it. */
  public static final String RENEW_HELP =
      "%nExit codes:%n"
          + "  0  renewed (with --dry-run: would renew; with --csr-only: requests written);%n"
          + "     also when every CA is external, as kubeadm (nothing can be renewed here)%n"
          + "  1  error: nothing was written, or what was written has been restored from%n"
          + "     the backup (the message says which)%n"
          + "  2  bad usage%n"
          + "  5  nothing to renew: every selected certificate is missing or not due within%n"
          + "     --renew-within; nothing was written%n";

  /** The table as {@code check-served} prints it. */
  public static final String CHECK_SERVED_HELP =
      "%nExit codes:%n"
          + "  0  every port reached serves the certificate in its file%n"
          + "  1  a manifest or certificate file is missing, corrupt or unreadable%n"
          + "  2  bad usage%n"
          + "  6  a component serves another certificate than its file: restart it%n"
          + "  7  a component could not be reached (and none serves a wrong certificate)%n";

  /** The table as {@code import} prints it. */
  public static final String IMPORT_HELP =
      "%nExit codes:%n"
          + "  0  certificates were imported%n"
          + "  1  error: a certificate was refused (nothing was written), or a write failed%n"
          + "     and what was written has been restored from the backup%n"
          + "  2  bad usage%n"
          + "  5  nothing to import: no <name>.crt in --csr-dir%n";

  /** The table as commands that only create files print it. */
  public static final String CREATE_HELP =
      "%nExit codes:%n"
          + "  0  every file was written%n"
          + "  1  error: a file exists already or cannot be written (nothing is overwritten)%n"
          + "  2  bad usage%n";

  /** The table as {@code kcert ca} commands print it. */
  public static final String CA_HELP =
      "%nExit codes:%n"
          + "  0  done (or done already; with --dry-run: the proof holds)%n"
          + "  1  error or refused: the previous phase does not hold on disk, the proof fails,%n"
          + "     or a write failed and what was written has been restored from the backup%n"
          + "  2  bad usage%n";

  private ExitCodes() {}
}
