package dev.kcert.core.renewal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;

/**
 * A hook for the crash-injection test ({@code CrashKillIT}) and its campaign in {@code bench/run},
 * off unless two system properties are set:
 *
 * <ul>
 *   <li>{@code kcert.test.step-log=FILE}: every writing step of the file operations (make a folder,
 *       write a temporary file, rename, delete, change an owner) appends one line {@code <n>
 *       <step> <file name>} to FILE, numbered from 1 in the order the process takes them, before
 *       the step runs;
 *   <li>{@code kcert.test.pause-at=N}: at step N, after its line is written and before the step
 *       runs, the process stops and waits, for the test to kill it with SIGKILL.
 * </ul>
 *
 * Without the properties, {@link #wrap} returns the real operations unchanged.
 */
final class StepHook implements FileOps {
  static final String STEP_LOG = "kcert.test.step-log";
  static final String PAUSE_AT = "kcert.test.pause-at";

  /** Steps are numbered per process: every wrapper (the lock's, the installer's) counts on. */
  private static long step;

  private final FileOps real;
  private final Path log;
  private final long pauseAt;

  private StepHook(FileOps real, Path log, long pauseAt) {
    this.real = real;
    this.log = log;
    this.pauseAt = pauseAt;
  }

  static FileOps wrap(FileOps real) {
    String log = System.getProperty(STEP_LOG);
    if (log == null) {
      return real;
    }
    String pause = System.getProperty(PAUSE_AT);
    return new StepHook(real, Path.of(log), pause == null ? -1 : Long.parseLong(pause));
  }

  private void step(String what, Path file) {
    synchronized (StepHook.class) {
      count(what, file);
    }
  }

  private void count(String what, Path file) {
    step++;
    String line = step + " " + what + " " + file.getFileName() + "\n";
    try {
      Files.write(
          log,
          line.getBytes(StandardCharsets.UTF_8),
          StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (step == pauseAt) {
      while (true) {
        try {
          Thread.sleep(60_000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  @Override
  public byte[] read(Path file) {
    return real.read(file);
  }

  @Override
  public boolean exists(Path file) {
    return real.exists(file);
  }

  @Override
  public void createDirectories(Path dir, Set<PosixFilePermission> perms) {
    step("mkdir", dir);
    real.createDirectories(dir, perms);
  }

  @Override
  public Path writeTemp(Path target, byte[] content, Set<PosixFilePermission> perms) {
    step("write", target);
    return real.writeTemp(target, content, perms);
  }

  @Override
  public void rename(Path from, Path to) {
    step("rename", to);
    real.rename(from, to);
  }

  @Override
  public void delete(Path file) {
    step("delete", file);
    real.delete(file);
  }

  @Override
  public Attributes attributes(Path file) {
    return real.attributes(file);
  }

  @Override
  public void setOwner(Path file, int uid, int gid) {
    step("chown", file);
    real.setOwner(file, uid, gid);
  }
}
