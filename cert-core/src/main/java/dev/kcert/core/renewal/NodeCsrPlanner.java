package dev.kcert.core.renewal;

import dev.kcert.core.csr.CsrBuilder;
import dev.kcert.core.generate.PkiGenerator;
import dev.kcert.core.generate.PlannedFile;
import dev.kcert.core.keys.KeyAlgorithm;
import dev.kcert.core.keys.KeyMaker;
import dev.kcert.core.kubeconfig.Kubeconfig;
import dev.kcert.core.model.Catalogue;
import dev.kcert.core.model.CatalogueEntry;
import dev.kcert.core.model.KcertException;
import dev.kcert.core.pem.Certificates;
import dev.kcert.core.pem.Pem;
import dev.kcert.core.pem.PrivateKeys;
import dev.kcert.core.pki.AtomicFiles;
import dev.kcert.core.pki.CertificateTemplate;
import dev.kcert.core.pki.NodeParameters;
import dev.kcert.core.pki.PkiLayout;
import dev.kcert.core.pki.PkiTemplates;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;

/**
 * {@code generate-csr}: keys and certificate requests for a new control-plane node whose
 * certificates an external CA signs, written where the certificates belong: {@code
 * <cert-dir>/<name>.key} and {@code .csr} for the leaves; for the kubeconfig files, the kubeconfig
 * with its client key but no certificate yet, and {@code <kubeconfig-dir>/<file>.csr}.
 */
public final class NodeCsrPlanner {
  private NodeCsrPlanner() {}

  /** The kubeconfig files a node gets: kubeadm's four and {@code kubelet.conf}. */
  public static List<CatalogueEntry> kubeconfigs() {
    List<CatalogueEntry> all = new ArrayList<>(Catalogue.KUBECONFIGS);
    all.add(Catalogue.KUBELET_KUBECONFIG);
    return List.copyOf(all);
  }

  /**
   * Computes every file.
   *
   * @throws KcertException when {@code ca.crt}, which the kubeconfig files embed, is missing
   */
  public static List<PlannedFile> plan(PkiLayout layout, NodeParameters node, KeyAlgorithm alg) {
    return plan(layout, node, alg, false);
  }

  /**
   * Computes every file; with {@code externalEtcd}, none for etcd's certificates and {@code
   * apiserver-etcd-client}, which etcd's owner provides (kubeadm's rule for {@code etcd.external}).
   */
  public static List<PlannedFile> plan(
      PkiLayout layout, NodeParameters node, KeyAlgorithm alg, boolean externalEtcd) {
    List<CatalogueEntry> entries = new ArrayList<>(Catalogue.forEtcd(Catalogue.LEAVES, externalEtcd));
    entries.addAll(kubeconfigs());
    Path caFile = layout.certFile(Catalogue.ca(Catalogue.CA));
    if (!Existing.exists(caFile)) {
      throw KcertException.about(
          caFile, "missing: the kubeconfig files need the CA certificate; copy it here first");
    }
    byte[] caPem = Pem.readFile(caFile);
    Certificates.parseBundle(caPem, caFile.toString());

    try (KeyMaker maker = new KeyMaker()) {
      List<Future<KeyPair>> keys = entries.stream().map(e -> maker.make(alg)).toList();
      return files(layout, node, entries, keys, caPem);
    }
  }

  private static List<PlannedFile> files(
      PkiLayout layout,
      NodeParameters node,
      List<CatalogueEntry> entries,
      List<Future<KeyPair>> keys,
      byte[] caPem) {
    // the requests carry no validity; a template needs one
    Instant t0 = Instant.EPOCH;
    Instant t1 = t0.plusSeconds(1);
    List<PlannedFile> files = new ArrayList<>();
    for (int i = 0; i < entries.size(); i++) {
      CatalogueEntry e = entries.get(i);
      KeyPair pair = KeyMaker.await(keys.get(i));
      CertificateTemplate t = PkiTemplates.of(e, node, t0, t1);
      byte[] csr =
          ascii(
              CsrBuilder.build(
                  t.commonName(),
                  t.organizations(),
                  t.dnsNames(),
                  t.ipAddresses(),
                  t.extKeyUsages(),
                  pair));
      byte[] key = ascii(PrivateKeys.toPem(pair));
      if (e.isKubeconfig()) {
        Path file = layout.kubeconfigFile(e);
        Kubeconfig kc =
            Kubeconfig.create(
                file,
                node.clusterName(),
                PkiGenerator.serverUrl(e, node),
                caPem,
                PkiTemplates.kubeconfigUser(e, node),
                null,
                key);
        files.add(new PlannedFile(file, kc.render(), AtomicFiles.PRIVATE));
      } else {
        files.add(new PlannedFile(layout.keyFile(e), key, AtomicFiles.PRIVATE));
      }
      files.add(new PlannedFile(layout.csrFile(e), csr, AtomicFiles.PRIVATE)); // kubeadm: 0600
    }
    return List.copyOf(files);
  }

  /** Writes the files; refuses, before writing any, when one exists. */
  public static void write(List<PlannedFile> files) {
    PlannedFile.writeAllNew(files);
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
