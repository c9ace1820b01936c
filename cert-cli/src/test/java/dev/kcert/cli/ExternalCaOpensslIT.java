package dev.kcert.cli;

import static dev.kcert.cli.Cli.args;
import static dev.kcert.cli.Cli.dirs;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kcert.cli.Cli.Run;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The external-CA recipe of docs/renewal.md, with openssl as the CA: every request kcert writes
 * (leaves and kubeconfig users, from {@code renew --csr-only} and from {@code generate-csr}) is
 * signed by {@code examples/external-ca/sign-with-openssl}, which copies the requested extensions,
 * and {@code import} takes every certificate back. Runs at the real time: openssl signs from now.
 */
class ExternalCaOpensslIT {
  private static final Path SCRIPT = Path.of("../examples/external-ca/sign-with-openssl");
  private static final Clock REAL = Clock.systemUTC();

  @TempDir Path root;

  @Test
  void csrOnlyRequestsSignedByOpensslAreImported() throws Exception {
    Cli.pki(root);
    Path csrDir = root.resolve("csr");
    Run csr = Cli.run(REAL, args(new String[] {"certs", "renew", "all", "--csr-only", "--csr-dir", csrDir.toString()}, dirs(root)));
    assertThat(csr.code()).as(csr.err()).isZero();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(csrDir))).isEqualTo("rwx------");
    try (Stream<Path> files = Files.list(csrDir)) {
      for (Path f : files.toList()) {
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).as(f.toString()).isEqualTo("rw-------");
      }
    }

    sign(csrDir, root.resolve("pki"));

    Run imported = Cli.run(REAL, args(new String[] {"certs", "import", "--csr-dir", csrDir.toString()}, dirs(root)));
    assertThat(imported.code()).as(imported.err()).isZero();
    Run check = Cli.run(REAL, args(new String[] {"certs", "check-expiration", "--check-keys"}, dirs(root)));
    assertThat(check.code()).as(check.err()).isZero();
    assertThat(check.out().lines().filter(l -> l.contains(" 364d ")).count()).isEqualTo(11);
  }

  @Test
  void generateCsrRequestsSignedByOpensslAreImported() throws Exception {
    Path ca = root.resolve("ca");
    Cli.pki(ca);
    Path node = root.resolve("node");
    for (String f : List.of("ca.crt", "front-proxy-ca.crt", "etcd/ca.crt")) {
      Files.createDirectories(node.resolve("pki").resolve(f).getParent());
      Files.copy(ca.resolve("pki").resolve(f), node.resolve("pki").resolve(f));
    }
    Run gen = Cli.run(REAL, args(new String[] {"certs", "generate-csr", "--node-name", "cp-2",
        "--advertise-address", "10.0.0.11"}, dirs(node)));
    assertThat(gen.code()).as(gen.err()).isZero();

    // as the docs say: the requests, named <name>.csr, in one folder for the CA
    Path signing = Files.createDirectories(root.resolve("signing"));
    for (String[] p : new String[][] {
        {"pki/apiserver.csr", "apiserver"}, {"pki/apiserver-kubelet-client.csr", "apiserver-kubelet-client"},
        {"pki/front-proxy-client.csr", "front-proxy-client"}, {"pki/etcd/server.csr", "etcd-server"},
        {"pki/etcd/peer.csr", "etcd-peer"}, {"pki/etcd/healthcheck-client.csr", "etcd-healthcheck-client"},
        {"pki/apiserver-etcd-client.csr", "apiserver-etcd-client"}, {"admin.conf.csr", "admin.conf"},
        {"super-admin.conf.csr", "super-admin.conf"}, {"controller-manager.conf.csr", "controller-manager.conf"},
        {"scheduler.conf.csr", "scheduler.conf"}, {"kubelet.conf.csr", "kubelet.conf"}}) {
      Files.copy(node.resolve(p[0]), signing.resolve(p[1] + ".csr"));
    }
    sign(signing, ca.resolve("pki"));
    try (Stream<Path> csrs = Files.list(signing)) {
      for (Path f : csrs.filter(f -> f.toString().endsWith(".csr")).toList()) {
        Files.delete(f); // import finds the requests where generate-csr left them
      }
    }

    Run imported = Cli.run(REAL, args(new String[] {"certs", "import", "--csr-dir", signing.toString()}, dirs(node)));
    assertThat(imported.code()).as(imported.out() + imported.err()).isZero();
  }

  private static void sign(Path csrDir, Path caDir) throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder("sh", SCRIPT.toString(), csrDir.toString(), caDir.toString())
            .redirectErrorStream(true)
            .start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(output).isZero();
  }
}
