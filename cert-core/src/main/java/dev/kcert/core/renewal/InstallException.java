package dev.kcert.core.renewal;

import dev.kcert.core.model.KcertException;
import java.nio.file.Path;

/** An installation that failed; the message says whether what it had replaced was restored. */
public final class InstallException extends KcertException {
  private static final long serialVersionUID = 1L;

  private final transient Path backupDir;
  private final boolean restored;

  InstallException(String message, Throwable cause, Path backupDir, boolean restored) {
    super(message, cause);
    this.backupDir = backupDir;
    this.restored = restored;
  }

  /** The backup folder of the failed run, or {@code null} when it was not made. */
  public Path backupDir() {
    return backupDir;
  }

  /** Whether every file on disk is again what it was before the run. */
  public boolean restored() {
    return restored;
  }
}
