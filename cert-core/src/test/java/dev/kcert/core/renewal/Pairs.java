package dev.kcert.core.renewal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kcert.core.keys.KeyPairs;
import dev.kcert.core.kubeconfig.KubeconfigCredentials;
import dev.kcert.core.kubeconfig.Kubeconfig;
import dev.kcert.core.model.Catalogue;
import dev.kcert.core.model.CatalogueEntry;
import dev.kcert.core.pem.Certificates;
import dev.kcert.core.pem.PrivateKeys;
import dev.kcert.core.pki.PkiLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;

/** Assertions on the pairs of a PKI: every certificate matches its key and chains to its CA. */
final class Pairs {
  private Pairs() {}

  static void assertAllConsistent(PkiLayout layout) {
    for (CatalogueEntry e : Catalogue.renewable()) {
      Path file = layout.certFile(e);
      if (!Files.exists(file)) {
        continue;
      }
      X509Certificate cert;
      PrivateKey key;
      if (e.isKubeconfig()) {
        KubeconfigCredentials c = Kubeconfig.read(file).credentials();
        cert = Certificates.parseBundle(c.clientCertificate().load(), file.toString()).get(0);
        key = PrivateKeys.parse(c.clientKey().load(), file.toString());
      } else {
        cert = Certificates.readBundle(file).get(0);
        key = PrivateKeys.read(layout.keyFile(e));
      }
      X509Certificate ca = Certificates.readBundle(layout.certFile(Catalogue.ca(e.caName()))).get(0);
      assertThat(KeyPairs.matches(key, cert.getPublicKey()))
          .as("%s: key matches certificate", e.name())
          .isTrue();
      assertThat(Certificates.isSignedBy(cert, ca)).as("%s: signed by %s", e.name(), e.caName()).isTrue();
    }
  }
}
