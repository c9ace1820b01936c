package dev.kcert.core.pki;

import dev.kcert.core.model.Catalogue;
import dev.kcert.core.model.CatalogueEntry;
import java.net.InetAddress;
import java.time.Instant;
import java.util.List;

/** kubeadm's rules for what each catalogue entry's certificate says, given a node. */
public final class PkiTemplates {
  private PkiTemplates() {}

  /** The certificate template of a catalogue entry for a node, valid from {@code notBefore}. */
  public static CertificateTemplate of(
      CatalogueEntry e, NodeParameters node, Instant notBefore, Instant notAfter) {
    List<String> dns = List.of();
    List<InetAddress> ips = List.of();
    String cn = e.commonName();
    switch (e.name()) {
      case "apiserver" -> {
        dns = node.apiServerDnsNames();
        ips = node.apiServerIps();
      }
      case "etcd-server", "etcd-peer" -> {
        boolean peer = e.name().equals("etcd-peer");
        cn = node.nodeName();
        dns = node.etcdDnsNames(peer);
        ips = node.etcdIps(peer);
      }
      case Catalogue.KUBELET_CONF -> cn = "system:node:" + node.nodeName();
      default -> {
        // subject from the catalogue, no SANs
      }
    }
    return new CertificateTemplate(
        cn, e.organizations(), dns, ips, e.extKeyUsages(), e.isCa(), notBefore, notAfter);
  }

  /** The kubeconfig user name kubeadm gives an entry's credentials. */
  public static String kubeconfigUser(CatalogueEntry e, NodeParameters node) {
    return Catalogue.KUBELET_CONF.equals(e.name()) ? "system:node:" + node.nodeName() : e.commonName();
  }
}
