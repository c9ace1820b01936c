package dev.kcert.bench;

import dev.kcert.core.generate.GenerationOptions;
import dev.kcert.core.generate.PkiGenerator;
import dev.kcert.core.keys.KeyAlgorithm;
import dev.kcert.core.kubeconfig.Kubeconfig;
import dev.kcert.core.model.Catalogue;
import dev.kcert.core.model.CatalogueEntry;
import dev.kcert.core.pem.Certificates;
import dev.kcert.core.pem.PrivateKeys;
import dev.kcert.core.pki.NodeParameters;
import dev.kcert.core.pki.PkiLayout;
import dev.kcert.core.renewal.Renewer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Makes the PKI folders benchmarks read: one generated node (RSA-2048, like kubeadm's), a number of
 * variants of it whose leaves are re-signed with fresh serials (so that the JDK's certificate cache,
 * 750 entries, cannot serve repeats), and fleets of folders that cycle through the variants.
 */
final class BenchPki {
  /** 64 variants of 14 certificates: more distinct certificates than the JDK caches. */
  static final int VARIANTS = 64;

  private BenchPki() {}

  /** A node's {@code /etc/kubernetes}-like folder under {@code dir}. */
  static Path node(Path dir) {
    Path root = dir.resolve("node-template");
    if (!Files.isDirectory(root)) {
      PkiGenerator.generate(
          PkiLayout.under(root),
          NodeParameters.of("bench-node", "10.0.0.10"),
          GenerationOptions.defaults(KeyAlgorithm.RSA_2048, Clock.systemUTC()));
    }
    return root;
  }

  /** The variants: the template node with every leaf and kubeconfig certificate re-signed. */
  static List<Path> variants(Path dir) throws IOException {
    Path template = node(dir);
    PkiLayout t = PkiLayout.under(template);
    List<Path> out = new ArrayList<>();
    for (int v = 0; v < VARIANTS; v++) {
      Path root = dir.resolve("variants").resolve("v" + v);
      out.add(root);
      if (Files.isDirectory(root)) {
        continue;
      }
      Path tmp = dir.resolve("variants").resolve(".tmp-v" + v);
      copy(template, tmp);
      PkiLayout l = PkiLayout.under(tmp);
      for (CatalogueEntry leaf : Catalogue.LEAVES) {
        X509Certificate cert = Certificates.readBundle(t.certFile(leaf)).get(0);
        Files.writeString(l.certFile(leaf), Certificates.toPem(resign(t, leaf, cert)));
      }
      for (CatalogueEntry kc : Catalogue.KUBECONFIGS) {
        Kubeconfig k = Kubeconfig.read(t.kubeconfigFile(kc));
        var creds = k.credentials();
        X509Certificate cert =
            Certificates.parseBundle(creds.clientCertificate().load(), "bench").get(0);
        k.embedClientCredentials(
            ascii(Certificates.toPem(resign(t, kc, cert))), creds.clientKey().load(), null);
        Files.write(l.kubeconfigFile(kc), k.render());
      }
      Files.move(tmp, root);
    }
    return out;
  }

  /** {@code count} node folders below {@code dir}, cycling through the variants. */
  static List<Path> fleet(Path dir, int count) throws IOException {
    List<Path> variants = variants(dir);
    List<List<Path>> files = new ArrayList<>();
    List<List<byte[]>> contents = new ArrayList<>();
    for (Path v : variants) {
      try (Stream<Path> s = Files.walk(v)) {
        List<Path> rel = s.filter(Files::isRegularFile).map(v::relativize).toList();
        files.add(rel);
        List<byte[]> c = new ArrayList<>();
        for (Path f : rel) {
          c.add(Files.readAllBytes(v.resolve(f)));
        }
        contents.add(c);
      }
    }
    List<Path> roots = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      Path root = dir.resolve("fleet").resolve(String.format("node-%05d", i));
      if (!Files.isDirectory(root)) {
        int v = i % variants.size();
        for (int j = 0; j < files.get(v).size(); j++) {
          Path target = root.resolve(files.get(v).get(j).toString());
          Files.createDirectories(target.getParent());
          Files.write(target, contents.get(v).get(j));
        }
      }
      roots.add(root);
    }
    return roots;
  }

  /** The certificate again, same key and subject, fresh serial: as a renewal with its old key. */
  private static X509Certificate resign(PkiLayout t, CatalogueEntry e, X509Certificate cert) {
    CatalogueEntry ca = Catalogue.ca(e.caName());
    X509Certificate caCert = Certificates.readBundle(t.certFile(ca)).get(0);
    PrivateKey caKey = PrivateKeys.read(t.keyFile(ca));
    return Renewer.renew(
        cert, e.name(), caCert, caKey, cert.getPublicKey(), Clock.systemUTC(), Renewer.DEFAULT_VALIDITY);
  }

  private static void copy(Path from, Path to) throws IOException {
    try (Stream<Path> s = Files.walk(from)) {
      for (Path p : s.toList()) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    }
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
