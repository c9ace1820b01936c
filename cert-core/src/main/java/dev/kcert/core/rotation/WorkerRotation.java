package dev.kcert.core.rotation;

import dev.kcert.core.csr.CsrBuilder;
import dev.kcert.core.keys.KeyPairs;
import dev.kcert.core.kubeconfig.CredentialRef;
import dev.kcert.core.kubeconfig.Kubeconfig;
import dev.kcert.core.kubeconfig.KubeconfigCredentials;
import dev.kcert.core.model.Catalogue;
import dev.kcert.core.model.ExtendedKeyUsage;
import dev.kcert.core.model.KcertException;
import dev.kcert.core.node.Component;
import dev.kcert.core.node.NodeEndpoints;
import dev.kcert.core.pem.Certificates;
import dev.kcert.core.pem.PrivateKeys;
import dev.kcert.core.pki.AtomicFiles;
import dev.kcert.core.pki.CertificateInfo;
import dev.kcert.core.renewal.ChangeSet;
import dev.kcert.core.renewal.FileChange;
import dev.kcert.core.renewal.FileOps;
import dev.kcert.core.renewal.Installer;
import dev.kcert.core.renewal.RunLock;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The rotation of the cluster CA ({@code ca}) on a worker node: a node with {@code pki/ca.crt} and
 * {@code kubelet.conf} but no CA key and no kube-apiserver manifest. The phases are the
 * control-plane ones, with the same state file, rotation folder, backups, journal and atomic
 * renames ({@link Installer}); what changes on a worker is {@code ca.crt} (the kubelet's {@code
 * clientCAFile}), {@code kubelet.conf}'s {@code certificate-authority-data}, and the kubelet's
 * client certificate, which the worker cannot sign itself: {@code reissue} asks the cluster's
 * signer for it as the kubelet does ({@link Issuer}), keeping the kubelet's key.
 *
 * <p>What the input can influence, and what is checked: the new CA comes from a file or the API
 * server and is accepted only as {@link WorkerCa} says; the certificate the signer issues is used
 * only when the new CA signed it, it holds the kubelet's own public key, and its subject is this
 * node's ({@code CN=system:node:<node>}, {@code O=system:nodes}); the node's name is read from the
 * kubelet's current client certificate; {@code kubelet.conf} names the client certificate file,
 * which is written only inside the kubelet's folder ({@code --kubelet-dir}).
 */
public final class WorkerRotation {
  /** The certificate the kubelet held before {@code reissue}, kept for {@code abort}. */
  static final String BEFORE = "kubelet-client-before.crt";
  private static final String CURRENT_LINK_TEMP = "kubelet-client-updated.pem";
  private static final DateTimeFormatter KUBELET_STAMP =
      DateTimeFormatter.ofPattern("yyyy-MM-dd-HH-mm-ss").withZone(ZoneOffset.UTC);

  private final NodeFiles node;
  private final Rotation rotation;
  private final FileOps ops;
  private final Clock clock;

  public WorkerRotation(NodeFiles node, FileOps ops, Clock clock) {
    this.node = node;
    this.rotation = new Rotation(node, Catalogue.CA, ops, clock);
    this.ops = ops;
    this.clock = clock;
  }

  public static WorkerRotation of(NodeFiles node, Clock clock) {
    return new WorkerRotation(node, FileOps.system(), clock);
  }

  /**
   * Whether the node is a worker, judged by its files: {@code ca.crt} and {@code kubelet.conf}
   * there, no {@code ca.key}, no kube-apiserver manifest.
   */
  public static boolean isWorker(NodeFiles node) {
    Path caCrt = node.layout().certFile(Catalogue.ca(Catalogue.CA));
    Path caKey = node.layout().keyFile(Catalogue.ca(Catalogue.CA));
    Path kubeletConf = node.layout().kubeconfigFile(Catalogue.KUBELET_KUBECONFIG);
    return Files.exists(caCrt) && !Files.exists(caKey) && Files.exists(kubeletConf)
        && !Files.exists(node.manifestDir().resolve(Component.KUBE_APISERVER.manifestFileName()))
        && !Files.exists(NodeEndpoints.manifestFile(node.layout().kubeconfigDir(), Component.KUBE_APISERVER));
  }

