package dev.kcert.core.renewal;

import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;

/**
 * The file-system steps the {@link Installer} takes, one method per step. The real implementation
 * is {@link #system()}; tests substitute one that fails or stops at a chosen step, to show that
 * every step can fail without leaving a certificate and its key mismatched.
 */
public interface FileOps {
  /** Reads a whole file. */
  byte[] read(Path file);

  /** Whether a file exists. */
  boolean exists(Path file);

  /** Creates a folder (and its parents) with the given mode when it does not exist. */
  void createDirectories(Path dir, Set<PosixFilePermission> perms);

  /**
   * Writes {@code content} to a new temporary file in {@code target}'s folder with the given mode,
   * flushed to disk, and returns it. The target is not touched.
   */
  Path writeTemp(Path target, byte[] content, Set<PosixFilePermission> perms);

  /** Renames {@code from} over {@code to} atomically and flushes the folder. */
  void rename(Path from, Path to);

  /** Deletes a file if it exists. */
  void delete(Path file);

  /**
   * A file's owner, group and mode (of the file a symbolic link points to).
   *
   * @param uid numeric owner
   * @param gid numeric group
   * @param permissions mode
   */
  record Attributes(int uid, int gid, Set<PosixFilePermission> permissions) {
    public Attributes {
      permissions = Set.copyOf(permissions);
    }
  }

  /** A file's owner, group and mode; {@code null} when it does not exist. */
  default Attributes attributes(Path file) {
    return SystemFileOps.INSTANCE.attributes(file);
  }

  /** Gives a file (a temporary file about to be renamed) an owner and a group. */
  default void setOwner(Path file, int uid, int gid) {
    SystemFileOps.INSTANCE.setOwner(file, uid, gid);
  }

  /** The operations on the real file system. */
  static FileOps system() {
    return StepHook.wrap(SystemFileOps.INSTANCE);
  }
}
