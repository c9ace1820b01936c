package dev.kcert.cli;

import dev.kcert.core.model.KcertException;
import java.io.PrintWriter;
import java.time.Clock;
import java.util.Optional;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/** The {@code kcert} command. */
@Command(
    name = "kcert",
    mixinStandardHelpOptions = true,
    versionProvider = Kcert.Version.class,
    description = "Lifecycle tooling for kubeadm control-plane certificates.",
    subcommands = {CertsCommand.class, DemoCommand.class},
    footer = {
      "",
      "Exit codes: 0 success, 1 error, 2 bad usage; see each command's help for the rest."
    })
public final class Kcert {
  @Option(
      names = "--stacktrace",
      scope = ScopeType.INHERIT,
      description = "Print the stack trace of an error, not just its one-line message.")
  boolean stacktrace;

  private final Clock clock;

  public Kcert(Clock clock) {
    this.clock = clock;
  }

  public Clock clock() {
    return clock;
  }

  public static void main(String[] args) {
    Optional<CheckExpiration.Request> fast = FastPath.parse(args);
    int code;
    if (fast.isPresent()) {
      PrintWriter out = new PrintWriter(System.out, true);
      PrintWriter err = new PrintWriter(System.err, true);
      code = FastPath.run(fast.get(), Clock.systemUTC(), out, err);
    } else {
      code = newCommandLine(Clock.systemUTC()).execute(args);
    }
    System.exit(code);
  }

  /** The one-line message of an error, as kcert prints it after {@code error: }. */
  static String errorMessage(Throwable ex) {
    return ex instanceof KcertException || ex instanceof IllegalArgumentException
        ? ex.getMessage()
        : ex.getClass().getSimpleName() + ": " + KcertException.oneLine(ex);
  }

  /** A command line wired with kcert's error handling, for {@code main} and for tests. */
  public static CommandLine newCommandLine(Clock clock) {
    Kcert root = new Kcert(clock);
    CommandLine cl = new CommandLine(root);
    cl.setExecutionExceptionHandler(
        (ex, commandLine, parseResult) -> {
          PrintWriter err = commandLine.getErr();
          err.println("error: " + errorMessage(ex));
          if (root.stacktrace) {
            ex.printStackTrace(err);
          }
          err.flush();
          return ExitCodes.ERROR;
        });
    cl.setExitCodeExceptionMapper(
        ex -> ex instanceof CommandLine.ParameterException ? ExitCodes.USAGE : ExitCodes.ERROR);
    return cl;
  }

  /** The version from the jar's manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Kcert.class.getPackage().getImplementationVersion();
      return new String[] {"kcert " + (v == null ? "(development build)" : v)};
    }
  }
}
