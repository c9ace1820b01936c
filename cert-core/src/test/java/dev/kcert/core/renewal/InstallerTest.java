package dev.kcert.core.renewal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.kcert.core.model.CatalogueEntry;
import dev.kcert.core.model.KcertException;
import dev.kcert.core.pki.PkiLayout;
import dev.kcert.core.renewal.RenewalPlanner.Options;
import dev.kcert.core.renewal.RenewalPlanner.Plan;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class InstallerTest {
  /** Two pairs in different folders and one kubeconfig: every kind of change set. */
  static final List<String> SELECTION = List.of("apiserver", "etcd-server", "admin.conf");

  @TempDir static Path templateRoot;
  @TempDir Path root;

  static int totalSteps;

  @BeforeAll
  static void template() {
    TestPkis.create(templateRoot);
    Path probe;
    try {
      probe = Files.createTempDirectory("kcert-steps-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    copyTree(templateRoot, probe);
    ScriptedFileOps counting = ScriptedFileOps.counting();
    new Installer(counting).install(PkiLayout.under(probe), TestPkis.NOW, plan(probe).changes());
    totalSteps = counting.steps();
  }

  static Stream<Integer> steps() {
    return IntStream.rangeClosed(1, totalSteps).boxed();
  }

  private static Plan plan(Path pkiRoot) {
    List<CatalogueEntry> entries = new ArrayList<>();
    SELECTION.forEach(n -> entries.addAll(RenewalPlanner.select(n)));
    return RenewalPlanner.plan(
        PkiLayout.under(pkiRoot),
        entries,
        new Options(Duration.ofDays(365), null, false, null, false, TestPkis.CLOCK));
  }

  @Test
  void installsWithBackupAndJournal() throws Exception {
    copyTree(templateRoot, root);
    Map<String, byte[]> before = TestPkis.snapshot(root);
    Plan plan = plan(root);

    Installer.Result result =
        new Installer(FileOps.system()).install(PkiLayout.under(root), TestPkis.NOW, plan.changes());

    assertThat(result.backupDir()).isEqualTo(root.resolve("tmp/kcert-backup-20261123T120000Z"));
    assertThat(result.filesReplaced()).isEqualTo(5);
    for (String rel :
        List.of("pki/apiserver.crt", "pki/apiserver.key", "pki/etcd/server.crt",
            "pki/etcd/server.key", "admin.conf")) {
      assertThat(result.backupDir().resolve(rel)).hasBinaryContent(before.get(rel));
      assertThat(root.resolve(rel)).isRegularFile();
      assertThat(Files.readAllBytes(root.resolve(rel))).isNotEqualTo(before.get(rel));
    }
    assertThat(permissions(root.resolve("pki/apiserver.key"))).isEqualTo("rw-------");
    assertThat(permissions(root.resolve("pki/apiserver.crt"))).isEqualTo("rw-r--r--");
    assertThat(permissions(root.resolve("admin.conf"))).isEqualTo("rw-------");
    assertThat(permissions(result.backupDir())).isEqualTo("rwx------");
    assertThat(permissions(result.backupDir().resolve("pki/apiserver.key"))).isEqualTo("rw-------");
    String journal =
        Files.readString(result.backupDir().resolve(Journal.FILE_NAME), StandardCharsets.UTF_8);
    assertThat(journal).contains("state\tcomplete\n");
    Pairs.assertAllConsistent(PkiLayout.under(root));
    // nothing else changed, and no temporary file was left behind
    Map<String, byte[]> after = TestPkis.snapshot(root);
    assertThat(after.keySet()).isEqualTo(before.keySet());

    // a second run in the same second gets its own folder
    Installer.Result second =
        new Installer(FileOps.system()).install(PkiLayout.under(root), TestPkis.NOW, plan(root).changes());
    assertThat(second.backupDir()).isEqualTo(root.resolve("tmp/kcert-backup-20261123T120000Z-1"));
  }

  @ParameterizedTest(name = "a write failing at step {0} leaves every file as it was")
  @MethodSource("steps")
  void failureAtAnyStepRestoresEverything(int step) {
    copyTree(templateRoot, root);
    Map<String, byte[]> before = TestPkis.snapshot(root);
    Plan plan = plan(root);

    Throwable t =
        catchThrowable(
            () ->
                new Installer(ScriptedFileOps.failingAt(step))
                    .install(PkiLayout.under(root), TestPkis.NOW, plan.changes()));

    assertThat(t).isInstanceOf(InstallException.class);
    assertThat(((InstallException) t).restored()).isTrue();
    assertThat(t.getMessage())
        .startsWith("injected failure at step " + step + " ")
        .containsAnyOf("; nothing was changed", "; restored the ");
    assertSameFiles(before, TestPkis.snapshot(root));
    Pairs.assertAllConsistent(PkiLayout.under(root));
  }

  @ParameterizedTest(name = "a run killed at step {0} is undone by the next one")
  @MethodSource("steps")
  void crashAtAnyStepIsRecovered(int step) {
    copyTree(templateRoot, root);
    Map<String, byte[]> before = TestPkis.snapshot(root);
    Plan plan = plan(root);

    assertThatThrownBy(
            () ->
                new Installer(ScriptedFileOps.dyingAt(step))
                    .install(PkiLayout.under(root), TestPkis.NOW, plan.changes()))
        .isInstanceOf(ScriptedFileOps.Crash.class);

    List<Installer.Recovery> recovered = new Installer(FileOps.system()).recover(PkiLayout.under(root));
    assertSameFiles(before, TestPkis.snapshot(root));
    Pairs.assertAllConsistent(PkiLayout.under(root));
    assertThat(recovered.size()).isLessThanOrEqualTo(1);
    // a second look finds nothing left to do, and a new run succeeds
    assertThat(new Installer(FileOps.system()).recover(PkiLayout.under(root))).isEmpty();
    new Installer(FileOps.system()).install(PkiLayout.under(root), TestPkis.NOW, plan(root).changes());
    Pairs.assertAllConsistent(PkiLayout.under(root));
  }

  @Test
  void crashAfterTheKeyBeforeTheCertificateIsDetectedAndUndone() {
    copyTree(templateRoot, root);
    Map<String, byte[]> before = TestPkis.snapshot(root);
    Plan plan = plan(root);
    ScriptedFileOps counting = ScriptedFileOps.counting();
    new Installer(counting).install(templateCopy(), TestPkis.NOW, plan(templateCopyRoot).changes());
    int certRename = counting.steps.lastIndexOf("rename apiserver.crt") + 1;

    assertThatThrownBy(
            () ->
                new Installer(ScriptedFileOps.dyingAt(certRename))
                    .install(PkiLayout.under(root), TestPkis.NOW, plan.changes()))
        .isInstanceOf(ScriptedFileOps.Crash.class);
    // the key is new, the certificate old: the pair is broken until the next run
    assertThat(TestPkis.snapshot(root).get("pki/apiserver.key")).isNotEqualTo(before.get("pki/apiserver.key"));
    assertThat(TestPkis.snapshot(root).get("pki/apiserver.crt")).isEqualTo(before.get("pki/apiserver.crt"));

    List<Installer.Recovery> recovered = new Installer(FileOps.system()).recover(PkiLayout.under(root));
    assertThat(recovered).hasSize(1);
    assertThat(recovered.get(0).filesRestored()).isEqualTo(1);
    assertThat(recovered.get(0).backupDir()).isEqualTo(root.resolve("tmp/kcert-backup-20261123T120000Z"));
    assertSameFiles(before, TestPkis.snapshot(root));
    Pairs.assertAllConsistent(PkiLayout.under(root));
  }

  @Test
  void verificationFailureRollsBack() {
    copyTree(templateRoot, root);
    Map<String, byte[]> before = TestPkis.snapshot(root);
    Plan plan = plan(root);
    // the disk hands back the old etcd server certificate instead of the new one; that file is
    // then already what the backup holds, so four are restored
    ScriptedFileOps lying =
        ScriptedFileOps.counting()
            .filteringContent(
                (p, c) ->
                    p.endsWith("etcd/server.crt") && !p.toString().contains("kcert-backup")
                        ? before.get("pki/etcd/server.crt")
                        : c);

    assertThatThrownBy(
            () -> new Installer(lying).install(PkiLayout.under(root), TestPkis.NOW, plan.changes()))
        .isInstanceOf(InstallException.class)
        .hasMessage(
            "etcd-server: verification after writing failed: "
                + root.resolve("pki/etcd/server.crt")
                + ": does not hold the certificate that was written; restored the 4 files already"
                + " replaced from "
                + root.resolve("tmp/kcert-backup-20261123T120000Z"));
    assertSameFiles(before, TestPkis.snapshot(root));
  }

  @Test
  void unwritableFolderChangesNothing() {
    copyTree(templateRoot, root);
    Map<String, byte[]> before = TestPkis.snapshot(root);
    Plan plan = plan(root);
    Path etcd = root.resolve("pki/etcd");
    FileOps readOnlyEtcd =
        new ForwardingFileOps(FileOps.system()) {
          @Override
          public Path writeTemp(
              Path target, byte[] content, java.util.Set<java.nio.file.attribute.PosixFilePermission> perms) {
            if (target.getParent().equals(etcd)) {
              throw KcertException.about(target, "cannot write: permission denied");
            }
            return super.writeTemp(target, content, perms);
          }
        };

    assertThatThrownBy(
            () -> new Installer(readOnlyEtcd).install(PkiLayout.under(root), TestPkis.NOW, plan.changes()))
        .isInstanceOf(InstallException.class)
        .hasMessage(etcd.resolve("server.key") + ": cannot write: permission denied; nothing was changed");
    assertSameFiles(before, TestPkis.snapshot(root));
  }

  private Path templateCopyRoot;

  private PkiLayout templateCopy() {
    try {
      templateCopyRoot = Files.createTempDirectory(root.getParent(), "kcert-count-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    copyTree(templateRoot, templateCopyRoot);
    return PkiLayout.under(templateCopyRoot);
  }

  static void assertSameFiles(Map<String, byte[]> expected, Map<String, byte[]> actual) {
    assertThat(actual.keySet()).isEqualTo(expected.keySet());
    for (String k : expected.keySet()) {
      assertThat(actual.get(k)).as(k).isEqualTo(expected.get(k));
    }
  }

  static String permissions(Path p) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }

  static void copyTree(Path from, Path to) {
    try (Stream<Path> s = Files.walk(from)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target, StandardCopyOption.COPY_ATTRIBUTES);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
