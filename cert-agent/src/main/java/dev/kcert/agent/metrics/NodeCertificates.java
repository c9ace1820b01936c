package dev.kcert.agent.metrics;

import dev.kcert.core.kubeconfig.CredentialRef;
import dev.kcert.core.kubeconfig.Kubeconfig;
import dev.kcert.core.kubeconfig.KubeconfigCredentials;
import dev.kcert.core.model.Catalogue;
import dev.kcert.core.model.CatalogueEntry;
import dev.kcert.core.model.KcertException;
import dev.kcert.core.pem.Certificates;
import dev.kcert.core.pem.Pem;
import dev.kcert.core.pki.PkiLayout;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Every certificate of a node's PKI, read as {@code check-expiration --include-kubelet} reads it:
 * the CAs, the leaves, the kubeconfig files (the embedded client certificate and cluster CA, or the
 * files they reference), {@code kubelet-client-current.pem} and {@code kubelet.crt}. Every
 * certificate of a bundle counts. Missing files are left out (a joined control-plane node has no
 * {@code super-admin.conf}); a file that cannot be read is a read error.
 */
public final class NodeCertificates {
  /** Where a certificate came from, in the exporter's terms. */
  public enum EmbeddedKind {
    NONE(""),
    USER("user"),
    CLUSTER("cluster");

    final String label;

    EmbeddedKind(String label) {
      this.label = label;
    }
  }

  /**
   * One certificate.
   *
   * @param file the file it was read from (the kubeconfig for an embedded one)
   * @param kind for an embedded certificate, the kubeconfig block it sits in
   * @param key for an embedded certificate, its field ({@code client-certificate-data})
   */
  public record Found(Path file, EmbeddedKind kind, String key, X509Certificate certificate) {}

  /** What one read found, and the one-line reason of each file that could not be read. */
  public record Scan(List<Found> certificates, List<String> errors) {}

  private NodeCertificates() {}

  public static Scan read(PkiLayout layout) {
    List<Found> found = new ArrayList<>();
    List<String> errors = new ArrayList<>();
    Set<Path> files = new LinkedHashSet<>();
    for (CatalogueEntry e : Catalogue.CAS) {
      files.add(layout.certFile(e));
    }
    for (CatalogueEntry e : Catalogue.LEAVES) {
      files.add(layout.certFile(e));
    }
    List<Path> kubeconfigs = new ArrayList<>();
    for (CatalogueEntry e : Catalogue.KUBECONFIGS) {
      kubeconfigs.add(layout.kubeconfigFile(e));
    }
    kubeconfigs.add(layout.kubeconfigFile(Catalogue.KUBELET_KUBECONFIG));
    for (CatalogueEntry e : Catalogue.KUBELET_FILES) {
      files.add(layout.certFile(e));
    }
    for (Path f : files) {
      readFile(f, found, errors);
    }
    for (Path k : kubeconfigs) {
      readKubeconfig(k, files, found, errors);
    }
    return new Scan(List.copyOf(found), List.copyOf(errors));
  }

  private static void readFile(Path f, List<Found> found, List<String> errors) {
    if (!Files.exists(f, LinkOption.NOFOLLOW_LINKS)) {
      return; // missing is normal; a dangling link is read, and fails, below
    }
    try {
      for (X509Certificate c : Certificates.parseBundle(Pem.readFile(f), f.toString())) {
        found.add(new Found(f, EmbeddedKind.NONE, "", c));
      }
    } catch (KcertException e) {
      errors.add(e.getMessage());
    }
  }

  private static void readKubeconfig(Path k, Set<Path> read, List<Found> found, List<String> errors) {
    if (!Files.exists(k)) {
      return;
    }
    KubeconfigCredentials creds;
    try {
      creds = Kubeconfig.read(k).credentials();
    } catch (KcertException e) {
      errors.add(e.getMessage());
      return;
    }
    embedded(creds.clientCertificate(), EmbeddedKind.USER, "client-certificate-data", read, found, errors);
    embedded(creds.certificateAuthority(), EmbeddedKind.CLUSTER, "certificate-authority-data", read, found, errors);
  }

  private static void embedded(
      CredentialRef ref, EmbeddedKind kind, String key, Set<Path> read, List<Found> found, List<String> errors) {
    if (ref == null) {
      return;
    }
    if (!ref.isEmbedded()) {
      // a referenced file (kubelet.conf names kubelet-client-current.pem) is labelled as a file
      if (read.add(ref.file())) {
        readFile(ref.file(), found, errors);
      }
      return;
    }
    try {
      for (X509Certificate c : Certificates.parseBundle(ref.load(), ref.describe())) {
        found.add(new Found(ref.kubeconfig(), kind, key, c));
      }
    } catch (KcertException e) {
      errors.add(e.getMessage());
    }
  }
}
