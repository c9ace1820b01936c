package dev.kcert.kube;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * What the command lines of the in-cluster components share: a configuration error is one line
 * and exit code 2, any other failure one line and exit code 1, and {@code --version} names the
 * component and the version in its jar's manifest.
 */
public final class ComponentCommand {
  private ComponentCommand() {}

  /** A configuration error, reported on one line before anything starts. */
  public static final class BadOption extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public BadOption(String message) {
      super(message);
    }
  }

  /** The command's name and the version from its jar's manifest. */
  public static final class Version implements CommandLine.IVersionProvider {
    @Spec CommandSpec spec;

    @Override
    public String[] getVersion() {
      String v = spec.userObject().getClass().getPackage().getImplementationVersion();
      return new String[] {spec.name() + " " + (v == null ? "(development build)" : v)};
    }
  }

  /** Parses and runs {@code command}, its errors on {@code err}; returns the exit code. */
  public static int execute(Object command, PrintWriter err, String... args) {
    CommandLine cmd = new CommandLine(command);
    cmd.setErr(err);
    cmd.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          boolean bad = e instanceof BadOption;
          commandLine.getErr().println(
              commandLine.getCommandName() + ": " + (bad ? "" : "error: ") + Log.oneLine(e));
          return bad ? 2 : 1;
        });
    return cmd.execute(args);
  }
}
