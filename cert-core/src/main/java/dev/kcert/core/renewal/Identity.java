package dev.kcert.core.renewal;

import dev.kcert.core.model.ExtendedKeyUsage;
import dev.kcert.core.pki.CertificateInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * What renewal must carry over from a certificate: subject CN and O values (in order), DNS and IP
 * SANs (without repeats, as kubeadm renews them), extended key usages.
 */
public record Identity(
    String commonName,
    List<String> organizations,
    List<String> dnsNames,
    List<String> ipAddresses,
    Set<ExtendedKeyUsage> extKeyUsages) {

  public Identity {
    organizations = List.copyOf(organizations);
    // compared as kubeadm writes them (RemoveDuplicateAltNames): DNS names sorted and each once,
    // IP addresses each once
    dnsNames = List.copyOf(new java.util.TreeSet<>(dnsNames));
    ipAddresses = List.copyOf(new java.util.LinkedHashSet<>(ipAddresses));
    extKeyUsages = Set.copyOf(extKeyUsages);
  }

  public static Identity of(CertificateInfo info) {
    return new Identity(
        info.commonName(),
        info.organizations(),
        info.dnsNames(),
        info.ipAddressStrings(),
        info.extKeyUsages());
  }

  /** What differs from {@code other}, for messages; empty when nothing does. */
  public List<String> differences(Identity other, boolean withUsages) {
    List<String> d = new ArrayList<>();
    if (!commonName.equals(other.commonName)) {
      d.add("CN " + other.commonName + " instead of " + commonName);
    }
    if (!organizations.equals(other.organizations)) {
      d.add("O " + other.organizations + " instead of " + organizations);
    }
    if (!dnsNames.equals(other.dnsNames)) {
      d.add("DNS names " + other.dnsNames + " instead of " + dnsNames);
    }
    if (!ipAddresses.equals(other.ipAddresses)) {
      d.add("IP addresses " + other.ipAddresses + " instead of " + ipAddresses);
    }
    if (withUsages && !extKeyUsages.equals(other.extKeyUsages)) {
      d.add("extended key usages " + other.extKeyUsages + " instead of " + extKeyUsages);
    }
    return d;
  }
}
