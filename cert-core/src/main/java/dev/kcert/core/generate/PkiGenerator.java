package dev.kcert.core.generate;

import dev.kcert.core.keys.KeyMaker;
import dev.kcert.core.keys.KeyPairs;
import dev.kcert.core.kubeconfig.Kubeconfig;
import dev.kcert.core.model.Catalogue;
import dev.kcert.core.model.CatalogueEntry;
import dev.kcert.core.model.KcertException;
import dev.kcert.core.pem.Certificates;
import dev.kcert.core.pem.PrivateKeys;
import dev.kcert.core.pem.PublicKeys;
import dev.kcert.core.pki.AtomicFiles;
import dev.kcert.core.pki.CertificateSigner;
import dev.kcert.core.pki.CertificateTemplate;
import dev.kcert.core.pki.NodeParameters;
import dev.kcert.core.pki.PkiLayout;
import dev.kcert.core.pki.PkiTemplates;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;

/**
 * Builds a complete kubeadm-shaped PKI for one control-plane node, as {@code kubeadm init phase
 * certs all} and {@code init phase kubeconfig all} do: three CAs (or the ones already on disk),
 * seven leaves, {@code sa.key}/{@code sa.pub} and the kubeconfig files. Everything is computed in
 * memory by {@link #plan}; {@link #write} puts it on disk.
 */
public final class PkiGenerator {
  private PkiGenerator() {}

  /** What was reused and what will be written. */
  public record Plan(List<PlannedFile> files, List<String> reusedCas) {}

  /**
   * Computes every file of a new PKI. A CA whose certificate and key are both on disk is reused
   * (kubeadm's "bring your own CA"); a CA with a certificate but no key is refused.
   */
  public static Plan plan(PkiLayout layout, NodeParameters node, GenerationOptions options) {
    return plan(layout, node, options, false);
  }

  /**
   * As {@link #plan(PkiLayout, NodeParameters, GenerationOptions)}; with {@code externalEtcd}, the
   * etcd CA, etcd's certificates and {@code apiserver-etcd-client} are left to etcd's owner, as
   * kubeadm does when {@code etcd.external} is set.
   */
  public static Plan plan(
      PkiLayout layout, NodeParameters node, GenerationOptions options, boolean externalEtcd) {
    List<CatalogueEntry> cas = Catalogue.forEtcd(Catalogue.CAS, externalEtcd);
    List<CatalogueEntry> leaves = Catalogue.forEtcd(Catalogue.LEAVES, externalEtcd);
    List<CatalogueEntry> kubeconfigs = new ArrayList<>(Catalogue.KUBECONFIGS);
    if (options.includeKubeletConf()) {
      kubeconfigs.add(Catalogue.KUBELET_KUBECONFIG);
    }
    List<PlannedFile> files = new ArrayList<>();
    List<String> reused = new ArrayList<>();
    Map<String, X509Certificate> caCerts = new HashMap<>();
    Map<String, PrivateKey> caKeys = new HashMap<>();
    List<CatalogueEntry> newCas = new ArrayList<>();
    // the CAs on disk are checked before any key is made; a reused CA needs none
    for (CatalogueEntry ca : cas) {
      Path crt = layout.certFile(ca);
      Path key = layout.keyFile(ca);
      if (!Files.exists(crt)) {
        newCas.add(ca);
        continue;
      }
      if (!Files.exists(key)) {
        throw KcertException.about(
            key, "missing: " + ca.name() + " is externally managed; cannot sign with it");
      }
      X509Certificate cert = Certificates.readBundle(crt).get(0);
      PrivateKey caKey = PrivateKeys.read(key);
      if (cert.getBasicConstraints() < 0) {
        throw KcertException.about(crt, "is not a CA certificate");
      }
      if (!KeyPairs.matches(caKey, cert.getPublicKey())) {
        throw KcertException.about(key, "does not match " + crt.getFileName());
      }
      caCerts.put(ca.name(), cert);
      caKeys.put(ca.name(), caKey);
      reused.add(ca.name());
    }

    try (KeyMaker maker = new KeyMaker()) {
      // one key for every new CA, leaf, kubeconfig and the service-account pair, in this order
      int keyCount = newCas.size() + leaves.size() + 1 + kubeconfigs.size();
      Deque<Future<KeyPair>> keys = new ArrayDeque<>();
      for (int i = 0; i < keyCount; i++) {
        keys.add(maker.make(options.keyAlgorithm()));
      }

      for (CatalogueEntry ca : newCas) {
        KeyPair pair = KeyMaker.await(keys.remove());
        GenerationOptions.Window w = options.windowFor(ca.name(), true);
        CertificateTemplate t = PkiTemplates.of(ca, node, w.notBefore(), w.notAfter());
        X509Certificate cert = CertificateSigner.selfSignedCa(t, pair);
        caCerts.put(ca.name(), cert);
        caKeys.put(ca.name(), pair.getPrivate());
        files.add(certFile(layout.certFile(ca), cert));
        files.add(keyFile(layout.keyFile(ca), pair));
      }

      for (CatalogueEntry leaf : leaves) {
        KeyPair pair = KeyMaker.await(keys.remove());
        X509Certificate cert = signLeaf(leaf, node, options, pair, caCerts, caKeys);
        files.add(certFile(layout.certFile(leaf), cert));
        files.add(keyFile(layout.keyFile(leaf), pair));
      }

      KeyPair sa = KeyMaker.await(keys.remove());
      files.add(keyFile(layout.serviceAccountKey(), sa));
      files.add(
          new PlannedFile(
              layout.serviceAccountPub(),
              ascii(PublicKeys.toPem(sa.getPublic())),
              AtomicFiles.PUBLIC));

      byte[] caPem = ascii(Certificates.toPem(caCerts.get(Catalogue.CA)));
      for (CatalogueEntry kc : kubeconfigs) {
        KeyPair pair = KeyMaker.await(keys.remove());
        X509Certificate cert = signLeaf(kc, node, options, pair, caCerts, caKeys);
        Path path = layout.kubeconfigFile(kc);
        Kubeconfig config =
            Kubeconfig.create(
                path,
                node.clusterName(),
                serverUrl(kc, node),
                caPem,
                PkiTemplates.kubeconfigUser(kc, node),
                ascii(Certificates.toPem(cert)),
                ascii(PrivateKeys.toPem(pair)));
        files.add(new PlannedFile(path, config.render(), AtomicFiles.PRIVATE));
      }
    }
    return new Plan(List.copyOf(files), List.copyOf(reused));
  }

