package dev.kcert.core.renewal;

import static dev.kcert.core.renewal.InstallerTest.assertSameFiles;
import static dev.kcert.core.renewal.InstallerTest.copyTree;
import static dev.kcert.core.renewal.InstallerTest.permissions;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kcert.core.model.CatalogueEntry;
import dev.kcert.core.model.KcertException;
import dev.kcert.core.pki.AtomicFiles;
import dev.kcert.core.pki.PkiLayout;
import dev.kcert.core.renewal.RenewalPlanner.Options;
import dev.kcert.core.renewal.RenewalPlanner.Plan;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a journal left by a killed run may and may not make the next run do: restore only files
 * that still hold what that run left, only into the tree it was written for, only from a private
 * folder, only below the PKI and kubeconfig folders.
 */
class RecoveryIntegrityTest {
  @TempDir static Path templateRoot;
  @TempDir static Path otherRoot;
  @TempDir Path root;

  /** The step at which a run dies with apiserver's key renamed in and its certificate not. */
  static int afterApiserverKey;

  @BeforeAll
  static void template() throws IOException {
    TestPkis.create(templateRoot);
    TestPkis.create(otherRoot);
    Path probe = Files.createTempDirectory("kcert-steps-");
    copyTree(templateRoot, probe);
    ScriptedFileOps counting = ScriptedFileOps.counting();
    new Installer(counting).install(PkiLayout.under(probe), TestPkis.NOW, plan(probe).changes());
    afterApiserverKey = counting.steps.lastIndexOf("rename apiserver.crt") + 1;
  }

  private static Plan plan(Path pkiRoot) {
    List<CatalogueEntry> entries = new ArrayList<>();
    InstallerTest.SELECTION.forEach(n -> entries.addAll(RenewalPlanner.select(n)));
    return RenewalPlanner.plan(
        PkiLayout.under(pkiRoot),
        entries,
        new Options(Duration.ofDays(365), null, false, null, false, TestPkis.CLOCK));
  }

  /** Copies the template to {@code root} and kills a renewal there half-way. */
  private void killedRun() {
    copyTree(templateRoot, root);
    Plan plan = plan(root);
    assertThatThrownBy(
            () ->
                new Installer(ScriptedFileOps.dyingAt(afterApiserverKey))
                    .install(PkiLayout.under(root), TestPkis.NOW, plan.changes()))
        .isInstanceOf(ScriptedFileOps.Crash.class);
  }

  private Path journal() {
    return root.resolve("tmp/kcert-backup-20261123T120000Z/" + Journal.FILE_NAME);
  }