  /** The rotation whose state, folder and phase this worker rotation shares. */
  public Rotation rotation() {
    return rotation;
  }

  Path kubeletConf() {
    return node.layout().kubeconfigFile(Catalogue.KUBELET_KUBECONFIG);
  }

  Path before() {
    return rotation.dir().resolve(BEFORE);
  }

  // ---------------------------------------------------------------- the kubelet's credentials

  /**
   * The kubelet's client certificate and key as {@code kubelet.conf} names them.
   *
   * @param cert the client certificate (first of its file or field)
   * @param key the client key
   * @param ref where the certificate is kept
   * @param nodeName the node's name, from the certificate's {@code CN=system:node:<name>}
   */
  record Kubelet(X509Certificate cert, PrivateKey key, CredentialRef ref, String nodeName) {}

  Kubelet kubelet() {
    Path file = kubeletConf();
    KubeconfigCredentials creds = Kubeconfig.parse(read(file), file).credentials();
    CredentialRef certRef = creds.clientCertificate();
    CredentialRef keyRef = creds.clientKey();
    if (certRef == null || keyRef == null) {
      throw KcertException.about(file, "has no client certificate and key for the kubelet");
    }
    X509Certificate cert = Certificates.parseBundle(certRef.load(), certRef.describe()).get(0);
    PrivateKey key = PrivateKeys.parse(keyRef.load(), keyRef.describe());
    if (!KeyPairs.matches(key, cert.getPublicKey())) {
      throw new KcertException(keyRef.describe() + ": does not match the client certificate "
          + certRef.describe());
    }
    CertificateInfo info = CertificateInfo.of(cert);
    String cn = info.commonName();
    if (!cn.startsWith("system:node:") || cn.length() == "system:node:".length()
        || !info.organizations().contains("system:nodes")) {
      throw new KcertException(certRef.describe() + ": is not a node's client certificate (subject "
          + info.subject() + "; a kubelet's is CN=system:node:<node>, O=system:nodes)");
    }
    return new Kubelet(cert, key, certRef, cn.substring("system:node:".length()));
  }

  /** The CA this node trusted before its rotation (the one in {@code ca.crt} when none runs). */
  public X509Certificate oldCa() {
    return rotation.cas().old();
  }

  /** The node's name as its kubelet client certificate says it. */
  public String nodeName() {
    return kubelet().nodeName();
  }

  // ---------------------------------------------------------------- prepare

