package dev.kcert.core.renewal;

import dev.kcert.core.pki.AtomicFiles;
import dev.kcert.core.model.KcertException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Keeps two installing runs (a timer's and a person's, say) from interleaving: an exclusive lock on
 * {@code kcert.lock} in the backup folder's parent, held from recovery to the end of installation.
 */
public final class RunLock implements AutoCloseable {
  public static final String FILE_NAME = "kcert.lock";

  private final FileChannel channel;
  private final FileLock lock;

  private RunLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  /**
   * Takes the lock, or fails at once when another run holds it.
   *
   * @throws KcertException naming the lock file
   */
  public static RunLock acquire(Path backupParent) {
    Path file = backupParent.resolve(FILE_NAME);
    FileChannel ch = null;
    try {
      Installer.checkPrivateFolder(backupParent);
      FileOps.system().createDirectories(backupParent, Installer.PRIVATE_DIR);
      if (Files.isSymbolicLink(file)) {
        throw KcertException.about(file, "is a symbolic link; kcert never opens its lock through one");
      }
      // NOFOLLOW_LINKS: a link planted after the look above is refused by the system (ELOOP),
      // never followed to create or truncate its target
      ch =
          FileChannel.open(
              file,
              java.util.Set.of(
                  StandardOpenOption.CREATE, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS),
              PosixFilePermissions.asFileAttribute(AtomicFiles.PRIVATE));
      FileLock l;
      try {
        l = ch.tryLock();
      } catch (OverlappingFileLockException e) {
        l = null;
      }
      if (l == null) {
        throw KcertException.about(file, "another kcert run is renewing or importing; try again later");
      }
      RunLock lock = new RunLock(ch, l);
      ch = null;
      return lock;
    } catch (IOException e) {
      throw KcertException.about(file, "cannot lock: " + KcertException.oneLine(e), e);
    } finally {
      if (ch != null) {
        try {
          ch.close();
        } catch (IOException ignored) {
          // nothing was locked
        }
      }
    }
  }


  @Override
  public void close() {
    try {
      lock.release();
    } catch (IOException ignored) {
      // closing the channel releases it too
    }
    try {
      channel.close();
    } catch (IOException ignored) {
      // the lock dies with the process anyway
    }
  }
}
