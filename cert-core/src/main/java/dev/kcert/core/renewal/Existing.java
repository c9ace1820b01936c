package dev.kcert.core.renewal;

import dev.kcert.core.keys.KeyAlgorithm;
import dev.kcert.core.keys.KeyPairs;
import dev.kcert.core.kubeconfig.CredentialRef;
import dev.kcert.core.kubeconfig.Kubeconfig;
import dev.kcert.core.kubeconfig.KubeconfigCredentials;
import dev.kcert.core.model.CatalogueEntry;
import dev.kcert.core.model.KcertException;
import dev.kcert.core.pem.Certificates;
import dev.kcert.core.pem.Pem;
import dev.kcert.core.pem.PrivateKeys;
import dev.kcert.core.pki.PkiLayout;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;

/**
 * A certificate on disk as renewal sees it: a leaf's {@code .crt} (with its {@code .key}) or a
 * kubeconfig's client certificate (with its client key).
 *
 * @param entry the catalogue entry
 * @param file the certificate file or the kubeconfig file
 * @param certificate the current certificate
 * @param kubeconfig the parsed kubeconfig, {@code null} for leaves
 */
record Existing(
    CatalogueEntry entry, Path file, X509Certificate certificate, Kubeconfig kubeconfig) {

  /** Reads an entry; {@code null} when its file does not exist. */
  static Existing read(PkiLayout layout, CatalogueEntry entry) {
    Path file = layout.certFile(entry);
    if (!exists(file)) {
      return null;
    }
    if (!entry.isKubeconfig()) {
      return new Existing(entry, file, Certificates.readBundle(file).get(0), null);
    }
    Kubeconfig kc = Kubeconfig.read(file).under(layout.rootfs());
    KubeconfigCredentials creds = kc.credentials();
    CredentialRef ref = creds.clientCertificate();
    if (ref == null) {
      throw KcertException.about(
          file, "user " + KcertException.shown(creds.userName()) + " has no client certificate");
    }
    X509Certificate cert = Certificates.parseBundle(ref.load(), ref.describe()).get(0);
    return new Existing(entry, file, cert, kc);
  }

  /** Where the private key lives, for messages. */
  String keySource(PkiLayout layout) {
    if (kubeconfig == null) {
      return layout.keyFile(entry).toString();
    }
    CredentialRef ref = kubeconfig.credentials().clientKey();
    return ref == null ? file + " (client-key-data)" : ref.describe();
  }

  /** The current private key's PEM bytes. */
  byte[] keyPem(PkiLayout layout) {
    if (kubeconfig == null) {
      return Pem.readFile(layout.keyFile(entry));
    }
    KubeconfigCredentials creds = kubeconfig.credentials();
    CredentialRef ref = creds.clientKey();
    if (ref == null) {
      throw KcertException.about(file, "user " + KcertException.shown(creds.userName()) + " has no client key");
    }
    return ref.load();
  }

  /** The current private key. */
  PrivateKey key(PkiLayout layout) {
    return PrivateKeys.parse(keyPem(layout), keySource(layout));
  }

  /**
   * The current key pair, for {@code --reuse-key}.
   *
   * @throws KcertException when the private key does not belong to the certificate
   */
  KeyPair reusableKey(PkiLayout layout) {
    PrivateKey key = key(layout);
    if (!KeyPairs.matches(key, certificate.getPublicKey())) {
      throw new KcertException(
          keySource(layout) + ": private key does not match the certificate; cannot reuse it");
    }
    return new KeyPair(certificate.getPublicKey(), key);
  }

  /**
   * The type of a new key: {@code asked} when given, else the current key's.
   *
   * @throws KcertException when the current key is of a type kcert does not make
   */
  KeyAlgorithm newKeyAlgorithm(KeyAlgorithm asked) {
    if (asked != null) {
      return asked;
    }
    return KeyAlgorithm.of(certificate.getPublicKey())
        .orElseThrow(
            () ->
                new KcertException(
                    file
                        + ": its key ("
                        + KeyAlgorithm.describe(certificate.getPublicKey())
                        + ") is not a type kcert generates; choose one with --key-algorithm"));
  }

  /**
   * The mode of a file holding a private key when group or others have any access to it (as
   * {@code rw-r--r--}), else {@code null}.
   */
  static String looseMode(Path file) {
    try {
      Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
      for (PosixFilePermission p : perms) {
        if (p != PosixFilePermission.OWNER_READ
            && p != PosixFilePermission.OWNER_WRITE
            && p != PosixFilePermission.OWNER_EXECUTE) {
          return PosixFilePermissions.toString(perms);
        }
      }
      return null;
    } catch (IOException | UnsupportedOperationException e) {
      return null; // read as a key already; a mode the system cannot tell is no warning
    }
  }

  static boolean exists(Path p) {
    return Files.exists(p, LinkOption.NOFOLLOW_LINKS);
  }
}
