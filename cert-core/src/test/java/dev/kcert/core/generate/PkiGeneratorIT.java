package dev.kcert.core.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kcert.core.keys.KeyAlgorithm;
import dev.kcert.core.model.Catalogue;
import dev.kcert.core.model.CatalogueEntry;
import dev.kcert.core.pki.PkiLayout;
import dev.kcert.core.testing.Openssl;
import dev.kcert.core.testing.TestPki;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** openssl judges the generated PKI: chains, subjects, SANs, usages, keys and modes. */
class PkiGeneratorIT {
  @TempDir Path tmp;

  @ParameterizedTest(name = "{0}")
  @EnumSource(value = KeyAlgorithm.class, names = {"ECDSA_P256", "RSA_2048"})
  void everyLeafVerifiesAgainstItsCaAndEveryKeyChecks(KeyAlgorithm alg) throws Exception {
    PkiLayout layout = TestPki.in(tmp).keyAlgorithm(alg).create();
    for (CatalogueEntry leaf : Catalogue.LEAVES) {
      CatalogueEntry ca = Catalogue.ca(leaf.caName());
      String out =
          Openssl.ok(tmp, "verify", "-CAfile", layout.certFile(ca).toString(),
              layout.certFile(leaf).toString());
      assertThat(out).contains(": OK");
      Openssl.ok(tmp, "pkey", "-check", "-noout", "-in", layout.keyFile(leaf).toString());
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(layout.keyFile(leaf))))
          .isEqualTo("rw-------");
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(layout.certFile(leaf))))
          .isEqualTo("rw-r--r--");
    }
    for (CatalogueEntry ca : Catalogue.CAS) {
      Openssl.ok(tmp, "pkey", "-check", "-noout", "-in", layout.keyFile(ca).toString());
    }
    String apiserver =
        Openssl.ok(tmp, "x509", "-noout", "-text", "-in", layout.certDir().resolve("apiserver.crt").toString());
    assertThat(apiserver)
        .contains("Subject: CN = kube-apiserver")
        .contains("DNS:cp-1, DNS:kubernetes, DNS:kubernetes.default, DNS:kubernetes.default.svc,"
            + " DNS:kubernetes.default.svc.cluster.local, IP Address:10.96.0.1, IP Address:192.168.10.11")
        .contains("TLS Web Server Authentication")
        .contains("Digital Signature, Key Encipherment")
        .contains("CA:FALSE");
    String admin = Openssl.ok(tmp, "x509", "-noout", "-subject", "-in",
        extractClientCert(layout.kubeconfigDir().resolve("admin.conf")).toString());
    assertThat(admin.strip()).isEqualTo("subject=O = kubeadm:cluster-admins, CN = kubernetes-admin");
    assertThat(PosixFilePermissions.toString(
        Files.getPosixFilePermissions(layout.kubeconfigDir().resolve("admin.conf")))).isEqualTo("rw-------");
  }

  @Test
  void refusesToOverwriteAndWritesNothing() throws Exception {
    PkiLayout layout = TestPki.in(tmp).create();
    Path apiserver = layout.certDir().resolve("apiserver.crt");
    byte[] before = Files.readAllBytes(apiserver);
    Files.delete(layout.certDir().resolve("front-proxy-client.crt"));
    assertThatThrownBy(() -> TestPki.in(tmp).create())
        .hasMessageContaining("already exists; refusing to overwrite it");
    assertThat(Files.readAllBytes(apiserver)).isEqualTo(before);
    assertThat(layout.certDir().resolve("front-proxy-client.crt")).doesNotExist();
  }

  @Test
  void reusesCasOnDisk() throws Exception {
    PkiLayout first = TestPki.in(tmp.resolve("a")).create();
    Path other = tmp.resolve("b");
    Files.createDirectories(other.resolve("pki/etcd"));
    for (String f : new String[] {"ca.crt", "ca.key", "etcd/ca.crt", "etcd/ca.key"}) {
      Files.copy(first.certDir().resolve(f), other.resolve("pki").resolve(f));
    }
    PkiGenerator.Plan plan =
        PkiGenerator.generate(PkiLayout.under(other), TestPki.NODE,
            GenerationOptions.defaults(KeyAlgorithm.ECDSA_P256, TestPki.CLOCK));
    assertThat(plan.reusedCas()).containsExactly("ca", "etcd-ca");
    assertThat(Files.readAllBytes(other.resolve("pki/ca.crt")))
        .isEqualTo(Files.readAllBytes(first.certDir().resolve("ca.crt")));
    Openssl.ok(tmp, "verify", "-CAfile", first.certDir().resolve("ca.crt").toString(),
        other.resolve("pki/apiserver.crt").toString());
  }

  private Path extractClientCert(Path kubeconfig) throws Exception {
    Path out = tmp.resolve(kubeconfig.getFileName() + ".crt");
    Files.write(out, dev.kcert.core.kubeconfig.Kubeconfig.read(kubeconfig).credentials().clientCertificate().load());
    return out;
  }
}