  /** Records {@code newCa} (accepted by {@link WorkerCa}) as the new CA of this node's rotation. */
  public Outcome prepare(X509Certificate newCa, String source, boolean dryRun) {
    Optional<RotationState> st = rotation.state();
    String pin = Rotation.discoveryHash(newCa);
    if (st.isPresent() && st.get().phase() == Phase.PREPARED) {
      X509Certificate had = rotation.cas().neu();
      if (newCa.equals(had)) {
        return outcome(Phase.PREPARED, true, dryRun, null, null, List.of(),
            List.of("new CA " + pin + " is in " + rotation.newCrt() + " already"));
      }
      throw KcertException.about(rotation.stateFile(), "another new CA ("
          + Rotation.discoveryHash(had) + ") was prepared on this node; 'kcert ca abort' first");
    }
    if (st.isPresent() && st.get().phase() != Phase.FINISHED) {
      throw KcertException.about(rotation.stateFile(), "a rotation of ca is at phase "
          + st.get().phase().command() + "; continue or abort it first");
    }
    byte[] oldPem = read(rotation.caFile());
    List<X509Certificate> oldCerts = Certificates.parseBundle(oldPem, rotation.caFile().toString());
    if (oldCerts.size() != 1) {
      throw KcertException.about(rotation.caFile(), "holds " + oldCerts.size()
          + " certificates; a rotation starts from a CA file with one");
    }
    if (oldCerts.get(0).equals(newCa)) {
      throw new KcertException(source + ": is the CA this node trusts now, not a new one");
    }
    Kubelet k = kubelet();
    if (!Certificates.isSignedBy(k.cert(), oldCerts.get(0))) {
      throw new KcertException(k.ref().describe() + ": the kubelet's client certificate is not"
          + " signed by " + rotation.caFile() + "; a rotation starts from a node that trusts its"
          + " own signer");
    }
    List<String> notes = List.of("new CA " + pin + " (from " + source + ")",
        "next: kcert ca trust-both --ca ca (before the control-plane nodes' reissue)");
    if (dryRun) {
      return outcome(Phase.PREPARED, false, true, null, null, List.of(), notes);
    }
    try (RunLock lock = RunLock.acquire(node.backupParent())) {
      AtomicFiles.createDirectories(rotation.dir(), AtomicFiles.PRIVATE_DIR);
      AtomicFiles.write(rotation.oldCrt(), oldPem, AtomicFiles.PUBLIC);
      AtomicFiles.write(rotation.newCrt(), Rotation.pem(List.of(newCa)), AtomicFiles.PUBLIC);
      AtomicFiles.write(rotation.stateFile(),
          new RotationState(Catalogue.CA, Phase.PREPARED, "", List.of()).render(), AtomicFiles.PRIVATE);
    }
    return outcome(Phase.PREPARED, false, false, null, null,
        List.of(rotation.oldCrt(), rotation.newCrt(), rotation.stateFile()), notes);
  }

  // ---------------------------------------------------------------- phases

  /** Gets a new kubelet client certificate from the cluster's signer. */
  @FunctionalInterface
  public interface Issuer {
    /**
     * Sends {@code csrPem} for node {@code nodeName} and returns the PEM the signer issued.
     *
     * @throws KcertException in one line when it is not issued
     */
    byte[] issue(String csrPem, String nodeName, List<String> usages);
  }

  /**
   * Enters {@code target} ({@link Phase#TRUST_BOTH} to {@link Phase#FINISHED}) on this worker.
   * {@code issuer} is used by {@code reissue} only, and only when the kubelet's certificate is not
   * signed by the new CA yet.
   */
  public Outcome advance(Phase target, boolean dryRun, Issuer issuer) {
    if (target.ordinal() <= Phase.PREPARED.ordinal()) {
      throw new IllegalArgumentException("advance enters trust-both to finish");
    }
    try (RunLock lock = dryRun ? null : RunLock.acquire(node.backupParent())) {
      if (!dryRun) {
        new Installer(ops).recover(node.layout());
      }
      RotationState st = rotation.state().orElseThrow(() -> KcertException.about(
          rotation.stateFile(), "missing: no rotation of ca was prepared on this node; run kcert"
              + " ca prepare --new-ca-cert FILE or --new-ca-hash sha256:<hex> first"));
      Rotation.Cas cas = rotation.cas();
      if (st.phase() == target) {
        List<String> problems = check(target, cas);
        if (!problems.isEmpty()) {
          throw new KcertException("ca: phase " + target.command()
              + " is recorded but does not hold on disk: " + summary(problems));
        }
        return outcome(target, true, dryRun, null, null, List.of(), notes(target));
      }
      Phase previous = target.previous().orElseThrow();
      if (st.phase() != previous) {
        throw new KcertException("ca: " + target.command() + " follows " + previous.command()
            + ", but this rotation is at " + st.phase().command());
      }
      if (check(target, cas).isEmpty() && !check(previous, cas).isEmpty()) {
        // a run killed after its files but before its state: record it
        if (!dryRun) {
          writeState(st.withPhase(target));
        }
        return outcome(target, true, dryRun, null, null, List.of(), notes(target));
      }
      List<String> problems = check(previous, cas);
      if (!problems.isEmpty()) {
        throw new KcertException("ca: phase " + previous.command() + " is not proven on disk, so "
            + target.command() + " will not start: " + summary(problems));
      }
      Kubelet k = kubelet();
      String signedBy = cas.signerOf(k.cert());
      if (target == Phase.TRUST_NEW && !signedBy.equals("new")) {
        throw new KcertException("ca: trust-new refused: the kubelet's client certificate "
            + k.ref().describe() + " is signed by the " + signedBy + " CA, which trust-new removes"
            + " (run kcert ca reissue --ca ca first)");
      }
      X509Certificate cert = k.cert();
      byte[] issuedPem = null;
      List<String> notes = new ArrayList<>(notes(target));
      if (target == Phase.REISSUED && !signedBy.equals("new")) {
        if (dryRun) {
          notes.add(0, "would request a client certificate for system:node:" + k.nodeName()
              + " from the signer " + dev.kcert.core.kubeapi.KubeletCsr.SIGNER
              + " with the kubelet's key, and install it");
          return outcome(target, false, true, new Proof(target, Phase.TRUST_NEW, List.of()), null,
              List.of(), notes);
        }
        issuedPem = issuer.issue(csr(k), k.nodeName(), usages(k));
        cert = checkIssued(issuedPem, k, cas);
      }
      return install(target, st, cas, k, cert, issuedPem, dryRun, notes);
    }
  }

