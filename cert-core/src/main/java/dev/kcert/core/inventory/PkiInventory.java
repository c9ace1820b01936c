package dev.kcert.core.inventory;

import dev.kcert.core.inventory.Problem.Severity;
import dev.kcert.core.keys.KeyPairs;
import dev.kcert.core.kubeconfig.CredentialRef;
import dev.kcert.core.kubeconfig.Kubeconfig;
import dev.kcert.core.kubeconfig.KubeconfigCredentials;
import dev.kcert.core.model.Catalogue;
import dev.kcert.core.model.CatalogueEntry;
import dev.kcert.core.model.KcertException;
import dev.kcert.core.pem.Certificates;
import dev.kcert.core.pem.Pem;
import dev.kcert.core.pem.PemBlock;
import dev.kcert.core.pem.PrivateKeys;
import dev.kcert.core.pki.PkiLayout;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Takes stock of a node's PKI: every catalogue entry becomes a row, present, missing or invalid. A
 * broken file never hides the others; it becomes an invalid row and a problem. Issuers are
 * established by verifying signatures against the CA certificates on disk, never by comparing
 * names (kubeadm 1.11 gave all three CAs the CN {@code kubernetes}).
 */
public final class PkiInventory {
  private final PkiLayout layout;
  private final InventoryOptions options;
  private final List<Problem> problems = new ArrayList<>();
  private final Map<String, InventoryRow> cas = new HashMap<>();
  /** The CA files' bytes, which kubeadm embeds in kubeconfigs as they are. */
  private final Map<String, byte[]> caFiles = new HashMap<>();

  private PkiInventory(PkiLayout layout, InventoryOptions options) {
    this.layout = layout;
    this.options = options;
  }

  /** Reads everything kubeadm reports (and the kubelet's certificates when asked). */
  public static Inventory scan(PkiLayout layout, InventoryOptions options) {
    return new PkiInventory(layout, options).scan();
  }

  /**
   * Whether {@link #scan} leaves etcd out for these options: as they say, else as the disk
   * suggests.
   */
  public static boolean externalEtcd(PkiLayout layout, InventoryOptions options) {
    return options.externalEtcd() != null
        ? options.externalEtcd()
        : layout.etcdLooksExternal();
  }

  private Inventory scan() {
    boolean externalEtcd = externalEtcd(layout, options);
    List<InventoryRow> authorities = new ArrayList<>();
    for (CatalogueEntry ca : Catalogue.forEtcd(Catalogue.CAS, externalEtcd)) {
      InventoryRow row = readCa(ca);
      cas.put(ca.name(), row);
      authorities.add(row);
    }
    List<InventoryRow> certificates = new ArrayList<>();
    for (CatalogueEntry leaf : Catalogue.forEtcd(Catalogue.LEAVES, externalEtcd)) {
      certificates.add(readLeaf(leaf));
    }
    for (CatalogueEntry kc : Catalogue.KUBECONFIGS) {
      certificates.add(readKubeconfig(kc));
    }
    if (options.includeKubelet()) {
      certificates.add(readKubeconfig(Catalogue.KUBELET_KUBECONFIG));
      for (CatalogueEntry k : Catalogue.KUBELET_FILES) {
        certificates.add(readKubeletFile(k));
      }
    }
    authorities.sort(Comparator.comparing(InventoryRow::name));
    certificates.sort(Comparator.comparing(InventoryRow::name));
    checkSomethingFound(authorities, certificates);
    return new Inventory(withErrors(authorities), withErrors(certificates), problems);
  }

  /**
   * A wrong path must not pass as a node with nothing on it: a certificate folder that is not
   * there, or folders without a single kubeadm file, are an error of their own (the rows are still
   * reported, all missing, as kubeadm reports them).
   */
  private void checkSomethingFound(List<InventoryRow> authorities, List<InventoryRow> certificates) {
    if (kind(layout.certDir()) != FileKind.DIRECTORY) {
      problems.add(
          new Problem(
              Severity.ERROR,
              "",
              layout.certDir()
                  + (kind(layout.certDir()) == FileKind.MISSING
                      ? ": no such folder"
                      : ": not a folder")
                  + " (the certificate folder)"));
    } else if (authorities.stream().allMatch(InventoryRow::isMissing)
        && certificates.stream().allMatch(InventoryRow::isMissing)) {
      problems.add(
          new Problem(
              Severity.ERROR,
              "",
              layout.certDir()
                  + ": no kubeadm certificate here, nor a kubeconfig file in "
                  + layout.kubeconfigDir()));
    }
  }

  /**
   * Every error about a row's files goes into the row, as the report shows it: a readable
   * certificate that is not a CA, is not signed by its CA or does not match its key is shown as
   * invalid, with the first such error. Rows are judged on their own: the issuer checks above ran
   * against the CA certificates as read.
   */
  private List<InventoryRow> withErrors(List<InventoryRow> rows) {
    List<InventoryRow> out = new ArrayList<>(rows.size());
    for (InventoryRow r : rows) {
      String error = r.isPresent() ? firstError(r.name()) : null;
      out.add(
          error == null
              ? r
              : new InventoryRow(
                  r.entry(), r.file(), RowStatus.INVALID, null, r.externallyManaged(), error));
    }
    return out;
  }