  @Test
  void filesRepairedSinceTheKilledRunAreNeverOverwritten() throws IOException {
    killedRun();
    // another tool repairs the pair after the crash
    Files.copy(otherRoot.resolve("pki/apiserver.crt"), root.resolve("pki/apiserver.crt"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    Files.copy(otherRoot.resolve("pki/apiserver.key"), root.resolve("pki/apiserver.key"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    Map<String, byte[]> repaired = TestPkis.snapshot(root);
    Map<String, byte[]> backups = TestPkis.snapshot(root.resolve("tmp"));

    assertThatThrownBy(() -> new Installer(FileOps.system()).recover(PkiLayout.under(root)))
        .isInstanceOf(KcertException.class)
        .hasMessage(
            journal()
                + ": an earlier run stopped half-way, and since then "
                + root.resolve("pki/apiserver.key")
                + ", "
                + root.resolve("pki/apiserver.crt")
                + " have changed (neither what that run replaced nor what it wrote); nothing was"
                + " restored, both copies are kept (the old ones in "
                + journal().getParent()
                + "). Check the files, then delete this journal to go on");
    assertSameFiles(repaired, TestPkis.snapshot(root));
    assertThat(TestPkis.snapshot(root.resolve("tmp")).keySet()).isEqualTo(backups.keySet());
    assertThat(Files.readString(journal())).contains("state\tin-progress\n");
  }

  @Test
  void aMovedTreeIsNotRestoredIntoTheOriginalsPaths() throws IOException {
    killedRun();
    Path moved = root.resolveSibling(root.getFileName() + "-moved");
    Files.move(root, moved);
    try {
      Map<String, byte[]> before = TestPkis.snapshot(moved);
      Path movedJournal = moved.resolve("tmp/kcert-backup-20261123T120000Z/" + Journal.FILE_NAME);
      assertThatThrownBy(() -> new Installer(FileOps.system()).recover(PkiLayout.under(moved)))
          .isInstanceOf(KcertException.class)
          .hasMessage(
              movedJournal
                  + ": an earlier run stopped half-way in "
                  + root.toAbsolutePath()
                  + " (PKI "
                  + root.resolve("pki").toAbsolutePath()
                  + "), but it was found in "
                  + moved.toAbsolutePath()
                  + " (PKI "
                  + moved.resolve("pki").toAbsolutePath()
                  + "): a copied, moved or remounted tree; nothing was restored. Check the files,"
                  + " then delete this journal to go on");
      assertSameFiles(before, TestPkis.snapshot(moved));
      assertThat(root).doesNotExist();
    } finally {
      Files.move(moved, root);
    }
  }

  @Test
  void aPlantedJournalCannotNameFilesOutsideTheTree() throws IOException {
    killedRun();
    Path victim = root.resolveSibling(root.getFileName() + "-victim");
    String text = Files.readString(journal());
    for (String bad :
        List.of("../" + victim.getFileName(), victim.toAbsolutePath().toString(), "pki/../../x",
            "tmp/kcert.lock", "./admin.conf")) {
      Files.writeString(journal(), text.replace("\tadmin.conf\n", "\t" + bad + "\n"));
      assertThatThrownBy(() -> new Installer(FileOps.system()).recover(PkiLayout.under(root)))
          .as(bad)
          .isInstanceOf(KcertException.class)
          .hasMessageStartingWith(journal() + ": line ")
          .hasMessageEndingWith(": target is not a plain name below the kubeconfig folder");
    }
    assertThat(victim).doesNotExist();
  }

  @Test
  void journalsOfEarlierVersionsAreRestoredNeverAndIgnoredWhenFinished() throws IOException {
    killedRun();
    Path old = root.resolve("tmp/kcert-backup-20250101T000000Z/" + Journal.FILE_NAME);
    Files.createDirectories(old.getParent());
    Files.writeString(old, "state\tcomplete\nold\trw-------\tadmin.conf\t/etc/kubernetes/admin.conf\n");
    assertThat(new Installer(FileOps.system()).recover(PkiLayout.under(root))).hasSize(1);

    Files.writeString(old, "state\tin-progress\nold\trw-------\tadmin.conf\t/etc/passwd\n");
    Map<String, byte[]> before = TestPkis.snapshot(root);
    assertThatThrownBy(() -> new Installer(FileOps.system()).recover(PkiLayout.under(root)))
        .hasMessage(
            old
                + ": a journal of another kcert version, without the digests that make a restore"
                + " safe; nothing was restored. Check the files (the old ones are in this folder),"
                + " then delete this journal to go on");
    assertSameFiles(before, TestPkis.snapshot(root));
    assertThat(new Installer(FileOps.system()).interrupted(PkiLayout.under(root)))
        .containsExactly(old.getParent());
  }

  @Test
  void aBackupThatDoesNotHoldWhatWasReplacedIsNotRestored() throws IOException {
    killedRun();
    Path backup = journal().resolveSibling("pki/apiserver.key");
    Files.writeString(backup, "planted\n");
    Map<String, byte[]> before = TestPkis.snapshot(root);
    assertThatThrownBy(() -> new Installer(FileOps.system()).recover(PkiLayout.under(root)))
        .isInstanceOf(KcertException.class)
        .hasMessage(
            journal()
                + ": an earlier run stopped half-way, but the backups "
                + backup
                + " do not hold what it replaced; nothing was restored. Check the files, then"
                + " delete this journal to go on");
    assertSameFiles(before, TestPkis.snapshot(root));
  }

  @Test
  void aTmpFolderOthersCanWriteToIsRefused() throws IOException {
    killedRun();
    Path tmp = root.resolve("tmp");
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxrwxrwx"));
    Map<String, byte[]> before = TestPkis.snapshot(root);
    assertThatThrownBy(() -> new Installer(FileOps.system()).recover(PkiLayout.under(root)))
        .isInstanceOf(KcertException.class)
        .hasMessage(
            tmp
                + ": is writable by group or others (rwxrwxrwx); refusing to trust backups and"
                + " journals there (chmod 700 it)");
    assertThatThrownBy(() -> RunLock.acquire(tmp)).hasMessageStartingWith(tmp + ": is writable");
    assertSameFiles(before, TestPkis.snapshot(root));
  }

  @Test
  void aTmpFolderOwnedBySomeoneElseIsRefused() throws IOException {
    Path tmp = root.resolve("tmp");
    Files.createDirectories(tmp);
    long me = Users.effectiveUid();
    int other = me == 0 ? 4321 : (int) me + 1;
    try {
      Files.setAttribute(tmp, "unix:uid", other);
    } catch (IOException e) {
      org.junit.jupiter.api.Assumptions.assumeTrue(false, "changing owners needs root: " + e);
    }
    assertThatThrownBy(() -> new Installer(FileOps.system()).recover(PkiLayout.under(root)))
        .hasMessage(
            tmp
                + ": is owned by uid "
                + other
                + ", not by the user running kcert (uid "
                + me
                + "); refusing to trust backups and journals there");
  }

  @Test
  void theLockIsNeverOpenedThroughASymbolicLink() throws IOException {
    Path tmp = root.resolve("tmp");
    Files.createDirectories(tmp);
    Path target = root.resolve("created-through-the-link");
    Files.createSymbolicLink(tmp.resolve(RunLock.FILE_NAME), target);
    assertThatThrownBy(() -> RunLock.acquire(tmp))
        .isInstanceOf(KcertException.class)
        .hasMessage(
            tmp.resolve(RunLock.FILE_NAME)
                + ": is a symbolic link; kcert never opens its lock through one");
    assertThat(target).doesNotExist();
  }

  @Test
  void newFoldersAre0700WhateverTheUmask() throws IOException {
    Path deep = root.resolve("a/b/c");
    FileOps.system().createDirectories(deep, Installer.PRIVATE_DIR);
    for (Path p : List.of(root.resolve("a"), root.resolve("a/b"), deep)) {
      assertThat(permissions(p)).as(p.toString()).isEqualTo("rwx------");
    }
    AtomicFiles.write(root.resolve("x/y/file"), "z".getBytes(StandardCharsets.US_ASCII),
        AtomicFiles.PUBLIC);
    assertThat(permissions(root.resolve("x"))).isEqualTo("rwx------");
    assertThat(permissions(root.resolve("x/y"))).isEqualTo("rwx------");
  }

  @Test
  void aFolderThatCannotBeFlushedIsAnError() {
    Path gone = root.resolve("no-such-folder");
    assertThatThrownBy(() -> AtomicFiles.syncDirectory(gone))
        .isInstanceOf(KcertException.class)
        .hasMessageStartingWith(gone + ": cannot flush folder to disk: ");
  }

  @Test
  void replacedFilesKeepOwnerGroupAndModeKeysNeverLooserThan0600() throws IOException {
    copyTree(templateRoot, root);
    Path key = root.resolve("pki/etcd/server.key");
    Path crt = root.resolve("pki/etcd/server.crt");
    Path admin = root.resolve("admin.conf");
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r-----"));
    Files.setPosixFilePermissions(crt, PosixFilePermissions.fromString("rw-r-----"));
    Files.setPosixFilePermissions(admin, PosixFilePermissions.fromString("r--------"));
    boolean chown = Users.effectiveUid() == 0;
    if (chown) {
      for (Path p : List.of(key, crt)) {
        Files.setAttribute(p, "unix:uid", 2379);
        Files.setAttribute(p, "unix:gid", 2380);
      }
    }
    Map<String, Object> keyBefore = Files.readAttributes(key, "unix:uid,gid");

    Installer.Result r =
        new Installer(FileOps.system()).install(PkiLayout.under(root), TestPkis.NOW, plan(root).changes());

    assertThat(permissions(key)).isEqualTo("rw-------");
    assertThat(permissions(crt)).isEqualTo("rw-r-----");
    assertThat(permissions(admin)).isEqualTo("r--------");
    assertThat(permissions(root.resolve("pki/apiserver.crt"))).isEqualTo("rw-r--r--");
    assertThat(Files.readAttributes(key, "unix:uid,gid")).isEqualTo(keyBefore);
    assertThat(Files.readAttributes(crt, "unix:uid,gid")).isEqualTo(keyBefore);
    if (chown) {
      assertThat(keyBefore).containsEntry("uid", 2379).containsEntry("gid", 2380);
    }
    // the journal records them, so a restore puts them back as they were
    String journal = Files.readString(r.backupDir().resolve(Journal.FILE_NAME));
    assertThat(journal).contains("file\told\trw-r-----\t" + keyBefore.get("uid") + "\t"
        + keyBefore.get("gid") + "\t");
  }

  @Test
  void aRestoreAfterAKillPutsBackOwnerAndMode() throws IOException {
    copyTree(templateRoot, root);
    Path key = root.resolve("pki/apiserver.key");
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("r--------"));
    boolean chown = Users.effectiveUid() == 0;
    if (chown) {
      Files.setAttribute(key, "unix:uid", 2379);
    }
    Map<String, Object> before = Files.readAttributes(key, "unix:uid,gid,mode");
    Plan plan = plan(root);
    assertThatThrownBy(
            () ->
                new Installer(ScriptedFileOps.dyingAt(afterApiserverKey))
                    .install(PkiLayout.under(root), TestPkis.NOW, plan.changes()))
        .isInstanceOf(ScriptedFileOps.Crash.class);

    assertThat(new Installer(FileOps.system()).recover(PkiLayout.under(root))).hasSize(1);
    assertThat(Files.readAttributes(key, "unix:uid,gid,mode")).isEqualTo(before);
    Pairs.assertAllConsistent(PkiLayout.under(root));
  }
}