  /**
   * Returns this worker to the old CA alone, from any phase before {@code finish}. A kubelet
   * client certificate the new CA signed is replaced by the one it replaced (same key), kept in the
   * rotation folder at {@code reissue}; without it, abort refuses and says what to do.
   */
  public Outcome abort(boolean dryRun) {
    try (RunLock lock = dryRun ? null : RunLock.acquire(node.backupParent())) {
      if (!dryRun) {
        new Installer(ops).recover(node.layout());
      }
      RotationState st = rotation.state().orElseThrow(() -> KcertException.about(
          rotation.stateFile(), "missing: no rotation of ca to abort"));
      if (st.phase() == Phase.FINISHED) {
        throw KcertException.about(rotation.stateFile(), "the rotation of ca has finished; the old"
            + " CA is gone (start a new rotation to change CA again)");
      }
      Rotation.Cas cas = rotation.cas();
      Kubelet k = kubelet();
      X509Certificate cert = k.cert();
      byte[] certPem = null;
      if (!Certificates.isSignedBy(cert, cas.old())) {
        X509Certificate before = ops.exists(before())
            ? Certificates.parseBundle(ops.read(before()), before().toString()).get(0) : null;
        Instant now = clock.instant();
        String why = before == null ? "no certificate from the old CA was kept for it"
            : !Certificates.isSignedBy(before, cas.old()) ? before() + " is not signed by the old CA"
            : !KeyPairs.matches(k.key(), before.getPublicKey()) ? before() + " is not for the kubelet's key"
            : now.isAfter(before.getNotAfter().toInstant()) ? before() + " expired at "
                + before.getNotAfter().toInstant()
            : null;
        if (why != null) {
          throw new KcertException("ca: abort refused: the kubelet's client certificate "
              + k.ref().describe() + " is signed by the new CA, which the old trust rejects, and "
              + why + "; finish the rotation instead, or have the old CA sign a client certificate"
              + " for system:node:" + k.nodeName() + " (or re-join the node), then abort");
        }
        cert = before;
        certPem = Rotation.pem(List.of(before));
      }
      Outcome o = install(Phase.NONE, st, cas, k, cert, certPem, dryRun,
          new ArrayList<>(List.of("every place on this worker trusts the old CA alone again;"
              + " restart the kubelet so that it reads them")));
      if (!dryRun) {
        for (Path p : List.of(before(), rotation.stateFile(), rotation.newCrt(), rotation.oldCrt())) {
          ops.delete(p);
        }
      }
      return o;
    }
  }

