package dev.kcert.core.pki;

import dev.kcert.core.model.KcertException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Crash-safe file writes: the content goes to a temporary file in the target's folder, is flushed
 * to disk with the final permissions already set, and is then renamed over the target; the folder
 * is flushed too. A reader sees the old file or the new one, never a mix.
 */
public final class AtomicFiles {
  /** Private keys and kubeconfig files. */
  public static final Set<PosixFilePermission> PRIVATE = PosixFilePermissions.fromString("rw-------");
  /** Certificates and public keys. */
  public static final Set<PosixFilePermission> PUBLIC = PosixFilePermissions.fromString("rw-r--r--");

  private AtomicFiles() {}

  /** Folders kcert creates: 0700 whatever the umask. */
  public static final Set<PosixFilePermission> PRIVATE_DIR = PosixFilePermissions.fromString("rwx------");

  /** Replaces (or creates) {@code target} with {@code content}; missing folders are made 0700. */
  public static void write(Path target, byte[] content, Set<PosixFilePermission> perms) {
    Path dir = target.toAbsolutePath().getParent();
    createDirectories(dir, PRIVATE_DIR);
    Path tmp = writeTemp(target, content, perms);
    try {
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      tmp = null;
      syncDirectory(dir);
    } catch (IOException e) {
      throw cannotWrite(target, e);
    } finally {
      deleteQuietly(tmp);
    }
  }

  /**
   * Writes {@code content} to a new temporary file beside {@code target}, with {@code perms} set
   * before any byte is written, and flushes it to disk. Renaming it over the target is the
   * caller's step.
   *
   * @return the temporary file
   */
  public static Path writeTemp(Path target, byte[] content, Set<PosixFilePermission> perms) {
    Path dir = target.toAbsolutePath().getParent();
    Path tmp = null;
    try {
      tmp = createTemp(dir, target.getFileName().toString(), perms);
      writeFully(tmp, content);
      Path done = tmp;
      tmp = null;
      return done;
    } catch (IOException e) {
      throw cannotWrite(target, e);
    } finally {
      deleteQuietly(tmp);
    }
  }

  private static KcertException cannotWrite(Path target, IOException e) {
    String why = e instanceof AccessDeniedException ? "permission denied" : KcertException.oneLine(e);
    return KcertException.about(target, "cannot write: " + why, e);
  }

  private static void deleteQuietly(Path tmp) {
    if (tmp != null) {
      try {
        Files.deleteIfExists(tmp);
      } catch (IOException ignored) {
        // a stray temporary file is left behind; the target is untouched
      }
    }
  }

  /** Like {@link #write}, but refuses when {@code target} exists. */
  public static void writeNew(Path target, byte[] content, Set<PosixFilePermission> perms) {
    if (Files.exists(target, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      throw KcertException.about(target, "already exists; refusing to overwrite it");
    }
    write(target, content, perms);
  }

  /** Writes all of {@code content} into an existing file and flushes it to disk. */
  public static void writeFully(Path file, byte[] content) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ByteBuffer buf = ByteBuffer.wrap(content);
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
      ch.force(true);
    }
  }

  /**
   * Flushes a folder's entries to disk, so that a rename in it survives a crash.
   *
   * @throws KcertException naming the folder when it cannot be flushed (an I/O error): the rename
   *     has happened but may not survive a power loss, which the caller must hear about
   */
  public static void syncDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      throw KcertException.about(dir, "cannot flush folder to disk: " + KcertException.oneLine(e), e);
    }
  }

  /**
   * Creates a folder and every missing parent, each with {@code perms} set after it is made (so the
   * umask does not widen or narrow them), each parent flushed. Existing folders are left as they
   * are.
   */
  public static void createDirectories(Path dir, Set<PosixFilePermission> perms) {
    Path abs = dir.toAbsolutePath().normalize();
    if (Files.isDirectory(abs)) {
      return;
    }
    Path parent = abs.getParent();
    if (parent != null) {
      createDirectories(parent, perms);
    }
    try {
      Files.createDirectory(abs);
      PosixFileAttributeView view = Files.getFileAttributeView(abs, PosixFileAttributeView.class);
      if (view != null) {
        view.setPermissions(perms);
      }
    } catch (FileAlreadyExistsException e) {
      if (!Files.isDirectory(abs)) {
        throw KcertException.about(abs, "cannot create folder: a file of that name exists", e);
      }
      return;
    } catch (AccessDeniedException e) {
      throw KcertException.about(abs, "cannot create folder: permission denied", e);
    } catch (IOException e) {
      throw KcertException.about(abs, "cannot create folder: " + KcertException.oneLine(e), e);
    }
    if (parent != null) {
      syncDirectory(parent);
    }
  }

  private static Path createTemp(Path dir, String name, Set<PosixFilePermission> perms)
      throws IOException {
    PosixFileAttributeView posix = null;
    try {
      Path tmp =
          Files.createTempFile(
              dir, "." + name + ".", ".kcert-tmp", PosixFilePermissions.asFileAttribute(perms));
      posix = Files.getFileAttributeView(tmp, PosixFileAttributeView.class);
      if (posix != null) {
        posix.setPermissions(perms); // the umask may have narrowed them
      }
      return tmp;
    } catch (UnsupportedOperationException e) {
      return Files.createTempFile(dir, "." + name + ".", ".kcert-tmp");
    } catch (FileAlreadyExistsException e) {
      throw new IOException("temporary file clash in " + dir, e);
    }
  }
}