  /**
   * Writes a plan. Refuses, before writing anything, when any of its files exists already.
   *
   * @throws KcertException naming the first file that exists
   */
  public static void write(Plan plan) {
    PlannedFile.writeAllNew(plan.files());
  }

  /** Plans and writes a new PKI. */
  public static Plan generate(PkiLayout layout, NodeParameters node, GenerationOptions options) {
    return generate(layout, node, options, false);
  }

  /** Plans and writes a new PKI, without etcd's certificates when {@code externalEtcd}. */
  public static Plan generate(
      PkiLayout layout, NodeParameters node, GenerationOptions options, boolean externalEtcd) {
    Plan plan = plan(layout, node, options, externalEtcd);
    write(plan);
    return plan;
  }

  /**
   * The server a kubeconfig file names, as kubeadm writes it: the node's own API server for the
   * controller manager and the scheduler, which run beside it, the control-plane endpoint for
   * the others.
   */
  public static String serverUrl(CatalogueEntry kubeconfig, NodeParameters node) {
    return switch (kubeconfig.name()) {
      case "controller-manager.conf", "scheduler.conf" -> node.localServerUrl();
      default -> node.serverUrl();
    };
  }

  private static X509Certificate signLeaf(
      CatalogueEntry e,
      NodeParameters node,
      GenerationOptions options,
      KeyPair pair,
      Map<String, X509Certificate> caCerts,
      Map<String, PrivateKey> caKeys) {
    GenerationOptions.Window w = options.windowFor(e.name(), false);
    CertificateTemplate t = PkiTemplates.of(e, node, w.notBefore(), w.notAfter());
    return CertificateSigner.sign(
        t, pair.getPublic(), caCerts.get(e.caName()), caKeys.get(e.caName()));
  }

  private static PlannedFile certFile(Path path, X509Certificate cert) {
    return new PlannedFile(path, ascii(Certificates.toPem(cert)), AtomicFiles.PUBLIC);
  }

  private static PlannedFile keyFile(Path path, KeyPair pair) {
    return new PlannedFile(path, ascii(PrivateKeys.toPem(pair)), AtomicFiles.PRIVATE);
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

}
