package dev.kcert.cli;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Model.UsageMessageSpec;

/**
 * Wraps the free text of help (descriptions and footers) at spaces only. picocli wraps with the
 * JDK's line breaker, which also breaks after a dot or a hyphen: {@code ca.} and {@code crt},
 * {@code controller-manager.} and {@code conf} on two lines, which cannot be pasted. Lines that
 * start with spaces (examples, tables) are never wrapped: they are written to fit.
 */
final class HelpLayout {
  private HelpLayout() {}

  /** Installs the layout on {@code cl} and every command below it. */
  static void install(CommandLine cl) {
    cl.getHelpSectionMap()
        .put(
            UsageMessageSpec.SECTION_KEY_DESCRIPTION,
            help -> wrap(help.commandSpec().usageMessage().description(), width(help)));
    cl.getHelpSectionMap()
        .put(
            UsageMessageSpec.SECTION_KEY_FOOTER,
            help -> wrap(help.commandSpec().usageMessage().footer(), width(help)));
    for (CommandLine sub : cl.getSubcommands().values()) {
      install(sub);
    }
  }

  private static int width(CommandLine.Help help) {
    return help.commandSpec().usageMessage().width();
  }

  /** The lines as picocli formats them ({@code %n}), prose wrapped at spaces to {@code width}. */
  static String wrap(String[] lines, int width) {
    StringBuilder out = new StringBuilder();
    for (String line : lines) {
      for (String l : String.format(line).split("\n", -1)) {
        if (l.startsWith(" ") || l.length() <= width) {
          out.append(l).append('\n');
        } else {
          for (String w : wrapLine(l, width)) {
            out.append(w).append('\n');
          }
        }
      }
    }
    return out.toString();
  }

  private static List<String> wrapLine(String text, int width) {
    List<String> lines = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (String word : text.split(" ")) {
      if (current.length() > 0 && current.length() + 1 + word.length() > width) {
        lines.add(current.toString());
        current.setLength(0);
      }
      if (current.length() > 0) {
        current.append(' ');
      }
      current.append(word);
    }
    lines.add(current.toString());
    return lines;
  }
}
