package dev.kcert.core.renewal;

import dev.kcert.core.keys.KeyPairs;
import dev.kcert.core.kubeconfig.CredentialRef;
import dev.kcert.core.kubeconfig.Kubeconfig;
import dev.kcert.core.kubeconfig.KubeconfigCredentials;
import dev.kcert.core.model.CatalogueEntry;
import dev.kcert.core.model.ExtendedKeyUsage;
import dev.kcert.core.model.KcertException;
import dev.kcert.core.pem.Certificates;
import dev.kcert.core.pem.Pem;
import dev.kcert.core.pem.PrivateKeys;
import dev.kcert.core.pki.AtomicFiles;
import dev.kcert.core.pki.CertificateInfo;
import dev.kcert.core.pki.PkiLayout;
import java.nio.charset.StandardCharsets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * {@code import}: takes the certificates an external CA returned for kcert's requests ({@code
 * DIR/<name>.crt}) and plans their installation. Each must chain to the CA certificate on disk,
 * match its private key ({@code DIR/<name>.key}, or the key already installed when the request was
 * made with {@code --reuse-key}), carry its request's subject and SANs, and have usages the
 * component needs. One bad certificate refuses the whole import.
 */
public final class ImportPlanner {
  /**
   * One certificate to install.
   *
   * @param entry the catalogue entry
   * @param source {@code DIR/<name>.crt}
   * @param target the certificate or kubeconfig file it goes into
   * @param notAfter its expiry
   * @param change the files to install
   * @param warnings what the user should know (it outlives its CA, a CA key others can read)
   */
  public record Item(
      CatalogueEntry entry,
      Path source,
      Path target,
      Instant notAfter,
      ChangeSet change,
      List<String> warnings) {
    public Item {
      warnings = List.copyOf(warnings);
    }
  }

  /** The largest certificate file import reads: a certificate and a few of its chain. */
  public static final long MAX_CERTIFICATE_FILE = 256 * 1024;

  private ImportPlanner() {}

  /**
   * Plans the import of every entry of {@code entries} that has a certificate in {@code csrDir}.
   *
   * @param required whether every entry must have one (the user named it)
   * @throws KcertException on the first certificate that fails a check
   */
  public static List<Item> plan(
      PkiLayout layout, List<CatalogueEntry> entries, Path csrDir, boolean required, Clock clock) {
    CaStore cas = new CaStore(layout);
    List<Item> items = new ArrayList<>();
    for (CatalogueEntry e : entries) {
      Path crt = csrDir.resolve(e.name() + ".crt");
      if (!Existing.exists(crt)) {
        if (required) {
          throw KcertException.about(crt, "missing: no certificate to import for " + e.name());
        }
        continue;
      }
      items.add(item(layout, e, crt, csrDir, cas, clock.instant()));
    }
    return List.copyOf(items);
  }

