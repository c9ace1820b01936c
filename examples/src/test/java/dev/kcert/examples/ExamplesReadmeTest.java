package dev.kcert.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every example command of the README's "Library examples" block, in order, with the README's
 * arguments (its folder moved to a temporary one): each must exit 0. The Maven profile that runs
 * them is the one in this module's pom; what it calls is each example's {@code main}, whose work
 * is {@code run(String[], PrintStream)}, called here.
 */
class ExamplesReadmeTest {
  private static final Pattern COMMAND =
      Pattern.compile(
          "^mvn -q -pl examples -am process-classes -Prun -Dexample=(\\w+) -Dexample\\.args=\"([^\"]*)\"$");

  @TempDir Path tmp;

  @Test
  void everyReadmeExampleRunsAsWritten() throws Exception {
    List<String> lines = Files.readAllLines(Path.of("../README.md"));
    List<String[]> commands = new ArrayList<>();
    for (String line : lines) {
      Matcher m = COMMAND.matcher(line);
      if (m.matches()) {
        commands.add(new String[] {m.group(1), m.group(2)});
      } else {
        assertThat(line).as("an examples line the test does not understand").doesNotContain("-pl examples");
      }
    }
    assertThat(commands).extracting(c -> c[0])
        .containsExactly("MakePki", "ListExpiring", "RenewDue", "FleetExpiry", "JudgeCsr");
    for (String[] c : commands) {
      String[] args = c[1].replace("/tmp/kcert-example", tmp.resolve("pki").toString()).split(" ");
      Method run = Class.forName("dev.kcert.examples." + c[0]).getDeclaredMethod("run", String[].class, PrintStream.class);
      assertThat(run.getDeclaringClass().getMethod("main", String[].class)).isNotNull();
      ByteArrayOutputStream buf = new ByteArrayOutputStream();
      int code = (int) run.invoke(null, args, new PrintStream(buf, true, StandardCharsets.UTF_8));
      String out = buf.toString(StandardCharsets.UTF_8);
      assertThat(code).as("%s %s:%n%s", c[0], c[1], out).isZero();
      switch (c[0]) {
        case "MakePki" -> assertThat(out).startsWith("wrote 27 files below ");
        case "RenewDue" -> assertThat(out).contains("renewed apiserver until ").contains("backup of the replaced files: ");
        case "FleetExpiry" -> assertThat(out).endsWith("14 certificates read in 1 folders, 0 due\n");
        case "JudgeCsr" -> assertThat(out).startsWith("approve: ");
        default -> { }
      }
    }
    ByteArrayOutputStream denied = new ByteArrayOutputStream();
    assertThat(JudgeCsr.run(new String[] {"node-a", "10.0.0.21", "node-a", "10.0.0.99"},
        new PrintStream(denied, true, StandardCharsets.UTF_8))).isEqualTo(1);
  }
}
