package dev.kcert.dist;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Where the build put the tarball and images, and a way to run a process with a time limit. */
final class Dist {
  static final Path DIR = Path.of(System.getProperty("dist.dir", "target/dist"));
  static final String VERSION = System.getProperty("dist.version", "0.1.0-SNAPSHOT");
  static final Instant TIME = Instant.parse(System.getProperty("dist.epoch", "2026-11-01T00:00:00Z"));

  private Dist() {}

  static Path tarball() throws IOException {
    try (var s = Files.list(DIR)) {
      return s.filter(p -> p.getFileName().toString().matches("kcert-.*-linux-[a-z0-9]+\\.tar\\.gz"))
          .findFirst()
          .orElseThrow(() -> new IOException("no kcert tarball in " + DIR));
    }
  }

  /**
   * One finished process.
   *
   * @param code exit code
   * @param out standard output
   * @param err standard error
   */
  record Result(int code, String out, String err) {}

  static Result run(List<String> command, Map<String, String> env, boolean clearEnv, Duration limit)
      throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(command);
    if (clearEnv) {
      pb.environment().clear();
    }
    pb.environment().putAll(env);
    Path err = Files.createTempFile("dist-err", ".txt");
    pb.redirectError(err.toFile());
    Process p = pb.start();
    String out;
    try (InputStream in = p.getInputStream()) {
      out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    if (!p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException(command + " did not finish within " + limit);
    }
    String e = Files.readString(err);
    Files.delete(err);
    return new Result(p.exitValue(), out, e);
  }
}
