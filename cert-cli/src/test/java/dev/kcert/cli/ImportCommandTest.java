package dev.kcert.cli;

import static dev.kcert.cli.Cli.args;
import static dev.kcert.cli.Cli.dirs;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kcert.cli.Cli.Run;
import dev.kcert.core.model.Catalogue;
import dev.kcert.core.model.CatalogueEntry;
import dev.kcert.core.pem.Certificates;
import dev.kcert.core.pem.Pem;
import dev.kcert.core.pem.PemBlock;
import dev.kcert.core.pem.PrivateKeys;
import dev.kcert.core.pki.CertificateInfo;
import dev.kcert.core.pki.CertificateSigner;
import dev.kcert.core.pki.CertificateTemplate;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImportCommandTest {
  @TempDir Path root;
  Path csrDir;

  @BeforeEach
  void pki() {
    Cli.pki(root);
    csrDir = root.resolve("csr");
  }

  @Test
  void roundTripThroughAnExternalCa() throws Exception {
    Run csr = Cli.run(args(new String[] {"certs", "renew", "all", "--csr-only", "--csr-dir", csrDir.toString()}, dirs(root)));
    assertThat(csr.code()).isZero();
    for (CatalogueEntry e : Catalogue.renewable()) {
      sign(e, e.caName());
    }

    Run r = Cli.run(args(new String[] {"certs", "import", "--csr-dir", csrDir.toString()}, dirs(root)));

    assertThat(r.code()).as(r.err()).isEqualTo(ExitCodes.OK);
    assertThat(r.out())
        .startsWith(
            "Backed up the files that were replaced to "
                + root.resolve("tmp/kcert-backup-20261123T120000Z")
                + "\ncertificate for serving the Kubernetes API imported into "
                + root.resolve("pki/apiserver.crt")
                + " (expires Feb 21, 2027 12:00 UTC)\n")
        .endsWith(
            "You must restart the kube-apiserver, kube-controller-manager, kube-scheduler and"
                + " etcd, so that they can use the new certificates.\n");
    assertThat(Files.readString(root.resolve("pki/etcd/server.crt")))
        .isEqualTo(Files.readString(csrDir.resolve("etcd-server.crt")));
    Run check =
        Cli.run(args(new String[] {"certs", "check-expiration", "--check-keys"}, dirs(root)));
    assertThat(check.code()).as(check.err()).isZero();
    assertThat(check.out()).contains("admin.conf                 Feb 21, 2027 12:00 UTC");
  }

  @Test
  void certificateFromAnotherCaIsRefusedAndNothingChanges() throws Exception {
    Cli.run(args(new String[] {"certs", "renew", "apiserver", "--csr-only", "--csr-dir", csrDir.toString()}, dirs(root)));
    sign(Catalogue.find("apiserver").orElseThrow(), "etcd-ca");
    Map<String, String> before = Cli.snapshot(root);

    Run r = Cli.run(args(new String[] {"certs", "import", "--csr-dir", csrDir.toString()}, dirs(root)));

    assertThat(r.code()).isEqualTo(ExitCodes.ERROR);
    assertThat(r.err())
        .isEqualTo(
            "error: "
                + csrDir.resolve("apiserver.crt")
                + ": is not signed by ca ("
                + root.resolve("pki/ca.crt")
                + ")\n");
    assertThat(Cli.snapshot(root)).isEqualTo(before);
    // refused while planning: no lock was taken, so not even <kubeconfig-dir>/tmp was made
    assertThat(root.resolve("tmp")).doesNotExist();
  }

  @Test
  void nothingToImportExitsFive() throws Exception {
    Files.createDirectories(csrDir);
    Run r = Cli.run(args(new String[] {"certs", "import", "--csr-dir", csrDir.toString()}, dirs(root)));
    assertThat(r.code()).isEqualTo(ExitCodes.NOTHING_TO_DO);
    assertThat(r.out()).isEqualTo("Nothing to import: " + csrDir + " holds no <name>.crt; nothing was written.\n");
    assertThat(root.resolve("tmp")).as("no lock, no tmp folder").doesNotExist();
  }

  @Test
  void stacktraceStillStartsWithThePlainOneLineError() throws Exception {
    Files.createDirectories(csrDir);
    Run r =
        Cli.run(
            args(
                new String[] {"certs", "import", "--csr-dir", csrDir.toString(), "admin.conf", "--stacktrace"},
                dirs(root)));
    assertThat(r.code()).isEqualTo(ExitCodes.ERROR);
    assertThat(r.err().lines().findFirst().orElseThrow())
        .isEqualTo("error: " + csrDir.resolve("admin.conf.crt") + ": missing: no certificate to import for admin.conf");
    assertThat(r.err()).contains("\tat "); // the trace follows, below the plain line
  }

  @Test
  void namedCertificateMustBeThere() throws Exception {
    Files.createDirectories(csrDir);
    Run r = Cli.run(args(new String[] {"certs", "import", "--csr-dir", csrDir.toString(), "admin.conf"}, dirs(root)));
    assertThat(r.code()).isEqualTo(ExitCodes.ERROR);
    assertThat(r.err())
        .isEqualTo("error: " + csrDir.resolve("admin.conf.crt") + ": missing: no certificate to import for admin.conf\n");
  }

  /** Signs {@code csr/<name>.csr} with a CA of the PKI, as an external CA would, for 90 days. */
  private void sign(CatalogueEntry e, String caName) throws Exception {
    PemBlock block = Pem.parse(Files.readAllBytes(csrDir.resolve(e.name() + ".csr")), "csr").get(0);
    PKCS10CertificationRequest req = new PKCS10CertificationRequest(block.der());
    String alg = req.getSubjectPublicKeyInfo().getAlgorithm().getAlgorithm().getId().equals("1.2.840.10045.2.1") ? "EC" : "RSA";
    PublicKey key =
        KeyFactory.getInstance(alg)
            .generatePublic(new X509EncodedKeySpec(req.getSubjectPublicKeyInfo().getEncoded()));
    // the installed certificate tells what the request asks for; the CA copies it
    X509Certificate installed = installed(e);
    CertificateInfo info = CertificateInfo.of(installed);
    CertificateTemplate t =
        new CertificateTemplate(
            info.commonName(),
            info.organizations(),
            info.dnsNames(),
            info.ipAddresses(),
            e.extKeyUsages(),
            false,
            Cli.NOW.minus(Duration.ofMinutes(5)),
            Cli.NOW.plus(Duration.ofDays(90)));
    CatalogueEntry ca = Catalogue.ca(caName);
    Path caDir = root.resolve("pki");
    X509Certificate caCert = Certificates.readBundle(caDir.resolve(ca.baseName() + ".crt")).get(0);
    X509Certificate cert =
        CertificateSigner.sign(t, key, caCert, PrivateKeys.read(caDir.resolve(ca.baseName() + ".key")));
    Files.writeString(csrDir.resolve(e.name() + ".crt"), Certificates.toPem(cert));
  }

  private X509Certificate installed(CatalogueEntry e) throws Exception {
    if (!e.isKubeconfig()) {
      return Certificates.readBundle(root.resolve("pki/" + e.baseName() + ".crt")).get(0);
    }
    var creds = dev.kcert.core.kubeconfig.Kubeconfig.read(root.resolve(e.baseName())).credentials();
    return Certificates.parseBundle(creds.clientCertificate().load(), e.name()).get(0);
  }

}
