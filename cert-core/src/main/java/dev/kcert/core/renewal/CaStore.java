package dev.kcert.core.renewal;

import dev.kcert.core.keys.KeyPairs;
import dev.kcert.core.model.Catalogue;
import dev.kcert.core.model.CatalogueEntry;
import dev.kcert.core.model.KcertException;
import dev.kcert.core.pem.Certificates;
import dev.kcert.core.pem.Pem;
import dev.kcert.core.pem.PrivateKeys;
import dev.kcert.core.pki.PkiLayout;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.HashMap;
import java.util.Map;

/** The CAs on disk, read once each and checked: a CA key must match its certificate. */
final class CaStore {
  /**
   * One CA.
   *
   * @param entry its catalogue entry
   * @param certificate its certificate
   * @param certificatePem the bytes of its certificate file, as kubeconfigs embed them
   * @param key its private key, {@code null} when it is externally managed (no key file)
   */
  record Ca(CatalogueEntry entry, X509Certificate certificate, byte[] certificatePem, PrivateKey key) {
    boolean external() {
      return key == null;
    }
  }

  private final PkiLayout layout;
  private final Map<String, Ca> cas = new HashMap<>();

  CaStore(PkiLayout layout) {
    this.layout = layout;
  }

  /**
   * The CA that signs {@code entry}.
   *
   * @throws KcertException when its certificate is missing or corrupt, or its key does not match
   */
  Ca forEntry(CatalogueEntry entry) {
    return cas.computeIfAbsent(entry.caName(), this::load);
  }

  private Ca load(String name) {
    CatalogueEntry ca = Catalogue.ca(name);
    Path crt = layout.certFile(ca);
    Path key = layout.keyFile(ca);
    if (!Existing.exists(crt)) {
      throw KcertException.about(crt, "missing: the " + name + " certificate is needed");
    }
    byte[] pem = Pem.readFile(crt);
    X509Certificate cert = Certificates.parseBundle(pem, crt.toString()).get(0);
    if (cert.getBasicConstraints() < 0) {
      throw KcertException.about(crt, "is not a CA certificate");
    }
    if (!Existing.exists(key)) {
      return new Ca(ca, cert, pem, null);
    }
    PrivateKey caKey = PrivateKeys.read(key);
    if (!KeyPairs.matches(caKey, cert.getPublicKey())) {
      throw KcertException.about(key, "does not match " + crt.getFileName());
    }
    return new Ca(ca, cert, pem, caKey);
  }
}
