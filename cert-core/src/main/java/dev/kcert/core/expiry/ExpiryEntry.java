package dev.kcert.core.expiry;

import java.time.Instant;

/**
 * One row of an expiry report, in kubeadm's terms.
 *
 * @param name the catalogue name
 * @param expirationDate the certificate's notAfter, or {@code null} when missing or invalid
 * @param residualSeconds seconds left, truncated toward zero, negative once expired, 0 when
 *     missing or invalid
 * @param caName the signing CA's name, empty for CAs
 * @param externallyManaged kubeadm's notion of an external CA
 * @param missing the file does not exist
 * @param error why the certificate could not be read, else {@code null}
 */
public record ExpiryEntry(
    String name,
    Instant expirationDate,
    long residualSeconds,
    String caName,
    boolean externallyManaged,
    boolean missing,
    String error) {

  public boolean invalid() {
    return error != null;
  }

  /** Whether there is a date to judge. */
  public boolean hasDate() {
    return expirationDate != null;
  }
}
