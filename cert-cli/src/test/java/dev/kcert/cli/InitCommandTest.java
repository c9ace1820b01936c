package dev.kcert.cli;

import static dev.kcert.cli.Cli.args;
import static dev.kcert.cli.Cli.dirs;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kcert.cli.Cli.Run;
import dev.kcert.core.pem.Certificates;
import dev.kcert.core.pki.CertificateInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InitCommandTest {
  static final String[] NODE = {
    "--node-name", "cp-1", "--advertise-address", "10.0.0.10", "--key-algorithm", "ECDSA-P256"
  };

  @TempDir Path root;

  private Run init(String... more) {
    return Cli.run(args(args(args(new String[] {"certs", "init"}, NODE), more), dirs(root)));
  }

  @Test
  void createsAFreshPki() throws Exception {
    Run r =
        init(
            "--control-plane-endpoint", "k8s.example.com:6443",
            "--apiserver-cert-extra-sans", "10.0.0.100,api.example.com",
            "--service-cidr", "10.112.0.0/12",
            "--dns-domain", "corp.local",
            "--validity", "90d",
            "--ca-validity", "1825d");

    assertThat(r.code()).as(r.err()).isEqualTo(ExitCodes.OK);
    assertThat(r.out())
        .startsWith("Wrote " + root.resolve("pki/ca.crt") + "\n")
        .endsWith("Created the PKI of node cp-1 (ECDSA-P256 keys): 27 files.\n");
    for (String f :
        new String[] {"admin.conf", "super-admin.conf", "controller-manager.conf", "scheduler.conf", "kubelet.conf"}) {
      assertThat(mode(root.resolve(f))).as(f).isEqualTo("rw-------");
    }
    assertThat(mode(root.resolve("pki/sa.key"))).isEqualTo("rw-------");
    assertThat(root.resolve("pki/sa.pub")).exists();
    X509Certificate apiserver = Certificates.readBundle(root.resolve("pki/apiserver.crt")).get(0);
    CertificateInfo info = CertificateInfo.of(apiserver);
    assertThat(info.dnsNames())
        .containsExactly( // sorted, as kubeadm's RemoveDuplicateAltNames leaves them
            "api.example.com", "cp-1", "k8s.example.com", "kubernetes", "kubernetes.default",
            "kubernetes.default.svc", "kubernetes.default.svc.corp.local");
    assertThat(info.ipAddressStrings()).containsExactly("10.112.0.1", "10.0.0.10", "10.0.0.100");
    assertThat(info.notAfter()).isEqualTo(Cli.NOW.plus(java.time.Duration.ofDays(90)));
    X509Certificate ca = Certificates.readBundle(root.resolve("pki/ca.crt")).get(0);
    assertThat(ca.getNotAfter().toInstant()).isEqualTo(Cli.NOW.plus(java.time.Duration.ofDays(1825)));
    assertThat(Files.readString(root.resolve("kubelet.conf"))).contains("system:node:cp-1");

    Run check = Cli.run(args(new String[] {"certs", "check-expiration", "--check-keys", "--include-kubelet"}, dirs(root)));
    assertThat(check.err()).isEmpty();
  }

  @Test
  void refusesToOverwrite() {
    assertThat(init().code()).isZero();
    Map<String, String> before = Cli.snapshot(root);

    Run again = init();

    assertThat(again.code()).isEqualTo(ExitCodes.ERROR);
    // the CAs are reused, so the first file in the way is the first leaf
    assertThat(again.out()).isEmpty();
    assertThat(again.err())
        .isEqualTo("error: " + root.resolve("pki/apiserver.crt") + ": already exists; refusing to overwrite it\n");
    assertThat(Cli.snapshot(root)).isEqualTo(before);
  }

  @Test
  void reusesExistingCas() throws Exception {
    assertThat(init().code()).isZero();
    String ca = Files.readString(root.resolve("pki/ca.crt"));
    try (var files = Files.walk(root)) {
      for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
        String rel = root.relativize(p).toString();
        if (Files.isRegularFile(p) && !rel.matches("pki/(etcd/)?(ca|front-proxy-ca)\\.(crt|key)")) {
          Files.delete(p);
        }
      }
    }

    Run r = init();

    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out())
        .startsWith(
            "Using the existing ca certificate authority\n"
                + "Using the existing front-proxy-ca certificate authority\n"
                + "Using the existing etcd-ca certificate authority\n")
        .endsWith("Created the PKI of node cp-1 (ECDSA-P256 keys): 21 files.\n");
    assertThat(Files.readString(root.resolve("pki/ca.crt"))).isEqualTo(ca);
  }

  @Test
  void nodeNameIsRequired() {
    Run r = Cli.run(args(new String[] {"certs", "init", "--advertise-address", "10.0.0.10"}, dirs(root)));
    assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(r.err()).startsWith("--node-name is required (or nodeRegistration.name in --config)\n");
  }

  @Test
  void badAddressIsAnError() {
    Run r = Cli.run(args(new String[] {"certs", "init", "--node-name", "x", "--advertise-address", "ten"}, dirs(root)));
    assertThat(r.code()).isEqualTo(ExitCodes.ERROR);
    assertThat(r.err()).isEqualTo("error: advertise address 'ten' is not an IP address\n");
    assertThat(root.resolve("pki")).doesNotExist();
  }

  private static String mode(Path p) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }
}
