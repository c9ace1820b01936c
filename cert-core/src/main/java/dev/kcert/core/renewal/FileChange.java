package dev.kcert.core.renewal;

import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;

/**
 * One file an {@link Installer} replaces or creates.
 *
 * @param target the file
 * @param content its new bytes
 * @param permissions its mode
 * @param backupName where its old content goes, relative to the backup folder ({@code
 *     pki/apiserver.crt}, {@code admin.conf})
 */
public record FileChange(
    Path target, byte[] content, Set<PosixFilePermission> permissions, String backupName) {

  public FileChange {
    permissions = Set.copyOf(permissions);
  }
}
