package dev.kcert.cli;

import static dev.kcert.cli.Cli.args;
import static dev.kcert.cli.Cli.dirs;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kcert.cli.Cli.Run;
import dev.kcert.core.model.Catalogue;
import dev.kcert.core.model.CatalogueEntry;
import dev.kcert.core.pem.Certificates;
import dev.kcert.core.pem.Pem;
import dev.kcert.core.pem.PrivateKeys;
import dev.kcert.core.pki.CertificateSigner;
import dev.kcert.core.pki.CertificateTemplate;
import dev.kcert.core.pki.NodeParameters;
import dev.kcert.core.pki.PkiTemplates;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GenerateCsrCommandTest {
  static final String[] NODE = {
    "certs", "generate-csr", "--node-name", "cp-2", "--advertise-address", "10.0.0.11",
    "--key-algorithm", "ECDSA-P256"
  };

  @TempDir Path root;
  @TempDir Path caRoot;

  /** Only the CA certificates are on the new node; the CA keys stay with the "external CA". */
  @BeforeEach
  void cas() throws Exception {
    Cli.pki(caRoot);
    for (CatalogueEntry ca : Catalogue.CAS) {
      Path crt = root.resolve("pki/" + ca.baseName() + ".crt");
      Files.createDirectories(crt.getParent());
      Files.copy(caRoot.resolve("pki/" + ca.baseName() + ".crt"), crt);
    }
  }

  @Test
  void writesKeysAndRequestsWhereTheCertificatesBelong() throws Exception {
    Run r = Cli.run(args(NODE, dirs(root)));

    assertThat(r.code()).as(r.err()).isEqualTo(ExitCodes.OK);
    assertThat(r.out())
        .startsWith("Wrote " + root.resolve("pki/apiserver.key") + "\nWrote " + root.resolve("pki/apiserver.csr") + "\n")
        .contains("Wrote " + root.resolve("pki/etcd/server.csr") + "\n")
        .contains("Wrote " + root.resolve("kubelet.conf.csr") + "\n");
    assertThat(r.out().lines().filter(l -> l.startsWith("Wrote "))).hasSize(24);
    assertThat(mode(root.resolve("pki/etcd/peer.key"))).isEqualTo("rw-------");
    assertThat(mode(root.resolve("admin.conf"))).isEqualTo("rw-------");
    assertThat(Files.readString(root.resolve("admin.conf")))
        .contains("client-key-data:")
        .doesNotContain("client-certificate-data:");
  }

  @Test
  void neverOverwrites() throws Exception {
    Files.writeString(root.resolve("scheduler.conf"), "keep me\n");
    Map<String, String> before = Cli.snapshot(root);

    Run r = Cli.run(args(NODE, dirs(root)));

    assertThat(r.code()).isEqualTo(ExitCodes.ERROR);
    assertThat(r.err())
        .isEqualTo("error: " + root.resolve("scheduler.conf") + ": already exists; refusing to overwrite it\n");
    assertThat(Cli.snapshot(root)).isEqualTo(before);
  }

  @Test
  void missingCaCertificateIsAnError() throws Exception {
    Files.delete(root.resolve("pki/ca.crt"));
    Run r = Cli.run(args(NODE, dirs(root)));
    assertThat(r.code()).isEqualTo(ExitCodes.ERROR);
    assertThat(r.err())
        .isEqualTo(
            "error: "
                + root.resolve("pki/ca.crt")
                + ": missing: the kubeconfig files need the CA certificate; copy it here first\n");
  }

  @Test
  void signedCertificatesAreImportedIntoPlace() throws Exception {
    assertThat(Cli.run(args(NODE, dirs(root))).code()).isZero();
    Path signed = root.resolve("signed");
    Files.createDirectories(signed);
    NodeParameters node = NodeParameters.of("cp-2", "10.0.0.11");
    List<CatalogueEntry> all = new ArrayList<>(Catalogue.renewable());
    all.add(Catalogue.KUBELET_KUBECONFIG);
    for (CatalogueEntry e : all) {
      Path csr =
          e.isKubeconfig()
              ? root.resolve(e.baseName() + ".csr")
              : root.resolve("pki/" + e.baseName() + ".csr");
      sign(e, node, csr, signed.resolve(e.name() + ".crt"));
    }

    Run r = Cli.run(args(new String[] {"certs", "import", "--csr-dir", signed.toString()}, dirs(root)));

    assertThat(r.code()).as(r.err()).isEqualTo(ExitCodes.OK);
    assertThat(r.out()).endsWith(
        "You must restart the kube-apiserver, kube-controller-manager, kube-scheduler, etcd and"
            + " kubelet, so that they can use the new certificates.\n");
    Run check =
        Cli.run(args(new String[] {"certs", "check-expiration", "--check-keys"}, dirs(root)));
    assertThat(check.err()).isEmpty();
    assertThat(check.code()).isZero();
  }

  /** Signs a request as an external CA would: the subject and SANs kubeadm's rules give it. */
  private void sign(CatalogueEntry e, NodeParameters node, Path csr, Path out) throws Exception {
    PKCS10CertificationRequest req =
        new PKCS10CertificationRequest(Pem.parse(Files.readAllBytes(csr), csr.toString()).get(0).der());
    PublicKey key =
        KeyFactory.getInstance("EC")
            .generatePublic(new X509EncodedKeySpec(req.getSubjectPublicKeyInfo().getEncoded()));
    CertificateTemplate t =
        PkiTemplates.of(e, node, Cli.NOW.minus(Duration.ofMinutes(5)), Cli.NOW.plus(Duration.ofDays(365)));
    CatalogueEntry ca = Catalogue.ca(e.caName());
    X509Certificate caCert = Certificates.readBundle(caRoot.resolve("pki/" + ca.baseName() + ".crt")).get(0);
    X509Certificate cert =
        CertificateSigner.sign(
            t, key, caCert, PrivateKeys.read(caRoot.resolve("pki/" + ca.baseName() + ".key")));
    Files.writeString(out, Certificates.toPem(cert));
  }

  private static String mode(Path p) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }
}
