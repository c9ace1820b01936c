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
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The CAs on disk, read once each and checked: a CA key must match its certificate. */
final class CaStore {
  /**
   * One CA.
   *
   * @param entry its catalogue entry
   * @param certificate its certificate
   * @param certificatePem the CA certificate alone in canonical PEM, as kubeadm embeds it into
   *     kubeconfigs (never the file's bytes: a key or another certificate appended to {@code
   *     ca.crt} must not travel)
   * @param key its private key, {@code null} when it is externally managed (no key file)
   */
  record Ca(CatalogueEntry entry, X509Certificate certificate, byte[] certificatePem, PrivateKey key) {
    boolean external() {
      return key == null;
    }
  }

  private final PkiLayout layout;
  private final Map<String, Ca> cas = new HashMap<>();
  private final List<String> warnings = new ArrayList<>();

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

  /** What the user should know about the CAs read so far (a CA key others can read). */
  List<String> warnings() {
    return List.copyOf(warnings);
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
    byte[] canonical = Certificates.toPem(cert).getBytes(StandardCharsets.US_ASCII);
    if (!Existing.exists(key)) {
      return new Ca(ca, cert, canonical, null);
    }
    PrivateKey caKey = PrivateKeys.read(key);
    if (!KeyPairs.matches(caKey, cert.getPublicKey())) {
      throw KcertException.about(key, "does not match " + crt.getFileName());
    }
    String loose = Existing.looseMode(key);
    if (loose != null) {
      warnings.add(
          key + ": the CA key can be read or written by group or others (" + loose
              + "); it should be 0600");
    }
    return new Ca(ca, cert, canonical, caKey);
  }
}
