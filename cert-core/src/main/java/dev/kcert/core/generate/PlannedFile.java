package dev.kcert.core.generate;

import dev.kcert.core.model.KcertException;
import dev.kcert.core.pki.AtomicFiles;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Set;

/**
 * A file to be written: computed in memory first, written at the edge.
 *
 * @param path where it goes
 * @param content its bytes
 * @param permissions its mode (0600 for keys and kubeconfigs, 0644 for certificates)
 */
public record PlannedFile(Path path, byte[] content, Set<PosixFilePermission> permissions) {

  /**
   * Writes new files, refusing before writing any when one of them exists (a dangling link
   * counts), so that a refusal leaves nothing half-written.
   */
  public static void writeAllNew(List<PlannedFile> files) {
    for (PlannedFile f : files) {
      if (Files.exists(f.path(), LinkOption.NOFOLLOW_LINKS)) {
        throw KcertException.about(f.path(), "already exists; refusing to overwrite it");
      }
    }
    for (PlannedFile f : files) {
      AtomicFiles.writeNew(f.path(), f.content(), f.permissions());
    }
  }
}
