package dev.kcert.kube;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

class ComponentCommandTest {
  @Command(name = "kcert-test", mixinStandardHelpOptions = true, versionProvider = ComponentCommand.Version.class)
  static final class Probe implements Callable<Integer> {
    @Option(names = "--fail")
    String fail = "";

    @Override
    public Integer call() {
      switch (fail) {
        case "option" -> throw new ComponentCommand.BadOption("--fail: not a good value");
        case "io" -> throw new IllegalStateException("cannot reach the API server\nat line two");
        default -> {
          return 0;
        }
      }
    }
  }

  record Run(int code, String err) {}

  static Run run(String... args) {
    StringWriter err = new StringWriter();
    int code = ComponentCommand.execute(new Probe(), new PrintWriter(err, true), args);
    return new Run(code, err.toString());
  }

  @Test
  void aBadOptionIsAUsageErrorOnOneLine() {
    Run r = run("--fail", "option");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).isEqualTo("kcert-test: --fail: not a good value" + System.lineSeparator());
  }

  @Test
  void anyOtherFailureIsOneErrorLineAndExitCodeOne() {
    Run r = run("--fail", "io");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).startsWith("kcert-test: error: cannot reach the API server").doesNotContain("\tat ");
    assertThat(r.err().strip()).doesNotContain("\n");
  }

  @Test
  void anUnknownOptionIsAUsageError() {
    Run r = run("--nonsense");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("--nonsense");
  }

  @Test
  void theVersionNamesTheCommandAndItsBuild() {
    PrintStream out = System.out;
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    try {
      assertThat(run("--version").code()).isZero();
    } finally {
      System.setOut(out);
    }
    // the test classes come from a folder, not a jar with a manifest
    assertThat(bytes.toString(StandardCharsets.UTF_8).strip()).isEqualTo("kcert-test (development build)");
  }
}
