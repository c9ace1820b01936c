package dev.kcert.core.renewal;

import dev.kcert.core.model.KcertException;
import dev.kcert.core.pki.AtomicFiles;
import dev.kcert.core.pki.PkiLayout;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
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
 * (which every installing command runs first) restores the files from the backup, once it has
 * checked that each still holds what it held before the run or what the run wrote (digests in the
 * journal), that the journal was written for this tree, and that the backup folder's parent is
 * private to the user running kcert. Either way each pair on disk ends up entirely old or entirely
 * new, and nothing written since by anyone else is overwritten.
 *
 * <p>A replaced file keeps its owner, group and mode (keys and kubeconfigs never looser than 0600,
 * certificates never writable by group or others), as kubeadm's in-place writes keep them.
 */
public final class Installer {
  public static final String BACKUP_PREFIX = "kcert-backup-";

  static final Set<PosixFilePermission> PRIVATE_DIR = AtomicFiles.PRIVATE_DIR;

  private static final Set<PosixFilePermission> SECRET_MASK =
      EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
  private static final Set<PosixFilePermission> PUBLIC_MASK =
      EnumSet.of(
          PosixFilePermission.OWNER_READ,
          PosixFilePermission.OWNER_WRITE,
          PosixFilePermission.GROUP_READ,
          PosixFilePermission.OTHERS_READ);

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
   * How a file is named in a journal and inside a backup folder: {@code pki/...} below the PKI
   * folder, {@code kubelet-pki/...} below the kubelet's certificate folder, else its place below
   * the kubeconfig folder. A file outside the three gets a name that installing refuses.
   */
  public static String backupName(PkiLayout layout, Path file) {
    return Journal.name(layout, file);
  }

  /** Where backups, journals and the lock go: kubeadm's {@code /etc/kubernetes/tmp}. */
  public static Path backupParent(PkiLayout layout) {
    return layout.kubeconfigDir().resolve("tmp");
  }

