package dev.kcert.core.inventory;

import dev.kcert.core.model.CatalogueEntry;
import dev.kcert.core.pki.CertificateInfo;
import java.nio.file.Path;
import java.security.cert.X509Certificate;

/**
 * One catalogue entry as found on disk.
 *
 * @param entry the catalogue entry
 * @param file the file its certificate was looked for in
 * @param status present, missing or invalid
 * @param certificate the certificate when present, else {@code null}
 * @param externallyManaged kubeadm's notion: the (signing) CA's certificate is there, its key is not
 * @param error why the entry is invalid, else {@code null}
 */
public record InventoryRow(
    CatalogueEntry entry,
    Path file,
    RowStatus status,
    X509Certificate certificate,
    boolean externallyManaged,
    String error) {

  /**
   * The certificate's facts (subject, SANs, usages...) when present, else {@code null}. Worked out
   * on each call: reports that need only dates never pay for it.
   */
  public CertificateInfo info() {
    return certificate == null ? null : CertificateInfo.of(certificate);
  }

  public String name() {
    return entry.name();
  }

  public boolean isPresent() {
    return status == RowStatus.PRESENT;
  }

  public boolean isMissing() {
    return status == RowStatus.MISSING;
  }

  public boolean isInvalid() {
    return status == RowStatus.INVALID;
  }
}
