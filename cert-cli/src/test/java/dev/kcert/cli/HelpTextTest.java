package dev.kcert.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/**
 * Help that can be pasted: rendered at 80 columns, no line is longer, no file name is split across
 * lines, and every example line is whole. The same help rendered without a width limit tells which
 * file names and example lines there are.
 */
class HelpTextTest {
  /** File names as help texts mention them: ca.crt, controller-manager.conf, kubelet-client-current.pem. */
  private static final Pattern FILE_NAME =
      Pattern.compile("[A-Za-z0-9_*<>-]+(?:/[A-Za-z0-9_*<>.-]+)*\\.(?:crt|key|conf|pem|csr|pub|lock)\\b");

  static Stream<String> commands() {
    List<String> all = new ArrayList<>(List.of("", "certs", "demo"));
    Kcert.CERTS.keySet().forEach(c -> all.add("certs " + c));
    return all.stream();
  }

  private static String help(String command, int width) {
    CommandLine cl = Kcert.newCommandLine(Cli.CLOCK);
    for (String name : command.isEmpty() ? new String[0] : command.split(" ")) {
      cl = cl.getSubcommands().get(name);
    }
    cl.setUsageHelpWidth(width);
    StringWriter out = new StringWriter();
    cl.usage(new PrintWriter(out, true));
    return out.toString();
  }

  @ParameterizedTest(name = "kcert {0} --help")
  @MethodSource("commands")
  void helpAtEightyColumnsKeepsFileNamesAndExamplesWhole(String command) {
    String wide = help(command, 400);
    String narrow = help(command, 80);
    List<String> lines = narrow.lines().toList();

    assertThat(lines).allSatisfy(l -> assertThat(l.length()).as(l).isLessThanOrEqualTo(80));

    Set<String> names = new LinkedHashSet<>();
    Matcher m = FILE_NAME.matcher(wide);
    while (m.find()) {
      names.add(m.group());
    }
    for (String name : names) {
      assertThat(lines.stream().anyMatch(l -> l.contains(name)))
          .as("%s is split in:%n%s", name, narrow)
          .isTrue();
    }

    List<String> examples = new ArrayList<>();
    boolean inExamples = false;
    for (String l : wide.lines().toList()) {
      inExamples = l.equals("Examples:") || (inExamples && !l.isBlank());
      if (inExamples && l.startsWith(" ")) {
        examples.add(l);
      }
    }
    for (String example : examples) {
      assertThat(lines).as("example line split:%n%s", narrow).contains(example);
    }
  }
}
