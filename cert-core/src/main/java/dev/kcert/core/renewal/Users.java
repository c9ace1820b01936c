package dev.kcert.core.renewal;

import dev.kcert.core.model.KcertException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Who is running kcert, with java.base alone (images linked with few modules have no more). */
final class Users {
  private Users() {}

  /**
   * The numeric user id of this process: the owner of {@code /proc/self} on Linux, else the owner
   * of a file it creates.
   */
  static long effectiveUid() {
    try {
      return ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).longValue();
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      try {
        Path probe = Files.createTempFile("kcert-uid-", ".tmp");
        try {
          return ((Number) Files.getAttribute(probe, "unix:uid")).longValue();
        } finally {
          Files.deleteIfExists(probe);
        }
      } catch (IOException | UnsupportedOperationException | IllegalArgumentException e2) {
        throw new KcertException("cannot tell which user runs kcert: " + KcertException.oneLine(e2), e2);
      }
    }
  }
}