  private static Item item(
      PkiLayout layout, CatalogueEntry e, Path crt, Path csrDir, CaStore cas, Instant now) {
    checkSize(crt);
    List<X509Certificate> bundle = Certificates.parseBundle(Pem.readFile(crt), crt.toString());
    X509Certificate cert = bundle.get(0);
    // what is installed is what was parsed: the certificates in canonical PEM, nothing else
    StringBuilder canonical = new StringBuilder();
    bundle.forEach(c -> canonical.append(Certificates.toPem(c)));
    byte[] certPem = canonical.toString().getBytes(StandardCharsets.US_ASCII);
    CaStore.Ca ca = cas.forEntry(e);
    Path caFile = layout.certFile(ca.entry());
    if (!Certificates.isSignedBy(cert, ca.certificate())) {
      throw KcertException.about(
          crt, "is not signed by " + ca.entry().name() + " (" + caFile + ")");
    }
    CertificateInfo info;
    try {
      info = CertificateInfo.of(cert);
    } catch (IllegalArgumentException ex) {
      throw KcertException.about(crt, ex.getMessage(), ex);
    }
    checkUsages(e, crt, cert, info, now);

    Path csr = requestFile(layout, e, csrDir);
    Requests.Request request = Requests.read(csr);
    if (!Arrays.equals(request.publicKey().getEncoded(), cert.getPublicKey().getEncoded())) {
      throw KcertException.about(crt, "was not issued for the key of " + csr);
    }
    List<String> diff = request.identity().differences(Identity.of(info), false);
    if (!diff.isEmpty()) {
      throw KcertException.about(
          crt, "does not carry the subject and SANs of " + csr + ": " + String.join(", ", diff));
    }

    Path target = layout.certFile(e);
    Path newKeyFile = csrDir.resolve(e.name() + ".key");
    boolean newKey = Existing.exists(newKeyFile);
    byte[] keyPem;
    String keySource;
    Kubeconfig targetConfig = null; // read once, when the key is looked for in it
    if (newKey) {
      keyPem = Pem.readFile(newKeyFile);
      keySource = newKeyFile.toString();
    } else if (e.isKubeconfig() && Existing.exists(target)) {
      // the request was made with --reuse-key, or by generate-csr, which leaves the key in the file
      targetConfig = Kubeconfig.read(target);
      KubeconfigCredentials creds = targetConfig.credentials();
      CredentialRef ref = creds.clientKey();
      if (ref == null) {
        throw KcertException.about(
            newKeyFile, "missing, and " + target + " holds no client key either");
      }
      keyPem = ref.load();
      keySource = ref.describe();
    } else if (!e.isKubeconfig() && Existing.exists(layout.keyFile(e))) {
      keyPem = Pem.readFile(layout.keyFile(e));
      keySource = layout.keyFile(e).toString();
    } else {
      throw KcertException.about(newKeyFile, "missing: no private key for " + crt);
    }
    PrivateKey key = PrivateKeys.parse(keyPem, keySource);
    if (!KeyPairs.matches(key, cert.getPublicKey())) {
      throw KcertException.about(crt, "does not match the private key " + keySource);
    }
    keyPem =
        PrivateKeys.toPem(new KeyPair(cert.getPublicKey(), key)).getBytes(StandardCharsets.US_ASCII);
    List<String> warnings = new ArrayList<>();
    Instant caNotAfter = ca.certificate().getNotAfter().toInstant();
    if (cert.getNotAfter().toInstant().isAfter(caNotAfter)) {
      warnings.add(
          e.name()
              + ": the imported certificate is valid until "
              + cert.getNotAfter().toInstant()
              + ", after "
              + ca.entry().name()
              + " expires ("
              + caNotAfter
              + ")");
    }
    warnings.addAll(cas.warnings());

    Identity identity = request.identity();
    X509Certificate expected = cert;
    byte[] firstCertPem = Certificates.toPem(cert).getBytes(StandardCharsets.US_ASCII);
    ChangeSet change;
    if (e.isKubeconfig()) {
      if (!Existing.exists(target)) {
        throw KcertException.about(
            target, "missing: import embeds certificates into existing kubeconfig files only");
      }
      Kubeconfig kc = targetConfig != null ? targetConfig : Kubeconfig.read(target);
      kc.embedClientCredentials(firstCertPem, keyPem, ca.certificatePem());
      change =
          new ChangeSet(
              e.name(),
              List.of(
                  new FileChange(
                      target,
                      kc.render(),
                      AtomicFiles.PRIVATE,
                      Installer.backupName(layout, target))),
              Verification.kubeconfig(target, ca, expected, identity, false));
    } else {
      Path keyFile = layout.keyFile(e);
      List<FileChange> files = new ArrayList<>();
      if (newKey) {
        files.add(
            new FileChange(
                keyFile, keyPem, AtomicFiles.PRIVATE, Installer.backupName(layout, keyFile)));
      }
      files.add(
          new FileChange(
              target, certPem, AtomicFiles.PUBLIC, Installer.backupName(layout, target)));
      change =
          new ChangeSet(
              e.name(), files, Verification.leaf(target, keyFile, ca, expected, identity, false));
    }
    return new Item(e, crt, target, cert.getNotAfter().toInstant(), change, warnings);
  }

  private static void checkSize(Path crt) {
    long size;
    try {
      size = Files.size(crt);
    } catch (IOException e) {
      throw KcertException.about(crt, "cannot read: " + KcertException.oneLine(e), e);
    }
    if (size > MAX_CERTIFICATE_FILE) {
      throw KcertException.about(
          crt,
          "is " + size + " bytes, more than the " + MAX_CERTIFICATE_FILE
              + " a certificate file may have; not imported");
    }
  }

  /**
   * The request a certificate answers: {@code DIR/<name>.csr}, else the one {@code generate-csr}
   * wrote where the certificate belongs.
   */
  private static Path requestFile(PkiLayout layout, CatalogueEntry e, Path csrDir) {
    Path inDir = csrDir.resolve(e.name() + ".csr");
    if (Existing.exists(inDir)) {
      return inDir;
    }
    Path beside = layout.csrFile(e);
    if (Existing.exists(beside)) {
      return beside;
    }
    throw KcertException.about(inDir, "missing: the certificate request is needed to check the certificate");
  }

  private static void checkUsages(
      CatalogueEntry e, Path crt, X509Certificate cert, CertificateInfo info, Instant now) {
    if (info.ca()) {
      throw KcertException.about(crt, "is a CA certificate, not a certificate for " + e.name());
    }
    Set<ExtendedKeyUsage> missing = EnumSet.noneOf(ExtendedKeyUsage.class);
    missing.addAll(e.extKeyUsages());
    missing.removeAll(info.extKeyUsages());
    if (!missing.isEmpty()) {
      throw KcertException.about(
          crt,
          "lacks the extended key usage "
              + missing.stream()
                  .map(ExtendedKeyUsage::kubernetesName)
                  .sorted()
                  .collect(Collectors.joining(", "))
              + " that "
              + e.name()
              + " needs");
    }
    boolean[] ku = cert.getKeyUsage();
    if (ku != null && !ku[0]) {
      throw KcertException.about(crt, "lacks the key usage digitalSignature");
    }
    // kubeadm backdates by five minutes against clock skew; a CA that does not, on a clock a
    // little ahead of this node's, is allowed as much
    if (cert.getNotBefore().toInstant().isAfter(now.plus(Renewer.BACKDATE))) {
      throw KcertException.about(
          crt, "is not valid yet (valid from " + cert.getNotBefore().toInstant() + ")");
    }
    if (!cert.getNotAfter().toInstant().isAfter(now)) {
      throw KcertException.about(
          crt, "has already expired (" + cert.getNotAfter().toInstant() + ")");
    }
  }
}