  /**
   * Writes what {@code target} wants: the trust files and {@code kubelet.conf}'s CA, and, when
   * {@code certPem} is given, the kubelet's client certificate {@code cert}.
   */
  private Outcome install(Phase target, RotationState st, Rotation.Cas cas, Kubelet k,
      X509Certificate cert, byte[] certPem, boolean dryRun, List<String> notes) {
    List<X509Certificate> bundle = cas.bundle(target);
    byte[] bundlePem = target == Phase.NONE ? ops.read(rotation.oldCrt()) : Rotation.pem(bundle);
    Phase next = target == Phase.NONE ? Phase.NONE : target.next().orElse(target);
    Proof proof = new Proof(target, next, List.of(new Proof.Row(Catalogue.KUBELET_KUBECONFIG.name(),
        cas.signerOf(cert), chains(cert, bundle), chains(cert, cas.bundle(next)))));
    if (!proof.ok()) {
      if (dryRun) {
        return outcome(target, false, true, proof, null, List.of(), List.of());
      }
      throw new KcertException("ca: " + label(target) + " refused: the kubelet's client certificate"
          + " (signed by " + cas.signerOf(cert) + ") would not verify under the "
          + (chains(cert, bundle) ? next.command() : label(target)) + " trust bundle");
    }
    List<ChangeSet> sets = new ArrayList<>();
    // the trust files: ca.crt and any other file the kubelet's configuration names for this CA
    for (Path p : trustFiles(cas)) {
      if (!Arrays.equals(bundlePem, ops.read(p))) {
        sets.add(readBack("trust file " + p.getFileName(),
            new FileChange(p, bundlePem, AtomicFiles.PUBLIC, node.backupName(p))));
      }
    }
    if (!ops.exists(rotation.caFile()) || !Arrays.equals(bundlePem, ops.read(rotation.caFile()))) {
      sets.add(readBack("ca", new FileChange(rotation.caFile(), bundlePem, AtomicFiles.PUBLIC,
          node.backupName(rotation.caFile()))));
    }
    // kubelet.conf: its CA data, and its client certificate when embedded
    Path conf = kubeletConf();
    Kubeconfig kc = Kubeconfig.parse(ops.read(conf), conf);
    CredentialRef caRef = kc.credentials().certificateAuthority();
    if (caRef != null && (caRef.isEmbedded() || !Rotation.norm(caRef.file()).equals(Rotation.norm(rotation.caFile())))) {
      List<X509Certificate> held = Certificates.parseBundle(caRef.load(), caRef.describe());
      if (held.contains(cas.old()) || held.contains(cas.neu())) {
        kc.replaceClusterCa(bundlePem);
      }
    }
    LinkSwap swap = null;
    if (certPem != null) {
      byte[] chain = certPem;
      if (k.ref().isEmbedded()) {
        kc.replaceClientCertificate(chain);
      } else {
        Path file = k.ref().file();
        Path real = Rotation.realPath(file);
        if (!real.startsWith(Rotation.realPath(node.layout().kubeletDir()))) {
          throw new KcertException(file + ": the kubelet's client certificate lies outside the"
              + " kubelet's folder " + node.layout().kubeletDir() + " (" + real + "); kcert writes"
              + " the kubelet's certificates only there");
        }
        byte[] content = (new String(chain, StandardCharsets.US_ASCII).stripTrailing() + "\n"
            + PrivateKeys.toPem(new KeyPair(cert.getPublicKey(), k.key())))
            .getBytes(StandardCharsets.US_ASCII);
        if (Files.isSymbolicLink(file)) {
          swap = new LinkSwap(file, content);
        } else {
          sets.add(readBack("kubelet client certificate",
              new FileChange(real, content, AtomicFiles.PRIVATE, node.backupName(real))));
        }
      }
    }
    byte[] rendered = kc.render();
    if (!Arrays.equals(rendered, ops.read(conf))) {
      sets.add(readBack("kubelet.conf",
          new FileChange(conf, rendered, AtomicFiles.PRIVATE, node.backupName(conf))));
    }
    if (dryRun) {
      return outcome(target, false, true, proof, null, List.of(), notes);
    }
    if (target == Phase.REISSUED && certPem != null) {
      // the certificate the kubelet held, for abort (a certificate: public)
      AtomicFiles.write(before(), Rotation.pem(List.of(k.cert())), AtomicFiles.PUBLIC);
    }
    List<Path> written = new ArrayList<>();
    if (swap != null) {
      // the certificate first: it verifies under the bundle the cluster trusts now (the checks
      // above), and a run killed right after it finds it in place and only writes the rest
      written.addAll(swap.apply(clock.instant()));
    }
    sets.stream().flatMap(c -> c.files().stream()).map(FileChange::target).forEach(written::add);
    Path backupDir = null;
    if (!sets.isEmpty()) {
      backupDir = new Installer(ops).install(node.layout(), clock.instant(), sets).backupDir();
    }
    if (target != Phase.NONE) {
      RotationState after = st.withPhase(target);
      writeState(backupDir == null ? after : after.withBackup(target, backupDir));
      List<String> left = check(target, cas);
      if (!left.isEmpty()) {
        throw new KcertException("ca: " + target.command() + " was written but does not hold: "
            + summary(left));
      }
    }
    return outcome(target, false, false, proof, backupDir, written, notes);
  }

