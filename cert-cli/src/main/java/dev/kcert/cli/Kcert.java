package dev.kcert.cli;

import dev.kcert.core.model.KcertException;
import java.io.PrintWriter;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
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
      code = newCommandLine(Clock.systemUTC(), args).execute(args);
    }
    System.exit(code);
  }

  /** Prints an error as kcert does, {@code error: } and one line (and the trace when asked). */
  static int reportError(Throwable ex, PrintWriter err, boolean stacktrace) {
    err.println("error: " + errorMessage(ex));
    if (stacktrace) {
      printTrace(ex, err);
    }
    err.flush();
    return ExitCodes.ERROR;
  }

  /** The one-line message of an error, as kcert prints it after {@code error: }. */
  static String errorMessage(Throwable ex) {
    return ex instanceof KcertException || ex instanceof IllegalArgumentException
        ? ex.getMessage()
        : "unexpected failure: " + KcertException.oneLine(ex);
  }

  /**
   * A stack trace whose messages went through {@link KcertException#oneLine}: the JDK's own
   * printout repeats every cause's message whole, and a YAML parser's message quotes the input it
   * choked on, which may be a private key.
   */
  static void printTrace(Throwable ex, PrintWriter err) {
    java.util.Set<Throwable> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    String prefix = "";
    for (Throwable t = ex; t != null && seen.add(t); t = t.getCause()) {
      String message = t instanceof KcertException ? t.getMessage() : KcertException.oneLine(t);
      err.println(prefix + t.getClass().getName() + ": " + message);
      for (StackTraceElement frame : t.getStackTrace()) {
        err.println("\tat " + frame);
      }
      prefix = "Caused by: ";
    }
  }

  /** A command line with every command, wired with kcert's error handling. */
  public static CommandLine newCommandLine(Clock clock) {
    return newCommandLine(clock, new String[0]);
  }

  /**
   * A command line for {@code args}: picocli builds each command's model from its annotations when
   * the command is added, which is a good part of start-up, so when {@code args} name a command
   * plainly ({@code certs renew ...}, {@code demo ...}) only that command is added. Anything else
   * (help, an option first, an unknown name) gets every command, for full usage and suggestions.
   */
  static CommandLine newCommandLine(Clock clock, String[] args) {
    Kcert root = new Kcert(clock);
    CommandLine cl = new CommandLine(root);
    String first = args.length > 0 ? args[0] : "";
    String second = args.length > 1 ? args[1] : "";
    boolean oneCert = first.equals("certs") && CERTS.containsKey(second);
    if (!first.equals("demo")) {
      CommandLine certs = new CommandLine(new CertsCommand());
      CERTS.forEach(
          (name, command) -> {
            if (!oneCert || name.equals(second)) {
              certs.addSubcommand(command.get());
            }
          });
      cl.addSubcommand(certs);
    }
    if (!oneCert) {
      cl.addSubcommand(new DemoCommand());
      if (!first.equals("demo")) {
        cl.addSubcommand(new VersionCommand());
        cl.addSubcommand(new CompletionCommand());
        cl.addSubcommand(CaCommand.commandLine());
      }
    }
    HelpLayout.install(cl);
    cl.setParameterExceptionHandler(Kcert::usageError);
    cl.setExecutionExceptionHandler(
        (ex, commandLine, parseResult) -> reportError(ex, commandLine.getErr(), root.stacktrace));
    cl.setExitCodeExceptionMapper(
        ex -> ex instanceof CommandLine.ParameterException ? ExitCodes.USAGE : ExitCodes.ERROR);
    return cl;
  }

  /**
   * A usage error: its one line, picocli's suggestions for a mistyped name, and where to read more;
   * not the whole help, which would bury the line that matters.
   */
  static int usageError(CommandLine.ParameterException ex, String[] args) {
    CommandLine cmd = ex.getCommandLine();
    PrintWriter err = cmd.getErr();
    err.println(ex.getMessage());
    CommandLine.UnmatchedArgumentException.printSuggestions(ex, err);
    err.println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for more information.");
    err.flush();
    return ExitCodes.USAGE;
  }

  /** The subcommands of {@code kcert certs}, named as their annotations name them, in help order. */
  static final Map<String, Supplier<Object>> CERTS = new LinkedHashMap<>();

  static {
    CERTS.put("check-expiration", CheckExpirationCommand::new);
    CERTS.put("check-served", CheckServedCommand::new);
    CERTS.put("renew", RenewCommand::new);
    CERTS.put("generate-csr", GenerateCsrCommand::new);
    CERTS.put("import", ImportCommand::new);
    CERTS.put("init", InitCommand::new);
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
