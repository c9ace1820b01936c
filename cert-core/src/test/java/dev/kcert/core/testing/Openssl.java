package dev.kcert.core.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the openssl command as an independent judge. Tests that call it are {@code *IT}; when
 * openssl is absent they fail with a message, since CI installs it.
 */
public final class Openssl {
  private Openssl() {}

  /** The result of one run. */
  public record Result(int exitCode, String output) {}

  public static Result run(Path workDir, String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add("openssl");
    cmd.addAll(List.of(args));
    try {
      Process p =
          new ProcessBuilder(cmd).directory(workDir.toFile()).redirectErrorStream(true).start();
      p.getOutputStream().close();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError("openssl " + String.join(" ", args) + " timed out");
      }
      return new Result(p.exitValue(), out);
    } catch (IOException e) {
      throw new AssertionError(
          "cannot run openssl (install it: apt-get install openssl): " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** Runs openssl and fails the test unless it exits 0. */
  public static String ok(Path workDir, String... args) {
    Result r = run(workDir, args);
    if (r.exitCode() != 0) {
      throw new AssertionError(
          "openssl " + String.join(" ", args) + " exited " + r.exitCode() + ":\n" + r.output());
    }
    return r.output();
  }
}
