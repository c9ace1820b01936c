package dev.kcert.cli;

import static dev.kcert.cli.Cli.args;
import static dev.kcert.cli.Cli.dirs;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kcert.cli.Cli.Run;
import dev.kcert.core.keys.KeyAlgorithm;
import dev.kcert.core.pem.PrivateKeys;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RenewCommandTest {
  @TempDir Path root;

  @BeforeEach
  void pki() {
    Cli.pki(root);
  }

  private Run renew(String... more) {
    return Cli.run(args(args(new String[] {"certs", "renew"}, more), dirs(root)));
  }

  @Test
  void renewAllRenewsEverythingAndNamesWhatToRestart() {
    Run r = renew("all");

    assertThat(r.code()).isEqualTo(ExitCodes.OK);
    assertThat(r.err()).isEmpty();
    assertThat(r.out())
        .isEqualTo(
            String.join(
                "\n",
                "Backed up the files that were replaced to "
                    + root.resolve("tmp/kcert-backup-20261123T120000Z"),
                "certificate embedded in the kubeconfig file for the admin to use and for kubeadm"
                    + " itself renewed",
                "certificate for serving the Kubernetes API renewed",
                "certificate the apiserver uses to access etcd renewed",
                "certificate for the API server to connect to kubelet renewed",
                "certificate embedded in the kubeconfig file for the controller manager to use"
                    + " renewed",
                "certificate for liveness probes to healthcheck etcd renewed",
                "certificate for etcd nodes to communicate with each other renewed",
                "certificate for serving etcd renewed",
                "certificate for the front proxy client renewed",
                "certificate embedded in the kubeconfig file for the scheduler manager to use"
                    + " renewed",
                "certificate embedded in the kubeconfig file for the super-admin renewed",
                "",
                "Done renewing certificates. You must restart the kube-apiserver,"
                    + " kube-controller-manager, kube-scheduler and etcd, so that they can use the"
                    + " new certificates.",
                ""));
    Run check =
        Cli.run(args(new String[] {"certs", "check-expiration", "--check-keys", "--warn-within", "300d"}, dirs(root)));
    assertThat(check.code()).as(check.err()).isEqualTo(ExitCodes.OK);
    assertThat(check.out()).contains("apiserver                  Nov 23, 2027 12:00 UTC   365d");
  }

  @ParameterizedTest(name = "renew {0}: restart {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "etcd-peer               | Done renewing certificates. You must restart the etcd, so that it can use the new certificates.",
        "scheduler.conf          | Done renewing certificates. You must restart the kube-scheduler, so that it can use the new certificates.",
        "admin.conf              | ''"
      })
  void singleRenewalNamesItsComponent(String name, String hint) {
    Run r = renew(name);
    assertThat(r.code()).isEqualTo(ExitCodes.OK);
    List<String> lines = r.out().lines().toList();
    assertThat(lines.get(lines.size() - 1)).isEqualTo(hint.isEmpty() ? "Done renewing certificates." : hint);
  }

  @Test
  void dryRunShowsOldAndNewExpiryAndTouchesNothing() {
    Map<String, String> before = Cli.snapshot(root);
    Run r = renew("all", "--dry-run", "--validity", "30d");

    assertThat(r.code()).isEqualTo(ExitCodes.OK);
    List<String> rows = r.out().lines().map(l -> l.replaceAll(" {2,}", " | ").strip()).toList();
    assertThat(rows.get(0)).isEqualTo("CERTIFICATE | EXPIRES | NEW EXPIRY | ACTION");
    assertThat(rows.get(1))
        .isEqualTo("admin.conf | Jan 10, 2027 08:00 UTC | Dec 23, 2026 12:00 UTC | renew (new ECDSA-P256 key)");
    assertThat(rows).hasSize(14).endsWith("", "Dry run: nothing was written.");
    assertThat(Cli.snapshot(root)).isEqualTo(before);
    assertThat(root.resolve("tmp")).doesNotExist();
  }

  @ParameterizedTest(name = "renew {0} --restart without a manifests folder")
  @CsvSource({"all", "apiserver", "etcd-server"})
  void restartWithoutManifestsIsRefusedBeforeAnythingIsWritten(String name) {
    Map<String, String> before = Cli.snapshot(root);
    String refusal =
        "error: " + root.resolve("manifests") + ": missing: no static pods to restart; nothing was written\n";

    Run r = renew(name, "--restart");
    assertThat(r.code()).isEqualTo(ExitCodes.ERROR);
    assertThat(r.err()).isEqualTo(refusal);
    assertThat(r.out()).isEmpty();
    assertThat(Cli.snapshot(root)).isEqualTo(before);
    assertThat(root.resolve("tmp")).as("no lock, no backup: nothing was written").doesNotExist();

    Run dry = renew(name, "--restart", "--dry-run");
    assertThat(dry.code()).isEqualTo(ExitCodes.ERROR);
    assertThat(dry.err()).isEqualTo(refusal);
    assertThat(dry.out()).doesNotContain("Would restart");
    assertThat(Cli.snapshot(root)).isEqualTo(before);
  }

  @Test
  void restartOfAKubeconfigReadByNoStaticPodNeedsNoManifests() {
    Run r = renew("admin.conf", "--restart");
    assertThat(r.code()).as(r.err()).isEqualTo(ExitCodes.OK);
    assertThat(r.err()).isEmpty();
    assertThat(r.out()).contains("No static pod needed a restart.");
  }

  @Test
  void renewWithinLeavesWhatIsNotDueAndExitsFiveWhenNothingIs() {
    Map<String, String> before = Cli.snapshot(root);
    Run r = renew("all", "--renew-within", "30d");

    assertThat(r.code()).isEqualTo(ExitCodes.NOTHING_TO_DO);
    assertThat(r.out())
        .contains("\napiserver: expires Jan 10, 2027 08:00 UTC, not within 30d; skipped\n")
        .endsWith("Nothing to renew; nothing was written.\n");
    assertThat(Cli.snapshot(root)).isEqualTo(before);
    assertThat(root.resolve("tmp")).as("no lock, no folder when nothing is written").doesNotExist();

    Run due = renew("all", "--renew-within", "60d");
    assertThat(due.code()).isEqualTo(ExitCodes.OK);
  }

  @Test
  void validityBeyondTheCaIsWarnedAboutAndCappedAtTheCa() throws Exception {
    Run r = renew("front-proxy-client", "--validity", "4000d");
    assertThat(r.code()).isEqualTo(ExitCodes.OK);
    assertThat(r.err())
        .isEqualTo(
            "warning: front-proxy-client: --validity would make it valid until"
                + " 2037-11-05T12:00:00Z, after front-proxy-ca expires; the renewed certificate ends"
                + " with its CA (2036-01-08T08:00:00Z)\n");
    var renewed = dev.kcert.core.pem.Certificates.readBundle(root.resolve("pki/front-proxy-client.crt")).get(0);
    var ca = dev.kcert.core.pem.Certificates.readBundle(root.resolve("pki/front-proxy-ca.crt")).get(0);
    assertThat(renewed.getNotAfter()).isEqualTo(ca.getNotAfter());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "bogus      | unknown certificate 'bogus' (expected all or one of",
        "etcd-ca    | etcd-ca is a certificate authority; CAs are not renewed",
      })
  void badNamesAreUsageErrorsWithOneLineAndWhereToReadMore(String name, String message) {
    Map<String, String> before = Cli.snapshot(root);
    Run r = renew(name);
    assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
    List<String> lines = r.err().lines().toList();
    assertThat(lines).hasSize(2);
    assertThat(lines.get(0)).startsWith(message);
    assertThat(lines.get(1)).isEqualTo("Try 'kcert certs renew --help' for more information.");
    assertThat(r.out()).isEmpty();
    assertThat(Cli.snapshot(root)).isEqualTo(before);
  }

  @Test
  void zeroValidityIsAUsageError() {
    Run r = renew("all", "--validity", "0s");
    assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(r.err())
        .isEqualTo("Invalid value for option '--validity': must be longer than 0s\n"
            + "Try 'kcert certs renew --help' for more information.\n");
  }

  @Test
  void noPkiAtAllWritesNothing() {
    Path none = root.resolve("none");
    Run r = Cli.run("certs", "renew", "all", "--cert-dir", none.resolve("pki").toString(),
        "--kubeconfig-dir", none.toString());
    assertThat(r.code()).isEqualTo(ExitCodes.NOTHING_TO_DO);
    assertThat(r.out()).startsWith("MISSING! certificate embedded in the kubeconfig file for the admin");
    assertThat(none).doesNotExist();
  }

  @Test
  void readOnlyFolderFailsAndChangesNothing() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeFalse(
        "root".equals(System.getProperty("user.name")),
        "running as root: folder permissions do not stop root; the installer tests cover this"
            + " failure with an injected permission error");
    Path etcd = root.resolve("pki/etcd");
    Map<String, String> before = Cli.snapshot(root);
    Files.setPosixFilePermissions(etcd, java.nio.file.attribute.PosixFilePermissions.fromString("r-xr-xr-x"));
    try {
      Run r = renew("all");
      assertThat(r.code()).isEqualTo(ExitCodes.ERROR);
      assertThat(r.err())
          .isEqualTo(
              "error: " + etcd.resolve("server.key") + ": cannot write: permission denied;"
                  + " nothing was changed\n");
      assertThat(Cli.snapshot(root)).isEqualTo(before);
    } finally {
      Files.setPosixFilePermissions(etcd, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    }
  }

  @Test
  void concurrentRunIsRefused() {
    Map<String, String> before = Cli.snapshot(root);
    var held = dev.kcert.core.renewal.RunLock.acquire(root.resolve("tmp"));
    try {
      Run r = renew("all");
      assertThat(r.code()).isEqualTo(ExitCodes.ERROR);
      assertThat(r.err())
          .isEqualTo(
              "error: "
                  + root.resolve("tmp/kcert.lock")
                  + ": another kcert run is renewing or importing; try again later\n");
    } finally {
      held.close();
    }
    assertThat(Cli.snapshot(root)).isEqualTo(before);
    assertThat(renew("all").code()).isEqualTo(ExitCodes.OK);
  }

  @Test
  void externalCaAndMissingFilesAreSkipped() throws Exception {
    Files.delete(root.resolve("pki/etcd/ca.key"));
    Files.delete(root.resolve("super-admin.conf"));
    Run r = renew("all");

    assertThat(r.code()).isEqualTo(ExitCodes.OK);
    assertThat(r.out())
        .startsWith("Backed up")
        .contains(
            String.join(
                "\n",
                "certificate for serving the Kubernetes API renewed",
                "Detected external etcd/ca, certificate the apiserver uses to access etcd can't be"
                    + " renewed",
                "certificate for the API server to connect to kubelet renewed",
                "certificate embedded in the kubeconfig file for the controller manager to use"
                    + " renewed",
                "Detected external etcd/ca, certificate for liveness probes to healthcheck etcd"
                    + " can't be renewed",
                "Detected external etcd/ca, certificate for etcd nodes to communicate with each"
                    + " other can't be renewed",
                "Detected external etcd/ca, certificate for serving etcd can't be renewed",
                "certificate for the front proxy client renewed",
                "certificate embedded in the kubeconfig file for the scheduler manager to use"
                    + " renewed",
                "MISSING! certificate embedded in the kubeconfig file for the super-admin",
                ""))
        .endsWith(
            "Done renewing certificates. You must restart the kube-apiserver,"
                + " kube-controller-manager and kube-scheduler, so that they can use the new"
                + " certificates.\n");
  }

  @Test
  void aFullyExternalPkiExitsZeroAsKubeadmAndWritesNothing() throws Exception {
    for (String ca : List.of("ca", "front-proxy-ca", "etcd/ca")) {
      Files.delete(root.resolve("pki/" + ca + ".key"));
    }
    Map<String, String> before = Cli.snapshot(root);
    Run r = renew("all", "--renew-within", "30d");
    assertThat(r.code()).isEqualTo(ExitCodes.OK);
    assertThat(r.out())
        .startsWith("Detected external ca, certificate embedded in the kubeconfig file for the admin"
            + " to use and for kubeadm itself can't be renewed\n")
        .contains("\nDetected external etcd/ca, certificate for serving etcd can't be renewed\n")
        .endsWith("Nothing to renew; nothing was written.\n");
    assertThat(Cli.snapshot(root)).isEqualTo(before);
    assertThat(root.resolve("tmp")).doesNotExist();
  }

  @Test
  void mismatchedCaKeyFailsAndChangesNothing() throws Exception {
    Path caKey = root.resolve("pki/ca.key");
    Files.writeString(caKey, PrivateKeys.toPem(KeyAlgorithm.ECDSA_P256.generate()));
    Map<String, String> before = Cli.snapshot(root);

    Run r = renew("all");

    assertThat(r.code()).isEqualTo(ExitCodes.ERROR);
    assertThat(r.err()).isEqualTo("error: " + caKey + ": does not match ca.crt\n");
    assertThat(Cli.snapshot(root)).isEqualTo(before);
  }

  @Test
  void corruptCertificateFailsAndChangesNothing() throws Exception {
    Path crt = root.resolve("pki/front-proxy-client.crt");
    Files.writeString(crt, "not a certificate\n");
    Map<String, String> before = Cli.snapshot(root);

    Run r = renew("all");

    assertThat(r.code()).isEqualTo(ExitCodes.ERROR);
    assertThat(r.err())
        .isEqualTo("error: " + crt + ": does not contain a valid PEM encoded certificate\n");
    assertThat(Cli.snapshot(root)).isEqualTo(before);
  }

  @Test
  void interruptedRunIsUndoneFirst() throws Exception {
    // what a run killed between renaming a key and its certificate leaves behind
    Path backup = root.resolve("tmp/kcert-backup-20261123T110000Z");
    Files.createDirectories(backup.resolve("pki"));
    Path key = root.resolve("pki/apiserver.key");
    Files.copy(key, backup.resolve("pki/apiserver.key"));
    String written = PrivateKeys.toPem(KeyAlgorithm.ECDSA_P256.generate());
    Files.writeString(backup.resolve("kcert-journal"), journal(key, written));
    Files.writeString(key, written);

    Run dry = renew("all", "--dry-run");
    assertThat(dry.err())
        .isEqualTo(
            "warning: an earlier run stopped half-way; the next renew or import restores the files"
                + " it had replaced from "
                + backup
                + "\n");
    assertThat(Files.readString(backup.resolve("kcert-journal"))).contains("state\tin-progress");

    Run r = renew("all");

    assertThat(r.err())
        .isEqualTo(
            "warning: an earlier run stopped half-way; restored the 1 file it had replaced from "
                + backup
                + "\n");
    assertThat(r.code()).isEqualTo(ExitCodes.OK);
    assertThat(Files.readString(backup.resolve("kcert-journal"))).contains("state\trolled-back");
  }

  @Test
  void aStaleJournalNeverUndoesLaterWork() throws Exception {
    // a run was killed after writing the key; then another tool replaced it again
    Path backup = root.resolve("tmp/kcert-backup-20261123T110000Z");
    Files.createDirectories(backup.resolve("pki"));
    Path key = root.resolve("pki/apiserver.key");
    Files.copy(key, backup.resolve("pki/apiserver.key"));
    Files.writeString(
        backup.resolve("kcert-journal"),
        journal(key, PrivateKeys.toPem(KeyAlgorithm.ECDSA_P256.generate())));
    Files.writeString(key, PrivateKeys.toPem(KeyAlgorithm.ECDSA_P256.generate()));
    Map<String, String> before = Cli.snapshot(root);

    Run r = renew("all");

    assertThat(r.code()).isEqualTo(ExitCodes.ERROR);
    assertThat(r.err())
        .isEqualTo(
            "error: "
                + backup.resolve("kcert-journal")
                + ": an earlier run stopped half-way, and since then "
                + key
                + " has changed (neither what that run replaced nor what it wrote); nothing was"
                + " restored, both copies are kept (the old ones in "
                + backup
                + "). Check the files, then delete this journal to go on\n");
    assertThat(Cli.snapshot(root)).isEqualTo(before);
  }

  /** The journal of a run that replaced {@code key} (backed up already) with {@code written}. */
  private String journal(Path key, String written) throws Exception {
    java.util.Map<String, Object> a = Files.readAttributes(key, "unix:uid,gid");
    return "version\t2\nstate\tin-progress\n"
        + "kubeconfig-dir\t" + root.toAbsolutePath().normalize() + "\n"
        + "cert-dir\t" + root.resolve("pki").toAbsolutePath().normalize() + "\n"
        + "file\told\trw-------\t" + a.get("uid") + "\t" + a.get("gid") + "\t"
        + sha256(Files.readAllBytes(key)) + "\t"
        + sha256(written.getBytes(java.nio.charset.StandardCharsets.US_ASCII))
        + "\tpki/apiserver.key\n";
  }

  private static String sha256(byte[] b) throws Exception {
    return java.util.HexFormat.of()
        .formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(b));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "--csr-only                                  | --csr-only needs --csr-dir",
        "--csr-dir x                                 | --csr-dir is only used with --csr-only",
        "--reuse-key --key-algorithm RSA-2048        | --reuse-key and --key-algorithm exclude each other",
        "--csr-only --csr-dir x --dry-run            | --csr-only does not take --dry-run, --renew-within or --validity",
        "--key-algorithm DSA-1024                    | unknown key algorithm 'DSA-1024'",
        "--validity 3x                               | Invalid value for option '--validity'"
      })
  void badUsageExitsTwo(String options, String message) {
    Run r = renew(args(new String[] {"all"}, options.trim().split(" +")));
    assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(r.err()).contains(message);
  }

  @Test
  void csrOnlyWritesRequestsAndLeavesThePkiAlone() throws Exception {
    Map<String, String> before = Cli.snapshot(root);
    Path csrDir = root.resolve("csr");
    Run r = renew("all", "--csr-only", "--csr-dir", csrDir.toString());

    assertThat(r.code()).isEqualTo(ExitCodes.OK);
    assertThat(r.out())
        .startsWith("Wrote " + csrDir.resolve("admin.conf.key") + " and " + csrDir.resolve("admin.conf.csr") + "\n")
        .contains("The PKI folder was not changed.")
        .contains("  kcert certs import --csr-dir " + csrDir);
    try (var files = Files.list(csrDir)) {
      assertThat(files.count()).isEqualTo(22);
    }
    Map<String, String> after = Cli.snapshot(root);
    after.keySet().removeIf(k -> k.startsWith("csr"));
    assertThat(after).isEqualTo(before);
  }

  @Test
  void reuseKeyKeepsTheKeyFiles() throws Exception {
    Map<String, String> before = Cli.snapshot(root);
    Run r = renew("apiserver", "--reuse-key");
    assertThat(r.code()).isEqualTo(ExitCodes.OK);
    Map<String, String> after = Cli.snapshot(root);
    assertThat(after.get("pki/apiserver.key")).isEqualTo(before.get("pki/apiserver.key"));
    assertThat(after.get("pki/apiserver.crt")).isNotEqualTo(before.get("pki/apiserver.crt"));
    try (var backup = Files.walk(root.resolve("tmp/kcert-backup-20261123T120000Z"))) {
      assertThat(backup.filter(Files::isRegularFile).map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder("apiserver.crt", "kcert-journal");
    }
  }

  @Test
  void csrOnlyWithReuseKeyWritesOnlyRequests() {
    Path csrDir = root.resolve("csr");
    Run r = renew("admin.conf", "--csr-only", "--reuse-key", "--csr-dir", csrDir.toString());
    assertThat(r.code()).isEqualTo(ExitCodes.OK);
    assertThat(r.out())
        .startsWith("Wrote " + csrDir.resolve("admin.conf.csr") + " (signed with the existing key)\n");
    assertThat(csrDir.resolve("admin.conf.key")).doesNotExist();
  }

  @Test
  void helpDocumentsExitCodes() {
    Run r = Cli.run("certs", "renew", "--help");
    assertThat(r.code()).isZero();
    assertThat(r.out())
        .contains("Exit codes:")
        .contains(
            "  5  nothing to renew: every selected certificate is missing or not due within\n"
                + "     --renew-within; nothing was written\n");
  }
}
