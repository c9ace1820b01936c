package dev.kcert.core.renewal;

import dev.kcert.core.model.KcertException;
import dev.kcert.core.pki.AtomicFiles;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Replaces sets of files so that a certificate and its key never end up mismatched.
 *
 * <ol>
 *   <li>Every file about to change is copied into a new backup folder ({@code
 *       kcert-backup-<UTC timestamp>}, layout kept), each copy flushed to disk.
 *   <li>A journal listing those files is written into the backup folder, state {@code
 *       in-progress}.
 *   <li>Every new file is written to a temporary file beside its target and flushed; a failure
 *       up to here leaves the targets untouched.
 *   <li>The temporary files are renamed over their targets, keys before certificates.
 *   <li>Every change set is read back and checked.
 *   <li>The journal's state becomes {@code complete}.
 * </ol>
 *
 * A failure in steps 4 to 6 restores every target from the backup before the exception leaves. If
 * the process dies in those steps, the journal is still {@code in-progress}; {@link #recover}
 * (which every installing command runs first) restores the files from the backup. Either way each
 * pair on disk ends up entirely old or entirely new.
 */
public final class Installer {
  public static final String BACKUP_PREFIX = "kcert-backup-";

  static final Set<PosixFilePermission> PRIVATE_DIR = PosixFilePermissions.fromString("rwx------");

  private static final DateTimeFormatter STAMP =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  private final FileOps ops;

  public Installer(FileOps ops) {
    this.ops = ops;
  }

  /** What an installation did. */
  public record Result(Path backupDir, int filesReplaced) {}

  /** What {@link #recover} found and undid. */
  public record Recovery(Path backupDir, int filesRestored) {}

  /**
   * Installs change sets.
   *
   * @param backupParent the folder that receives the backup folder ({@code /etc/kubernetes/tmp})
   * @param now names the backup folder
   * @throws InstallException when a step fails; the message says what was restored
   */
  public Result install(Path backupParent, Instant now, List<ChangeSet> changes) {
    List<FileChange> files = changes.stream().flatMap(c -> c.files().stream()).toList();
    Path backupDir = null;
    List<Journal.Entry> entries = new ArrayList<>();
    Map<FileChange, Path> staged = new LinkedHashMap<>();
    try {
      backupDir = newBackupDir(backupParent, now);
      for (FileChange f : files) {
        boolean existed = ops.exists(f.target());
        if (existed) {
          Path copy = backupDir.resolve(f.backupName());
          ops.createDirectories(copy.getParent(), PRIVATE_DIR);
          writeAtomically(copy, ops.read(f.target()), AtomicFiles.PRIVATE);
        }
        entries.add(new Journal.Entry(existed, f.permissions(), f.backupName(), f.target()));
      }
      writeJournal(backupDir, Journal.IN_PROGRESS, entries);
      for (FileChange f : files) {
        staged.put(f, ops.writeTemp(f.target(), f.content(), f.permissions()));
      }
    } catch (RuntimeException e) {
      discard(staged.values());
      if (!entries.isEmpty() && backupDir != null && journalWritten(backupDir)) {
        markQuietly(backupDir, Journal.ROLLED_BACK, entries);
      }
      throw new InstallException(
          KcertException.oneLine(e) + "; nothing was changed", e, backupDir, true);
    }

    int replaced = 0;
    try {
      for (ChangeSet c : changes) {
        for (FileChange f : c.files()) {
          ops.rename(staged.get(f), f.target());
          staged.remove(f);
          replaced++;
        }
      }
      for (ChangeSet c : changes) {
        try {
          c.verification().run();
        } catch (RuntimeException e) {
          throw new KcertException(
              c.name() + ": verification after writing failed: " + KcertException.oneLine(e), e);
        }
      }
      writeJournal(backupDir, Journal.COMPLETE, entries);
      return new Result(backupDir, replaced);
    } catch (RuntimeException e) {
      discard(staged.values());
      String what = KcertException.oneLine(e);
      try {
        int restored = restore(entries, backupDir);
        writeJournal(backupDir, Journal.ROLLED_BACK, entries);
        throw new InstallException(
            what
                + "; restored the "
                + restored
                + (restored == 1 ? " file" : " files")
                + " already replaced from "
                + backupDir,
            e,
            backupDir,
            true);
      } catch (InstallException ie) {
        throw ie;
      } catch (RuntimeException re) {
        throw new InstallException(
            what
                + "; restoring from "
                + backupDir
                + " failed too ("
                + KcertException.oneLine(re)
                + "): the next run will retry, or copy the files back from there by hand",
            e,
            backupDir,
            false);
      }
    }
  }

  /** The backup folders of runs that stopped half-way, without touching anything. */
  public List<Path> interrupted(Path backupParent) {
    List<Path> found = new ArrayList<>();
    for (Path dir : backupDirs(backupParent)) {
      if (inProgressJournal(dir) != null) {
        found.add(dir);
      }
    }
    return found;
  }

  /**
   * The journal of a backup folder whose run stopped half-way; {@code null} when it finished,
   * was rolled back, or never got as far as replacing anything (no journal).
   */
  private byte[] inProgressJournal(Path dir) {
    Path journal = dir.resolve(Journal.FILE_NAME);
    if (!ops.exists(journal)) {
      return null;
    }
    byte[] text = ops.read(journal);
    return Journal.IN_PROGRESS.equals(Journal.state(text, journal)) ? text : null;
  }

  /**
   * Looks for runs that stopped half-way (journal still {@code in-progress}) in {@code
   * backupParent} and restores their files from their backups.
   */
  public List<Recovery> recover(Path backupParent) {
    List<Recovery> recovered = new ArrayList<>();
    for (Path dir : backupDirs(backupParent)) {
      byte[] text = inProgressJournal(dir);
      if (text == null) {
        continue;
      }
      List<Journal.Entry> entries = Journal.entries(text, dir.resolve(Journal.FILE_NAME));
      for (Journal.Entry e : entries) {
        deleteStrayTemps(e.target());
      }
      int restored = restore(entries, dir);
      writeJournal(dir, Journal.ROLLED_BACK, entries);
      recovered.add(new Recovery(dir, restored));
    }
    return recovered;
  }

  /**
   * Undoes a run that completed: puts back every file its backup folder holds (and deletes the
   * files it created), then marks the journal {@code rolled-back}. Used when the components did not
   * come back with the new certificates.
   *
   * @return how many files had to change
   */
  public int rollBack(Path backupDir) {
    Path journal = backupDir.resolve(Journal.FILE_NAME);
    if (!ops.exists(journal)) {
      throw KcertException.about(backupDir, "has no journal; cannot roll back from it");
    }
    List<Journal.Entry> entries = Journal.entries(ops.read(journal), journal);
    int restored = restore(entries, backupDir);
    writeJournal(backupDir, Journal.ROLLED_BACK, entries);
    return restored;
  }

  private static List<Path> backupDirs(Path backupParent) {
    List<Path> dirs = new ArrayList<>();
    if (!Files.isDirectory(backupParent)) {
      return dirs;
    }
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(backupParent, BACKUP_PREFIX + "*")) {
      ds.forEach(dirs::add);
    } catch (IOException e) {
      throw KcertException.about(backupParent, "cannot list: " + KcertException.oneLine(e), e);
    }
    dirs.sort(null);
    return dirs;
  }

  /** Puts every entry back as the backup has it; returns how many files had to change. */
  private int restore(List<Journal.Entry> entries, Path backupDir) {
    int restored = 0;
    for (Journal.Entry e : entries) {
      if (!e.existed()) {
        if (ops.exists(e.target())) {
          ops.delete(e.target());
          restored++;
        }
        continue;
      }
      byte[] old = ops.read(backupDir.resolve(e.backupName()));
      if (ops.exists(e.target()) && Arrays.equals(ops.read(e.target()), old)) {
        continue;
      }
      writeAtomically(e.target(), old, e.permissions());
      restored++;
    }
    return restored;
  }

  private Path newBackupDir(Path parent, Instant now) {
    ops.createDirectories(parent, PRIVATE_DIR);
    String base = BACKUP_PREFIX + STAMP.format(now);
    Path dir = parent.resolve(base);
    for (int i = 1; ops.exists(dir); i++) {
      dir = parent.resolve(base + "-" + i);
    }
    ops.createDirectories(dir, PRIVATE_DIR);
    return dir;
  }

  private void writeJournal(Path backupDir, String state, List<Journal.Entry> entries) {
    writeAtomically(
        backupDir.resolve(Journal.FILE_NAME), Journal.render(state, entries), AtomicFiles.PRIVATE);
  }

  private boolean journalWritten(Path backupDir) {
    return ops.exists(backupDir.resolve(Journal.FILE_NAME));
  }

  private void markQuietly(Path backupDir, String state, List<Journal.Entry> entries) {
    try {
      writeJournal(backupDir, state, entries);
    } catch (RuntimeException ignored) {
      // nothing was replaced: a later recovery finds every target equal to its backup
    }
  }

  private void writeAtomically(Path target, byte[] content, Set<PosixFilePermission> perms) {
    Path tmp = ops.writeTemp(target, content, perms);
    try {
      ops.rename(tmp, target);
    } catch (RuntimeException e) {
      discard(List.of(tmp));
      throw e;
    }
  }

  private void discard(Iterable<Path> temps) {
    for (Path t : temps) {
      try {
        ops.delete(t);
      } catch (RuntimeException ignored) {
        // a stray temporary file next to its target; it is never read
      }
    }
  }

  private void deleteStrayTemps(Path target) {
    Path dir = target.toAbsolutePath().getParent();
    String glob = "." + target.getFileName() + ".*.kcert-tmp";
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, glob)) {
      for (Path p : ds) {
        ops.delete(p);
      }
    } catch (IOException | RuntimeException ignored) {
      // leftovers are harmless: they are never read
    }
  }
}
