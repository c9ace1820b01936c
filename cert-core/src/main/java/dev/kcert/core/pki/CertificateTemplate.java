package dev.kcert.core.pki;

import dev.kcert.core.model.ExtendedKeyUsage;
import java.net.InetAddress;
import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * What a certificate says about its subject, and when it is valid: the input of {@link
 * CertificateSigner}.
 *
 * @param commonName the subject CN
 * @param organizations the subject O values, in order
 * @param dnsNames DNS subject alternative names, in order
 * @param ipAddresses IP subject alternative names, in order
 * @param extKeyUsages extended key usages (empty for CAs)
 * @param ca whether this is a CA certificate
 * @param notBefore start of validity
 * @param notAfter end of validity
 */
public record CertificateTemplate(
    String commonName,
    List<String> organizations,
    List<String> dnsNames,
    List<InetAddress> ipAddresses,
    Set<ExtendedKeyUsage> extKeyUsages,
    boolean ca,
    Instant notBefore,
    Instant notAfter) {

  public CertificateTemplate {
    organizations = List.copyOf(organizations);
    dnsNames = List.copyOf(dnsNames);
    ipAddresses = List.copyOf(ipAddresses);
    extKeyUsages = Set.copyOf(extKeyUsages);
    if (!notAfter.isAfter(notBefore)) {
      throw new IllegalArgumentException("notAfter " + notAfter + " is not after " + notBefore);
    }
  }

}
