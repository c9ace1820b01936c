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
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Map;
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
    AtomicFiles.createDirectories(dir, perms);
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
  public Attributes attributes(Path file) {
    try {
      Map<String, Object> a =
          Files.readAttributes(file, "unix:uid,gid,mode"); // a linked file's own attributes
      int mode = (Integer) a.get("mode");
      return new Attributes((Integer) a.get("uid"), (Integer) a.get("gid"), permissions(mode));
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException | UnsupportedOperationException e) {
      throw KcertException.about(file, "cannot read its owner and mode: " + KcertException.oneLine(e), e);
    }
  }

  @Override
  public void setOwner(Path file, int uid, int gid) {
    try {
      Files.setAttribute(file, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
      Files.setAttribute(file, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
    } catch (IOException | UnsupportedOperationException e) {
      String why = e instanceof AccessDeniedException ? "permission denied" : KcertException.oneLine(e);
      throw KcertException.about(
          file, "cannot give it the owner " + uid + ":" + gid + " of the file it replaces: " + why, e);
    }
  }

  /** The permission bits of a Unix mode. */
  static Set<PosixFilePermission> permissions(int mode) {
    Set<PosixFilePermission> perms = EnumSet.noneOf(PosixFilePermission.class);
    PosixFilePermission[] order = {
      PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE,
      PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
      PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE
    };
    for (int i = 0; i < 9; i++) {
      if ((mode & (0400 >> i)) != 0) {
        perms.add(order[i]);
      }
    }
    return perms;
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