  /**
   * The kubelet's certificate store, as the kubelet keeps it: a new {@code
   * kubelet-client-<time>.pem} holding certificate and key (0600), then the {@code
   * kubelet-client-current.pem} link swapped to it by a rename.
   */
  private record LinkSwap(Path link, byte[] content) {
    List<Path> apply(Instant now) {
      Path dir = link.toAbsolutePath().getParent();
      Path file = dir.resolve("kubelet-client-" + KUBELET_STAMP.format(now) + ".pem");
      for (int i = 1; Files.exists(file, LinkOption.NOFOLLOW_LINKS); i++) {
        file = dir.resolve("kubelet-client-" + KUBELET_STAMP.format(now) + "-" + i + ".pem");
      }
      AtomicFiles.writeNew(file, content, AtomicFiles.PRIVATE);
      Path tmp = dir.resolve(CURRENT_LINK_TEMP);
      try {
        Path old = Files.readSymbolicLink(link);
        // the same form as the link had: absolute (as the kubelet writes it) or relative
        Path target = old.isAbsolute() ? old.resolveSibling(file.getFileName()) : file.getFileName();
        Files.deleteIfExists(tmp);
        Files.createSymbolicLink(tmp, target);
        Files.move(tmp, link, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (IOException e) {
        throw KcertException.about(link, "cannot point the link at " + file.getFileName() + ": "
            + KcertException.oneLine(e), e);
      }
      AtomicFiles.syncDirectory(dir);
      byte[] back;
      try {
        back = Files.readAllBytes(link);
      } catch (IOException e) {
        throw KcertException.about(link, "cannot read: " + KcertException.oneLine(e), e);
      }
      if (!Arrays.equals(back, content)) {
        throw KcertException.about(link, "reads back different from what was written");
      }
      return List.of(file, link);
    }
  }

  /** Files other than {@code ca.crt} that the kubelet's configuration names and that hold this CA. */
  private List<Path> trustFiles(Rotation.Cas cas) {
    List<Path> files = new ArrayList<>();
    Path certDir = Rotation.norm(node.layout().certDir());
    for (Rotation.Ref r : rotation.refs()) {
      Path p = Rotation.norm(r.file());
      if (p.equals(Rotation.norm(rotation.caFile())) || !ops.exists(p) || files.contains(p)) {
        continue;
      }
      List<X509Certificate> certs = Certificates.parseBundle(ops.read(p), p + " (named by " + r.name() + ")");
      if (!certs.contains(cas.old()) && !certs.contains(cas.neu())) {
        continue;
      }
      if (!p.startsWith(certDir)) {
        throw new KcertException(p + ": trusted by " + r.name() + " but outside the PKI folder;"
            + " kcert rewrites trust files only inside it (point it at " + rotation.caFile() + ")");
      }
      files.add(p);
    }
    return files;
  }

  /** The kubelet's request: its key, {@code CN=system:node:<node>}, {@code O=system:nodes}. */
  private static String csr(Kubelet k) {
    return CsrBuilder.build("system:node:" + k.nodeName(), List.of("system:nodes"), List.of(),
        List.of(), Set.of(ExtendedKeyUsage.CLIENT_AUTH), new KeyPair(k.cert().getPublicKey(), k.key()));
  }

  /** The usages the kubelet asks for (key encipherment for RSA keys only). */
  private static List<String> usages(Kubelet k) {
    return k.cert().getPublicKey().getAlgorithm().equals("RSA")
        ? List.of("digital signature", "key encipherment", "client auth")
        : List.of("digital signature", "client auth");
  }

  /**
   * The certificate the signer issued, checked: signed by the new CA, the kubelet's key, this
   * node's names, a client certificate, valid now.
   */
  X509Certificate checkIssued(byte[] pem, Kubelet k, Rotation.Cas cas) {
    String what = "the certificate issued for system:node:" + k.nodeName();
    X509Certificate c = Certificates.parseBundle(pem, what).get(0);
    String refusal = null;
    if (!Certificates.isSignedBy(c, cas.neu())) {
      refusal = Certificates.isSignedBy(c, cas.old())
          ? "is signed by the old CA: the controller manager still signs with it (run kcert ca"
              + " reissue on the control-plane nodes first)"
          : "is not signed by the new CA " + Rotation.discoveryHash(cas.neu());
    } else if (!c.getPublicKey().equals(k.cert().getPublicKey())) {
      refusal = "is not for the kubelet's key";
    } else {
      CertificateInfo info = CertificateInfo.of(c);
      Instant now = clock.instant();
      if (!info.commonName().equals("system:node:" + k.nodeName())
          || !info.organizations().equals(List.of("system:nodes"))) {
        refusal = "names " + info.subject() + ", not CN=system:node:" + k.nodeName()
            + ", O=system:nodes";
      } else if (!info.dnsNames().isEmpty() || !info.ipAddresses().isEmpty()) {
        refusal = "carries subject alternative names, which a kubelet client certificate has not";
      } else if (!info.extKeyUsages().contains(ExtendedKeyUsage.CLIENT_AUTH)) {
        refusal = "is not a client certificate (extended key usage lacks client auth)";
      } else if (now.isBefore(info.notBefore()) || now.isAfter(info.notAfter())) {
        refusal = "is not valid now (valid " + info.notBefore() + " to " + info.notAfter() + ")";
      }
    }
    if (refusal != null) {
      throw new KcertException("ca: reissue refused: " + what + " " + refusal + "; nothing was written");
    }
    return c;
  }

  // ---------------------------------------------------------------- proof on disk

  /**
   * What on the worker contradicts {@code phase}: {@code ca.crt}, the kubelet's trust files and
   * {@code kubelet.conf}'s CA must hold the phase's bundle in order, and the kubelet's client
   * certificate must be signed by the phase's signer (during trust-both, by either CA: the kubelet
   * may renew its own certificate once the control plane signs with the new one).
   */
  List<String> check(Phase phase, Rotation.Cas cas) {
    List<String> problems = new ArrayList<>();
    String want = String.join(",", cas.bundle(phase).stream().map(cas::which).toList());
    for (Place p : rotation.inventory()) {
      boolean kubelets = p.kind().equals("ca-file") || p.kind().equals("kubelet-config")
          || p.name().equals(Catalogue.KUBELET_KUBECONFIG.name());
      if (!kubelets) {
        continue; // a worker's rotation writes only the kubelet's places
      }
      if (p.trust() == Place.Trust.MISSING) {
        if (p.kind().equals("ca-file") || p.name().equals(Catalogue.KUBELET_KUBECONFIG.name())) {
          problems.add(p.file() + " (" + p.name() + "): missing " + p.detail());
        }
        continue;
      }
      if (p.trust() == Place.Trust.INVALID) {
        problems.add(p.file() + ": " + p.detail());
        continue;
      }
      switch (p.kind()) {
        case "ca-file", "kubelet-config", "kubeconfig-ca" -> {
          boolean strict = p.kind().equals("ca-file");
          if ((strict || p.trust() != Place.Trust.OTHER) && !p.detail().equals(want)) {
            problems.add(p.file() + " (" + p.name() + "): holds " + p.detail() + ", not " + want);
          }
        }
        case "client-cert" -> {
          String signer = cas.which(cas.signer(phase));
          boolean either = phase == Phase.TRUST_BOTH && p.detail().equals("signed by new");
          if (!either && !p.detail().equals("signed by " + signer)) {
            problems.add(p.file() + " (" + p.name() + "): " + p.detail() + ", not by " + signer);
          }
        }
        default -> { }
      }
    }
    return problems;
  }

  /** Where the rotation stands on this worker; the places listed are those present. */
  public Rotation.Status status() {
    Phase phase = rotation.phase();
    List<String> problems = check(phase, rotation.cas());
    List<Place> places = rotation.inventory().stream()
        .filter(p -> p.trust() != Place.Trust.MISSING || p.kind().equals("ca-file")).toList();
    return new Rotation.Status(Catalogue.CA, phase, problems, places);
  }

  // ---------------------------------------------------------------- helpers

  private List<String> notes(Phase target) {
    List<String> notes = new ArrayList<>();
    if (target != Phase.FINISHED) {
      notes.add("restart: the kubelet, so that it reads ca.crt and kubelet.conf again");
    }
    switch (target) {
      case TRUST_BOTH -> notes.add("next, once the control-plane nodes have done reissue (and before"
          + " their trust-new): kcert ca reissue --ca ca");
      case REISSUED -> notes.add("next: kcert ca trust-new --ca ca; the control-plane nodes may go on"
          + " to trust-new once every worker is past reissue");
      case TRUST_NEW -> notes.add("next: kcert ca finish --ca ca");
      default -> { }
    }
    return notes;
  }

  private void writeState(RotationState st) {
    AtomicFiles.write(rotation.stateFile(), st.render(), AtomicFiles.PRIVATE);
  }

  private ChangeSet readBack(String name, FileChange f) {
    return new ChangeSet(name, List.of(f), () -> {
      if (!Arrays.equals(ops.read(f.target()), f.content())) {
        throw KcertException.about(f.target(), "reads back different from what was written");
      }
    });
  }

  private byte[] read(Path file) {
    if (!ops.exists(file)) {
      throw KcertException.about(file, "missing");
    }
    return ops.read(file);
  }

  private static boolean chains(X509Certificate leaf, List<X509Certificate> bundle) {
    return bundle.stream().anyMatch(c -> Certificates.isSignedBy(leaf, c));
  }

  private static String label(Phase p) {
    return p == Phase.NONE ? "abort" : p.command();
  }

  private static String summary(List<String> problems) {
    return problems.get(0) + (problems.size() > 1 ? " (and " + (problems.size() - 1) + " more)" : "");
  }

  private Outcome outcome(Phase phase, boolean already, boolean dryRun, Proof proof, Path backup,
      List<Path> written, List<String> notes) {
    return new Outcome(Catalogue.CA, phase, already, dryRun, proof, backup, written, null, notes);
  }
}
