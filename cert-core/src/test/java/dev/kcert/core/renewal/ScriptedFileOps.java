package dev.kcert.core.renewal;

import dev.kcert.core.model.KcertException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.BiFunction;

/**
 * {@link FileOps} on the real file system that counts its writing steps and can fail, or "die", at
 * a chosen one: a failure throws an exception the installer sees; a death throws {@link Crash},
 * which nothing catches, leaving the disk as a killed process would.
 */
final class ScriptedFileOps implements FileOps {
  /** The process died here. */
  static final class Crash extends Error {
    private static final long serialVersionUID = 1L;

    Crash(String message) {
      super(message);
    }
  }

  private final FileOps real = FileOps.system();
  private final int failAt;
  private final boolean crash;
  private int step;
  private boolean dead;
  final List<String> steps = new ArrayList<>();
  private BiFunction<Path, byte[], byte[]> contentFilter = (p, c) -> c;

  private ScriptedFileOps(int failAt, boolean crash) {
    this.failAt = failAt;
    this.crash = crash;
  }

  /** Counts steps, never fails. */
  static ScriptedFileOps counting() {
    return new ScriptedFileOps(0, false);
  }

  /** Throws an exception at step {@code n} (1-based), once. */
  static ScriptedFileOps failingAt(int n) {
    return new ScriptedFileOps(n, false);
  }

  /** Dies at step {@code n}: that step and every later one throw {@link Crash}. */
  static ScriptedFileOps dyingAt(int n) {
    return new ScriptedFileOps(n, true);
  }

  /** Changes what gets written to a file. */
  ScriptedFileOps filteringContent(BiFunction<Path, byte[], byte[]> filter) {
    this.contentFilter = filter;
    return this;
  }

  int steps() {
    return step;
  }

  private void step(String what) {
    if (dead) {
      throw new Crash("already dead");
    }
    step++;
    steps.add(what);
    if (step == failAt) {
      if (crash) {
        dead = true;
        throw new Crash("died at step " + step + " (" + what + ")");
      }
      throw new KcertException("injected failure at step " + step + " (" + what + ")");
    }
  }

  @Override
  public byte[] read(Path file) {
    if (dead) {
      throw new Crash("already dead");
    }
    return real.read(file);
  }

  @Override
  public boolean exists(Path file) {
    return real.exists(file);
  }

  @Override
  public void createDirectories(Path dir, Set<PosixFilePermission> perms) {
    step("mkdir " + dir.getFileName());
    real.createDirectories(dir, perms);
  }

  @Override
  public Path writeTemp(Path target, byte[] content, Set<PosixFilePermission> perms) {
    step("write " + target.getFileName());
    return real.writeTemp(target, contentFilter.apply(target, content), perms);
  }

  @Override
  public void rename(Path from, Path to) {
    step("rename " + to.getFileName());
    real.rename(from, to);
  }

  @Override
  public void delete(Path file) {
    step("delete " + file.getFileName());
    real.delete(file);
  }
}