  private String firstError(String entry) {
    for (Problem p : problems) {
      if (p.isError() && p.entry().equals(entry)) {
        return p.message();
      }
    }
    return null;
  }

  private InventoryRow readCa(CatalogueEntry ca) {
    Path crt = layout.certFile(ca);
    Path key = layout.keyFile(ca);
    X509Certificate cert;
    try {
      byte[] pem = readIfPresent(crt);
      if (pem == null) {
        return new InventoryRow(ca, crt, RowStatus.MISSING, null, false, null);
      }
      cert = Certificates.parseBundle(pem, crt.toString()).get(0);
      caFiles.put(ca.name(), pem);
    } catch (KcertException e) {
      return invalid(ca, crt, e.getMessage());
    }
    if (cert.getBasicConstraints() < 0) {
      error(ca, crt + ": is not a CA certificate (basicConstraints CA:FALSE or absent)");
    }
    FileKind keyKind = kind(key);
    boolean external = keyKind == FileKind.MISSING;
    if (keyKind == FileKind.DIRECTORY) {
      error(ca, key + ": is a directory, not a file");
    } else if (!external && options.checkKeys()) {
      checkKeyFile(ca, key, cert);
    }
    return new InventoryRow(ca, crt, RowStatus.PRESENT, cert, external, null);
  }

  private InventoryRow readLeaf(CatalogueEntry leaf) {
    Path crt = layout.certFile(leaf);
    Path key = layout.keyFile(leaf);
    boolean external = caExternal(leaf);
    X509Certificate cert;
    try {
      byte[] pem = readIfPresent(crt);
      if (pem == null) {
        return new InventoryRow(leaf, crt, RowStatus.MISSING, null, external, null);
      }
      cert = Certificates.parseBundle(pem, crt.toString()).get(0);
    } catch (KcertException e) {
      return invalid(leaf, crt, e.getMessage(), external);
    }
    checkIssuer(leaf, crt, cert);
    FileKind keyKind = kind(key);
    if (keyKind == FileKind.MISSING) {
      warn(
          leaf,
          key
              + ": missing"
              + (external ? " (" + leaf.caName() + " is externally managed)" : ""));
    } else if (keyKind == FileKind.DIRECTORY) {
      error(leaf, key + ": is a directory, not a file");
    } else if (options.checkKeys()) {
      checkKeyFile(leaf, key, cert);
    }
    return new InventoryRow(leaf, crt, RowStatus.PRESENT, cert, external, null);
  }

  private InventoryRow readKubeconfig(CatalogueEntry kc) {
    Path file = layout.kubeconfigFile(kc);
    boolean external = caExternal(kc);
    X509Certificate cert;
    KubeconfigCredentials creds;
    try {
      byte[] yaml = readIfPresent(file);
      if (yaml == null) {
        return new InventoryRow(kc, file, RowStatus.MISSING, null, external, null);
      }
      creds = Kubeconfig.parse(yaml, file).under(layout.rootfs()).credentials();
      CredentialRef certRef = creds.clientCertificate();
      if (certRef == null) {
        throw KcertException.about(
            file, "user " + KcertException.shown(creds.userName()) + " has no client certificate");
      }
      cert = Certificates.parseBundle(certRef.load(), certRef.describe()).get(0);
    } catch (KcertException e) {
      return invalid(kc, file, e.getMessage(), external);
    }
    checkIssuer(kc, file, cert);
    checkEmbeddedCa(kc, file, creds);
    if (options.checkKeys()) {
      CredentialRef keyRef = creds.clientKey();
      if (keyRef == null) {
        error(kc, file + ": user " + KcertException.shown(creds.userName()) + " has no client key");
      } else {
        checkKey(kc, keyRef.describe(), keyRef::load, cert);
      }
    }
    return new InventoryRow(kc, file, RowStatus.PRESENT, cert, external, null);
  }

  private InventoryRow readKubeletFile(CatalogueEntry k) {
    Path file = layout.certFile(k);
    List<X509Certificate> bundle;
    byte[] pem;
    try {
      pem = readIfPresent(file);
      if (pem == null) {
        return new InventoryRow(k, file, RowStatus.MISSING, null, false, null);
      }
      bundle = Certificates.parseBundle(pem, file.toString());
    } catch (KcertException e) {
      return invalid(k, file, e.getMessage());
    }
    X509Certificate cert = bundle.get(0);
    if (k.caName().isEmpty()) {
      // kubelet.crt: signed by the kubelet's own CA, which follows it in the bundle when present
      if (bundle.size() > 1 && !Certificates.isSignedBy(cert, bundle.get(1))) {
        error(k, file + ": the first certificate is not signed by the second");
      }
    } else {
      checkIssuer(k, file, cert);
      if (options.checkKeys()) {
        checkKey(k, file.toString(), () -> pem, cert); // the key is in the same file
      }
    }
    return new InventoryRow(k, file, RowStatus.PRESENT, cert, caExternal(k), null);
  }