  /**
   * Installs change sets.
   *
   * @param now names the backup folder
   * @throws InstallException when a step fails; the message says what was restored
   */
  public Result install(PkiLayout layout, Instant now, List<ChangeSet> changes) {
    List<FileChange> files = changes.stream().flatMap(c -> c.files().stream()).toList();
    Path backupParent = backupParent(layout);
    Path backupDir = null;
    List<Journal.Entry> entries = new ArrayList<>();
    Map<FileChange, Path> staged = new LinkedHashMap<>();
    try {
      checkPrivateFolder(backupParent);
      backupDir = newBackupDir(backupParent, now);
      Map<FileChange, FileOps.Attributes> before = new HashMap<>();
      for (FileChange f : files) {
        checkTarget(layout, f);
        FileOps.Attributes old = ops.exists(f.target()) ? ops.attributes(f.target()) : null;
        String newDigest = Journal.sha256(f.content());
        if (old != null) {
          byte[] content = ops.read(f.target());
          Path copy = backupDir.resolve(f.backupName());
          ops.createDirectories(copy.getParent(), PRIVATE_DIR);
          writeAtomically(copy, content, AtomicFiles.PRIVATE);
          before.put(f, old);
          entries.add(
              new Journal.Entry(
                  f.backupName(), true, old.permissions(), old.uid(), old.gid(),
                  Journal.sha256(content), newDigest));
        } else {
          entries.add(new Journal.Entry(f.backupName(), false, null, -1, -1, null, newDigest));
        }
      }
      writeJournal(backupDir, Journal.IN_PROGRESS, layout, entries);
      for (FileChange f : files) {
        FileOps.Attributes old = before.get(f);
        Set<PosixFilePermission> mode =
            old == null ? f.permissions() : keptMode(f.permissions(), old.permissions());
        Path tmp = ops.writeTemp(f.target(), f.content(), mode);
        staged.put(f, tmp);
        if (old != null) {
          giveOwner(tmp, old.uid(), old.gid());
        }
      }
    } catch (RuntimeException e) {
      discard(staged.values());
      if (!entries.isEmpty() && backupDir != null && journalWritten(backupDir)) {
        markQuietly(backupDir, Journal.ROLLED_BACK, layout, entries);
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
      writeJournal(backupDir, Journal.COMPLETE, layout, entries);
      return new Result(backupDir, replaced);
    } catch (RuntimeException e) {
      discard(staged.values());
      String what = KcertException.oneLine(e);
      try {
        int restored = restore(layout, entries, backupDir);
        writeJournal(backupDir, Journal.ROLLED_BACK, layout, entries);
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

  /**
   * The mode a replaced file keeps: its old mode, narrowed to owner read and write for keys and
   * kubeconfigs ({@code fresh} is {@link AtomicFiles#PRIVATE}) and to 0644 for certificates; the
   * owner can always read it.
   */
  static Set<PosixFilePermission> keptMode(
      Set<PosixFilePermission> fresh, Set<PosixFilePermission> old) {
    Set<PosixFilePermission> mode = EnumSet.noneOf(PosixFilePermission.class);
    mode.addAll(old);
    mode.retainAll(fresh.equals(AtomicFiles.PRIVATE) ? SECRET_MASK : PUBLIC_MASK);
    mode.add(PosixFilePermission.OWNER_READ);
    return mode;
  }

  private void giveOwner(Path file, int uid, int gid) {
    FileOps.Attributes now = ops.attributes(file);
    if (now == null || now.uid() != uid || now.gid() != gid) {
      ops.setOwner(file, uid, gid);
    }
  }

  /** A change's target must be the file its journal name stands for. */
  private static void checkTarget(PkiLayout layout, FileChange f) {
    if (!Journal.plainName(f.backupName())
        || !Journal.target(layout, f.backupName())
            .toAbsolutePath()
            .normalize()
            .equals(f.target().toAbsolutePath().normalize())) {
      throw KcertException.about(
          f.target(), "is outside the PKI and kubeconfig folders; kcert does not replace it");
    }
  }

  /**
   * Checks that the folder holding backups, journals and the lock is a real folder (not a symbolic
   * link), owned by the user running kcert and not writable by group or others: whoever can write
   * there could plant a journal. A folder that does not exist passes (kcert makes it, 0700).
   *
   * @throws KcertException naming the folder and what is wrong with it
   */
  public static void checkPrivateFolder(Path dir) {
    BasicFileAttributes basic;
    try {
      basic = Files.readAttributes(dir, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      return;
    } catch (IOException e) {
      throw KcertException.about(dir, "cannot read its owner and mode: " + KcertException.oneLine(e), e);
    }
    if (basic.isSymbolicLink()) {
      throw KcertException.about(dir, "is a symbolic link; kcert keeps its backups and journals only in a real folder");
    }
    if (!basic.isDirectory()) {
      throw KcertException.about(dir, "is not a folder");
    }
    FileOps.Attributes a = SystemFileOps.INSTANCE.attributes(dir);
    long me = Users.effectiveUid();
    if (a.uid() != me) {
      throw KcertException.about(
          dir,
          "is owned by uid " + a.uid() + ", not by the user running kcert (uid " + me
              + "); refusing to trust backups and journals there");
    }
    if (a.permissions().contains(PosixFilePermission.GROUP_WRITE)
        || a.permissions().contains(PosixFilePermission.OTHERS_WRITE)) {
      throw KcertException.about(
          dir,
          "is writable by group or others ("
              + PosixFilePermissions.toString(a.permissions())
              + "); refusing to trust backups and journals there (chmod 700 it)");
    }
  }

  /**
   * The backup folders of runs that stopped half-way, without touching anything (a journal that
   * cannot be read counts as stopped half-way: the next installing run will say what is wrong).
   */
  public List<Path> interrupted(PkiLayout layout) {
    List<Path> found = new ArrayList<>();
    for (Path dir : backupDirs(backupParent(layout))) {
      Path journal = dir.resolve(Journal.FILE_NAME);
      if (!ops.exists(journal)) {
        continue;
      }
      String state = Journal.state(ops.read(journal));
      if (state == null || Journal.IN_PROGRESS.equals(state)) {
        found.add(dir);
      }
    }
    return found;
  }

  /**
   * Looks for runs that stopped half-way (journal still {@code in-progress}) and restores their
   * files from their backups, after checking that this is safe.
   *
   * @throws KcertException without restoring anything from that run when the backup folder's
   *     parent is not private, the journal is malformed, was written for a tree at another path
   *     (copied, moved, or mounted elsewhere), or when a file changed since that run (neither what
   *     it replaced nor what it wrote), or a backup does not hold what was replaced
   */
  public List<Recovery> recover(PkiLayout layout) {
    Path backupParent = backupParent(layout);
    checkPrivateFolder(backupParent);
    List<Recovery> recovered = new ArrayList<>();
    for (Path dir : backupDirs(backupParent)) {
      Path journalFile = dir.resolve(Journal.FILE_NAME);
      if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS) || !ops.exists(journalFile)) {
        continue;
      }
      byte[] text = ops.read(journalFile);
      String state = Journal.state(text);
      if (state != null && !Journal.IN_PROGRESS.equals(state)) {
        continue; // finished or rolled back, by this version or an earlier one
      }
      Journal.Parsed journal = Journal.parse(text, journalFile);
      checkSameTree(layout, journal, journalFile);
      checkUnchangedSince(layout, journal.entries(), dir, journalFile);
      for (Journal.Entry e : journal.entries()) {
        deleteStrayTemps(Journal.target(layout, e.name()));
      }
      int restored = restore(layout, journal.entries(), dir);
      writeJournal(dir, Journal.ROLLED_BACK, layout, journal.entries());
      recovered.add(new Recovery(dir, restored));
    }
    return recovered;
  }

  /**
   * Undoes a run that completed: puts back every file its backup folder holds (and deletes the
   * files it created), then marks the journal {@code rolled-back}. Used when the components did not
   * come back with the new certificates. The same checks as {@link #recover} come first: the
   * journal must be of this tree, and every file must still be what the run replaced or wrote.
   *
   * @return how many files had to change
   */
  public int rollBack(PkiLayout layout, Path backupDir) {
    Path journalFile = backupDir.resolve(Journal.FILE_NAME);
    if (!ops.exists(journalFile)) {
      throw KcertException.about(backupDir, "has no journal; cannot roll back from it");
    }
    Journal.Parsed journal = Journal.parse(ops.read(journalFile), journalFile);
    checkSameTree(layout, journal, journalFile);
    checkUnchangedSince(layout, journal.entries(), backupDir, journalFile);
    int restored = restore(layout, journal.entries(), backupDir);
    writeJournal(backupDir, Journal.ROLLED_BACK, layout, journal.entries());
    return restored;
  }

  private static void checkSameTree(PkiLayout layout, Journal.Parsed journal, Path journalFile) {
    String kc = Journal.folder(layout.kubeconfigDir());
    String pki = Journal.folder(layout.certDir());
    if (!journal.kubeconfigDir().equals(kc) || !journal.certDir().equals(pki)) {
      throw KcertException.about(
          journalFile,
          "an earlier run stopped half-way in "
              + journal.kubeconfigDir()
              + " (PKI "
              + journal.certDir()
              + "), but it was found in "
              + kc
              + " (PKI "
              + pki
              + "): a copied, moved or remounted tree; nothing was restored. Check the files,"
              + " then delete this journal to go on");
    }
  }

  private void checkUnchangedSince(
      PkiLayout layout, List<Journal.Entry> entries, Path dir, Path journalFile) {
    List<String> changed = new ArrayList<>();
    List<String> badBackups = new ArrayList<>();
    for (Journal.Entry e : entries) {
      Path target = Journal.target(layout, e.name());
      String now = ops.exists(target) ? Journal.sha256(ops.read(target)) : null;
      boolean asWritten = e.newDigest().equals(now);
      boolean asBefore = e.existed() ? e.oldDigest().equals(now) : now == null;
      if (!asWritten && !asBefore) {
        changed.add(target.toString());
      }
      if (e.existed()) {
        Path backup = dir.resolve(e.name());
        if (!Files.isRegularFile(backup, LinkOption.NOFOLLOW_LINKS)
            || !e.oldDigest().equals(Journal.sha256(ops.read(backup)))) {
          badBackups.add(backup.toString());
        }
      }
    }
    if (!changed.isEmpty()) {
      throw KcertException.about(
          journalFile,
          "an earlier run stopped half-way, and since then "
              + String.join(", ", changed)
              + (changed.size() == 1 ? " has" : " have")
              + " changed (neither what that run replaced nor what it wrote); nothing was"
              + " restored, both copies are kept (the old ones in "
              + dir
              + "). Check the files, then delete this journal to go on");
    }
    if (!badBackups.isEmpty()) {
      throw KcertException.about(
          journalFile,
          "an earlier run stopped half-way, but the backups "
              + String.join(", ", badBackups)
              + " do not hold what it replaced; nothing was restored. Check the files, then"
              + " delete this journal to go on");
    }
  }

  private static List<Path> backupDirs(Path backupParent) {
    List<Path> dirs = new ArrayList<>();
    if (!Files.isDirectory(backupParent, LinkOption.NOFOLLOW_LINKS)) {
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
  private int restore(PkiLayout layout, List<Journal.Entry> entries, Path backupDir) {
    int restored = 0;
    for (Journal.Entry e : entries) {
      Path target = Journal.target(layout, e.name());
      if (!e.existed()) {
        if (ops.exists(target)) {
          ops.delete(target);
          restored++;
        }
        continue;
      }
      byte[] old = ops.read(backupDir.resolve(e.name()));
      FileOps.Attributes a = ops.exists(target) ? ops.attributes(target) : null;
      if (a != null
          && a.uid() == e.uid()
          && a.gid() == e.gid()
          && a.permissions().equals(e.permissions())
          && e.oldDigest().equals(Journal.sha256(ops.read(target)))) {
        continue;
      }
      Path tmp = ops.writeTemp(target, old, e.permissions());
      try {
        giveOwner(tmp, e.uid(), e.gid());
        ops.rename(tmp, target);
      } catch (RuntimeException ex) {
        discard(List.of(tmp));
        throw ex;
      }
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

  private void writeJournal(
      Path backupDir, String state, PkiLayout layout, List<Journal.Entry> entries) {
    writeAtomically(
        backupDir.resolve(Journal.FILE_NAME),
        Journal.render(state, layout, entries),
        AtomicFiles.PRIVATE);
  }

  private boolean journalWritten(Path backupDir) {
    return ops.exists(backupDir.resolve(Journal.FILE_NAME));
  }

  private void markQuietly(
      Path backupDir, String state, PkiLayout layout, List<Journal.Entry> entries) {
    try {
      writeJournal(backupDir, state, layout, entries);
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
