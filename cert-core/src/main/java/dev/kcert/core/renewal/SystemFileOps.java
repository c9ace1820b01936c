package dev.kcert.core.renewal;

import dev.kcert.core.model.KcertException;
import dev.kcert.core.pem.Pem;
import dev.kcert.core.pki.AtomicFiles;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;

/** {@link FileOps} on the real file system: temporary files, fsync, atomic rename. */
final class SystemFileOps implements FileOps {
  static final SystemFileOps INSTANCE = new SystemFileOps();

  private SystemFileOps() {}

  @Override
  public byte[] read(Path file) {
    try {
      return Pem.readFile(file);
    } catch (KcertException e) {
      if (e.getCause() instanceof NoSuchFileException) {
        throw KcertException.about(file, "missing", e.getCause()); // renewal's word for it
      }
      throw e;
    }
  }

  @Override
  public boolean exists(Path file) {
    return Files.exists(file, LinkOption.NOFOLLOW_LINKS);
  }

  @Override
  public void createDirectories(Path dir, Set<PosixFilePermission> perms) {
    try {
      if (Files.isDirectory(dir)) {
        return;
      }
      Path parent = dir.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      Files.createDirectory(dir);
      PosixFileAttributeView view = Files.getFileAttributeView(dir, PosixFileAttributeView.class);
      if (view != null) {
        view.setPermissions(perms);
      }
      if (parent != null) {
        AtomicFiles.syncDirectory(parent);
      }
    } catch (AccessDeniedException e) {
      throw KcertException.about(dir, "cannot create folder: permission denied", e);
    } catch (IOException e) {
      throw KcertException.about(dir, "cannot create folder: " + KcertException.oneLine(e), e);
    }
  }

  @Override
  public Path writeTemp(Path target, byte[] content, Set<PosixFilePermission> perms) {
    return AtomicFiles.writeTemp(target, content, perms);
  }

  @Override
  public void rename(Path from, Path to) {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      AtomicFiles.syncDirectory(to.toAbsolutePath().getParent());
    } catch (AccessDeniedException e) {
      throw KcertException.about(to, "cannot replace: permission denied", e);
    } catch (IOException e) {
      throw KcertException.about(to, "cannot replace: " + KcertException.oneLine(e), e);
    }
  }

  @Override
  public void delete(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      throw KcertException.about(file, "cannot delete: " + KcertException.oneLine(e), e);
    }
  }
}