  private void checkIssuer(CatalogueEntry e, Path file, X509Certificate cert) {
    InventoryRow ca = cas.get(e.caName());
    if (ca == null || !ca.isPresent()) {
      return; // the CA row already says it is missing or invalid
    }
    if (!Certificates.isSignedBy(cert, ca.certificate())) {
      error(
          e,
          file
              + ": certificate is not signed by "
              + e.caName()
              + " ("
              + ca.file().getFileName()
              + ")");
    }
  }

  private void checkEmbeddedCa(CatalogueEntry e, Path file, KubeconfigCredentials creds) {
    InventoryRow ca = cas.get(e.caName());
    CredentialRef caRef = creds.certificateAuthority();
    if (ca == null || !ca.isPresent() || caRef == null) {
      return;
    }
    try {
      byte[] pem = caRef.load();
      if (Arrays.equals(pem, caFiles.get(e.caName()))) {
        return; // the CA file's very bytes: nothing to parse
      }
      // compare encodings; no need to parse the embedded copy
      byte[] embedded =
          Pem.parse(pem, caRef.describe()).stream()
              .filter(b -> Certificates.PEM_TYPE.equals(b.type()))
              .map(PemBlock::der)
              .findFirst()
              .orElse(null);
      if (embedded == null) {
        error(e, caRef.describe() + ": does not contain a valid PEM encoded certificate");
      } else if (!Arrays.equals(embedded, ca.certificate().getEncoded())) {
        warn(e, file + ": cluster certificate authority differs from " + ca.file().getFileName());
      }
    } catch (KcertException ex) {
      error(e, ex.getMessage());
    } catch (java.security.cert.CertificateEncodingException ex) {
      error(e, file + ": cannot encode certificate: " + KcertException.oneLine(ex));
    }
  }

  /**
   * Checks that the private key {@code where} names belongs to {@code cert}.
   *
   * @param pem loads the key's PEM; a failure to load or parse it is reported as the error
   */
  private void checkKey(
      CatalogueEntry e, String where, Supplier<byte[]> pem, X509Certificate cert) {
    try {
      PrivateKey key = PrivateKeys.parse(pem.get(), where);
      if (!KeyPairs.matches(key, cert.getPublicKey())) {
        error(e, where + ": private key does not match the certificate");
      }
    } catch (KcertException ex) {
      error(e, ex.getMessage());
    }
  }

  private void checkKeyFile(CatalogueEntry e, Path keyFile, X509Certificate cert) {
    checkKey(e, keyFile.toString(), () -> Pem.readFile(keyFile), cert);
  }

  private boolean caExternal(CatalogueEntry e) {
    InventoryRow ca = cas.get(e.caName());
    return ca != null && ca.externallyManaged();
  }

  private InventoryRow invalid(CatalogueEntry e, Path file, String message) {
    return invalid(e, file, message, false);
  }

  private InventoryRow invalid(CatalogueEntry e, Path file, String message, boolean external) {
    error(e, message);
    return new InventoryRow(e, file, RowStatus.INVALID, null, external, message);
  }

  private void error(CatalogueEntry e, String message) {
    problems.add(new Problem(Severity.ERROR, e.name(), message));
  }

  private void warn(CatalogueEntry e, String message) {
    problems.add(new Problem(Severity.WARNING, e.name(), message));
  }

  /*
   * File checks cost system calls, and a fleet scan makes tens of thousands of them: the common
   * case (the file is there) is read or stat'ed once, and the rarer cases are told apart only when
   * that first call fails.
   */

  /**
   * A file's bytes, or null when nothing is there. A dangling symbolic link is something: its read
   * error is the file's error.
   */
  private static byte[] readIfPresent(Path p) {
    try {
      return Pem.readFile(p);
    } catch (KcertException e) {
      if (e.getCause() instanceof NoSuchFileException && !Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
        return null;
      }
      throw e;
    }
  }

  private enum FileKind {
    MISSING,
    DIRECTORY,
    FILE
  }

  /** What is at {@code p}: a dangling link counts as a file, whose read will say what is wrong. */
  private static FileKind kind(Path p) {
    try {
      return Files.readAttributes(p, BasicFileAttributes.class).isDirectory()
          ? FileKind.DIRECTORY
          : FileKind.FILE;
    } catch (NoSuchFileException e) {
      return Files.exists(p, LinkOption.NOFOLLOW_LINKS) ? FileKind.FILE : FileKind.MISSING;
    } catch (IOException e) {
      return FileKind.MISSING; // as Files.exists has it when the answer cannot be had
    }
  }
}
