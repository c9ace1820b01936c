package dev.kcert.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code kcert completion bash|zsh|fish}: a completion script for the shell, as kubectl's and
 * kubeadm's {@code completion} commands print one. bash's comes from picocli's generator; zsh loads
 * the same script through its bash-completion layer ({@code bashcompinit}), which the script turns
 * on itself; fish gets {@code complete} lines written here from the same command model.
 */
@Command(
    name = "completion",
    mixinStandardHelpOptions = true,
    description = {
      "Prints a shell completion script for bash, zsh or fish.",
      "Load it in the current shell, or install it where the shell looks for completions."
    },
    footer = {
      "%nExamples:",
      "  source <(kcert completion bash)",
      "  kcert completion bash > /etc/bash_completion.d/kcert",
      "  source <(kcert completion zsh)",
      "  kcert completion fish > ~/.config/fish/completions/kcert.fish",
      "%nExit codes: 0 success, 2 bad usage."
    })
public final class CompletionCommand implements Callable<Integer> {
  /** The shells a script is made for. */
  enum Shell {
    bash,
    zsh,
    fish
  }

  @Parameters(paramLabel = "SHELL", description = "bash, zsh or fish.")
  Shell shell;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    CommandLine root = spec.root().commandLine();
    PrintWriter out = spec.commandLine().getOut();
    out.print(script(shell, root));
    out.flush();
    return ExitCodes.OK;
  }

  static String script(Shell shell, CommandLine root) {
    String name = root.getCommandName();
    return switch (shell) {
      case bash -> AutoComplete.bash(name, root);
      case zsh ->
          "#compdef " + name + "\n# zsh: the bash script, through zsh's bashcompinit\n"
              + AutoComplete.bash(name, root);
      case fish -> fish(root.getCommandSpec());
    };
  }

  /** fish's {@code complete} lines for every command and option under {@code root}. */
  static String fish(CommandSpec root) {
    String name = root.name();
    StringBuilder b = new StringBuilder();
    b.append("# fish completion for ").append(name).append(", printed by '").append(name);
    b.append(" completion fish'\n");
    b.append("complete -c ").append(name).append(" -f\n");
    fishCommand(b, name, root, List.of());
    return b.toString();
  }

  private static void fishCommand(StringBuilder b, String tool, CommandSpec spec, List<String> path) {
    Map<String, CommandLine> subs = spec.subcommands();
    String here = condition(path, subs.keySet());
    for (Map.Entry<String, CommandLine> e : subs.entrySet()) {
      CommandSpec sub = e.getValue().getCommandSpec();
      if (sub.usageMessage().hidden() || !e.getKey().equals(sub.name())) {
        continue;
      }
      b.append("complete -c ").append(tool).append(" -n ").append(quote(here));
      b.append(" -a ").append(quote(e.getKey()));
      appendDescription(b, sub.usageMessage().description());
      b.append('\n');
    }
    for (OptionSpec o : spec.options()) {
      if (o.hidden() || (o.inherited() && !path.isEmpty())) {
        continue;
      }
      b.append("complete -c ").append(tool);
      if (!path.isEmpty()) {
        b.append(" -n ").append(quote("__fish_seen_subcommand_from " + path.get(path.size() - 1)));
      }
      for (String n : o.names()) {
        if (n.startsWith("--")) {
          b.append(" -l ").append(n.substring(2));
        } else if (n.length() == 2) {
          b.append(" -s ").append(n.substring(1));
        } else {
          b.append(" -o ").append(n.substring(1));
        }
      }
      if (o.arity().max() > 0) {
        List<String> candidates = new ArrayList<>();
        if (o.completionCandidates() != null) {
          o.completionCandidates().forEach(candidates::add);
        }
        if (!candidates.isEmpty()) {
          b.append(" -x -a ").append(quote(String.join(" ", candidates)));
        } else if (Path.class.equals(o.type()) || java.io.File.class.equals(o.type())) {
          b.append(" -r -F");
        } else {
          b.append(" -x");
        }
      }
      appendDescription(b, o.description());
      b.append('\n');
    }
    if (!spec.positionalParameters().isEmpty() && subs.isEmpty() && !path.isEmpty()) {
      var p = spec.positionalParameters().get(0);
      List<String> candidates = new ArrayList<>();
      if (p.completionCandidates() != null) {
        p.completionCandidates().forEach(candidates::add);
      }
      b.append("complete -c ").append(tool).append(" -n ");
      b.append(quote("__fish_seen_subcommand_from " + path.get(path.size() - 1)));
      b.append(candidates.isEmpty() ? " -F" : " -x -a " + quote(String.join(" ", candidates)));
      b.append('\n');
    }
    for (Map.Entry<String, CommandLine> e : subs.entrySet()) {
      if (!e.getKey().equals(e.getValue().getCommandSpec().name())) {
        continue;
      }
      List<String> next = new ArrayList<>(path);
      next.add(e.getKey());
      fishCommand(b, tool, e.getValue().getCommandSpec(), next);
    }
  }

  /** Where the subcommands of the command at {@code path} are offered. */
  private static String condition(List<String> path, Iterable<String> subs) {
    String none = "not __fish_seen_subcommand_from " + String.join(" ", subs);
    return path.isEmpty()
        ? "__fish_use_subcommand"
        : "__fish_seen_subcommand_from " + path.get(path.size() - 1) + "; and " + none;
  }

  private static void appendDescription(StringBuilder b, String[] description) {
    if (description.length > 0 && !description[0].isBlank()) {
      String first = description[0].replaceAll("\\$\\{[A-Z-]+}", "").replaceAll("%n", " ");
      int dot = first.indexOf(". ");
      b.append(" -d ").append(quote(dot > 0 ? first.substring(0, dot + 1) : first));
    }
  }

  /** A fish single-quoted string. */
  static String quote(String s) {
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
  }
}
