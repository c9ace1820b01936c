package dev.kcert.core.renewal;

import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the openssl command line, for independent checks of what kcert writes. */
final class Openssl {
  /**
   * The outcome of one run.
   *
   * @param exitCode the exit code
   * @param output standard output and standard error, merged
   */
  record Result(int exitCode, String output) {}

  private Openssl() {}

  /** Runs openssl in {@code dir}; fails the test when it exits non-zero. */
  static String ok(Path dir, String... args) {
    Result r = run(dir, args);
    if (r.exitCode() != 0) {
      fail("openssl " + String.join(" ", args) + " exited " + r.exitCode() + ":\n" + r.output());
    }
    return r.output();
  }

  /** Runs openssl in {@code dir}; fails the test (never skips it) when openssl is absent. */
  static Result run(Path dir, String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add("openssl");
    cmd.addAll(List.of(args));
    try {
      Process p =
          new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
      p.getOutputStream().close();
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        fail("openssl " + String.join(" ", args) + " did not finish within 60 s");
      }
      return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new AssertionError(
          "cannot run openssl (" + e.getMessage() + "): these tests need the openssl command;"
              + " install it (CI does)",
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
