package dev.kcert.core.renewal;

import dev.kcert.core.csr.CsrBuilder;
import dev.kcert.core.generate.PlannedFile;
import dev.kcert.core.keys.KeyAlgorithm;
import dev.kcert.core.keys.KeyMaker;
import dev.kcert.core.model.CatalogueEntry;
import dev.kcert.core.model.KcertException;
import dev.kcert.core.pem.PrivateKeys;
import dev.kcert.core.pki.AtomicFiles;
import dev.kcert.core.pki.CertificateInfo;
import dev.kcert.core.pki.PkiLayout;
import java.nio.charset.StandardCharsets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;

/**
 * {@code renew --csr-only}: a key and a certificate request for each selected certificate, with the
 * subject and SANs of the existing certificate, for an external CA to sign. The PKI folder is only
 * read.
 */
public final class CsrPlanner {
  /**
   * The files of one entry.
   *
   * @param entry the catalogue entry
   * @param csr {@code DIR/<name>.csr}
   * @param csrPem the request
   * @param key {@code DIR/<name>.key}, {@code null} when the existing key is reused
   * @param keyPem the new key, {@code null} when the existing key is reused
   */
  public record CsrFiles(CatalogueEntry entry, Path csr, byte[] csrPem, Path key, byte[] keyPem) {}

  /**
   * What {@code --csr-only} writes.
   *
   * @param files the requests (and keys)
   * @param missing selected entries whose certificate does not exist, skipped
   */
  public record Plan(List<CsrFiles> files, List<CatalogueEntry> missing) {}

  private CsrPlanner() {}

  /**
   * Computes the keys and requests.
   *
   * @param keyAlgorithm the type of new keys; {@code null} keeps each old key's type
   * @param reuseKey sign each request with the existing key and write no key file
   */
  public static Plan plan(
      PkiLayout layout,
      List<CatalogueEntry> entries,
      Path csrDir,
      KeyAlgorithm keyAlgorithm,
      boolean reuseKey) {
    List<CatalogueEntry> missing = new ArrayList<>();
    List<Existing> found = new ArrayList<>();
    List<CertificateInfo> infos = new ArrayList<>();
    List<Future<KeyPair>> keys = new ArrayList<>();
    List<CsrFiles> files = new ArrayList<>();
    try (KeyMaker maker = new KeyMaker()) {
      for (CatalogueEntry e : entries) {
        Existing ex = Existing.read(layout, e);
        if (ex == null) {
          missing.add(e);
          continue;
        }
        found.add(ex);
        infos.add(CertificateInfo.of(ex.certificate()));
        keys.add(
            reuseKey
                ? KeyMaker.ready(ex.reusableKey(layout))
                : maker.make(ex.newKeyAlgorithm(keyAlgorithm)));
      }
      for (int i = 0; i < found.size(); i++) {
        Existing ex = found.get(i);
        CatalogueEntry e = ex.entry();
        CertificateInfo info = infos.get(i);
        KeyPair pair = KeyMaker.await(keys.get(i));
        String csr =
            CsrBuilder.build(
                info.commonName(),
                info.organizations(),
                info.dnsNames(),
                info.ipAddresses(),
                info.extKeyUsages(),
                pair);
        files.add(
            new CsrFiles(
                e,
                csrDir.resolve(e.name() + ".csr"),
                csr.getBytes(StandardCharsets.US_ASCII),
                reuseKey ? null : csrDir.resolve(e.name() + ".key"),
                reuseKey ? null : PrivateKeys.toPem(pair).getBytes(StandardCharsets.US_ASCII)));
      }
    }
    return new Plan(List.copyOf(files), List.copyOf(missing));
  }

  /**
   * Writes a plan as kubeadm's {@code WriteCSR} does: keys and requests 0600, in a folder created
   * 0700 when it is not there. Refuses, before writing anything, when any of the files exists.
   */
  public static void write(Plan plan) {
    List<PlannedFile> files = new ArrayList<>();
    for (CsrFiles f : plan.files()) {
      if (f.key() != null) {
        files.add(new PlannedFile(f.key(), f.keyPem(), AtomicFiles.PRIVATE));
      }
      files.add(new PlannedFile(f.csr(), f.csrPem(), AtomicFiles.PRIVATE));
    }
    for (PlannedFile f : files) {
      if (Files.exists(f.path(), LinkOption.NOFOLLOW_LINKS)) {
        throw KcertException.about(f.path(), "already exists; refusing to overwrite it");
      }
    }
    for (CsrFiles f : plan.files()) {
      privateFolder(f.csr().toAbsolutePath().getParent());
    }
    PlannedFile.writeAllNew(files);
  }

  /** Creates {@code dir} (and missing parents) with mode 0700, whatever the umask. */
  static void privateFolder(Path dir) {
    if (Files.isDirectory(dir)) {
      return;
    }
    try {
      Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
      Files.setPosixFilePermissions(dir, OWNER_ONLY);
    } catch (IOException e) {
      throw KcertException.about(dir, "cannot create folder: " + KcertException.oneLine(e), e);
    }
  }

  private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rwx------");
}
