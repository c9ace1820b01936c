package dev.kcert.core.rotation;

import dev.kcert.core.csr.CsrBuilder;
import dev.kcert.core.keys.KeyPairs;
import dev.kcert.core.kubeconfig.CredentialRef;
import dev.kcert.core.kubeconfig.Kubeconfig;
import dev.kcert.core.kubeconfig.KubeconfigCredentials;
import dev.kcert.core.model.Catalogue;
import dev.kcert.core.model.CatalogueEntry;
import dev.kcert.core.model.ExtendedKeyUsage;
import dev.kcert.core.model.KcertException;
import dev.kcert.core.node.StaticPodManifest;
import dev.kcert.core.pem.Certificates;
import dev.kcert.core.pem.Pem;
import dev.kcert.core.pem.PemBlock;
import dev.kcert.core.pem.PrivateKeys;
import dev.kcert.core.pki.AtomicFiles;
import dev.kcert.core.pki.CertificateInfo;
import dev.kcert.core.pki.CertificateSigner;
import dev.kcert.core.pki.CertificateTemplate;
import dev.kcert.core.renewal.ChangeSet;
import dev.kcert.core.renewal.FileChange;
import dev.kcert.core.renewal.FileOps;
import dev.kcert.core.renewal.Installer;
import dev.kcert.core.renewal.Renewer;
import dev.kcert.core.renewal.RunLock;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * The rotation of one CA on one node, in phases (see {@link Phase}). Every phase is computed in
 * memory from the node's files and the rotation folder ({@code <cert-dir>/kcert-rotation/<ca>/}:
 * {@code state}, {@code old.crt}, {@code old.key}, {@code new.crt}, {@code new.key}, {@code
 * signer.crt}), proven by simulation, and written with the renewal {@link Installer} (backup,
 * journal, crash-safe renames, roll-back); the state file is replaced after the files.
 *
 * <p>A phase refuses to start until the previous one is proven on disk. A process killed inside a
 * phase leaves an {@code in-progress} journal that the next command undoes first; killed after the
 * files but before the state, the next run of the same phase finds the files in place and records
 * it. {@link #abort} returns every place to the old CA alone from any phase.
 *
 * <p>What the node's files can influence, and what kcert does about it: a manifest flag or the
 * kubelet's {@code clientCAFile} names a file that is read as a trust place, and rewritten only
 * when it lies inside the PKI folder and holds this CA; a kubeconfig's fields are read and only
 * that kubeconfig is rewritten; every certificate is judged by its signature, never its name.
 */
public final class Rotation {
  /** The CAs that can be rotated. */
  public static final List<String> CAS =
      List.of(Catalogue.CA, Catalogue.FRONT_PROXY_CA, Catalogue.ETCD_CA);

  static final String SIGNER_FLAG = "--cluster-signing-cert-file";

  /** The static pod flags that name a trust file of each CA (kubeadm's and the usual extras). */
  static final Map<String, List<String>> CA_FLAGS =
      Map.of(
          Catalogue.CA,
          List.of(
              "--client-ca-file", "--kubelet-certificate-authority", "--root-ca-file", SIGNER_FLAG),
          Catalogue.FRONT_PROXY_CA,
          List.of("--requestheader-client-ca-file"),
          Catalogue.ETCD_CA,
          List.of("--etcd-cafile", "--trusted-ca-file", "--peer-trusted-ca-file"));

  private static final Set<PosixFilePermission> PRIVATE_DIR =
      PosixFilePermissions.fromString("rwx------");

  private final NodeFiles node;
  private final CatalogueEntry ca;
  private final FileOps ops;
  private final Clock clock;

  public Rotation(NodeFiles node, String caName, FileOps ops, Clock clock) {
    if (!CAS.contains(caName)) {
      throw new IllegalArgumentException(
          "unknown CA \"" + caName + "\"; one of " + String.join(", ", CAS));
    }
    this.node = node;
    this.ca = Catalogue.ca(caName);
    this.ops = ops;
    this.clock = clock;
  }

  public static Rotation of(NodeFiles node, String caName, Clock clock) {
    return new Rotation(node, caName, FileOps.system(), clock);
  }

  public String caName() {
    return ca.name();
  }

  /** The rotation folder of this CA. */
  public Path dir() {
    return node.rotationRoot().resolve(ca.name());
  }

  Path stateFile() {
    return dir().resolve(RotationState.FILE_NAME);
  }

  Path oldCrt() {
    return dir().resolve("old.crt");
  }

  Path oldKey() {
    return dir().resolve("old.key");
  }

  public Path newCrt() {
    return dir().resolve("new.crt");
  }

  Path newKey() {
    return dir().resolve("new.key");
  }

  /** Where {@code prepare} with a request leaves the certificate request for the external root. */
  public Path newCsr() {
    return dir().resolve("new.csr");
  }

  /** The new CA cross-signed by the old one ({@code prepare --cross-sign}); absent otherwise. */
  public Path crossCrt() {
    return dir().resolve(CrossSign.FILE_NAME);
  }

  /** The single-certificate copy the controller manager signs with during a rotation. */
  public Path signerCopy() {
    return dir().resolve("signer.crt");
  }

  Path caFile() {
    return node.layout().certFile(ca);
  }

  Path caKeyFile() {
    return node.layout().keyFile(ca);
  }

  /** The state of the rotation, if one was started. */
  public Optional<RotationState> state() {
    if (!ops.exists(stateFile())) {
      return Optional.empty();
    }
    RotationState st = RotationState.parse(ops.read(stateFile()), stateFile());
    if (!st.caName().equals(ca.name())) {
      throw KcertException.about(stateFile(), "belongs to CA " + st.caName() + ", not " + ca.name());
    }
    return Optional.of(st);
  }

  /** The phase the rotation is in; {@link Phase#NONE} when none was started. */
  public Phase phase() {
    return state().map(RotationState::phase).orElse(Phase.NONE);
  }

  // ---------------------------------------------------------------- the CAs

  /** The old and new CA; {@code neu} is {@code null} before {@code prepare}. */
  record Cas(X509Certificate old, X509Certificate neu) {
    List<X509Certificate> bundle(Phase p) {
      return neu == null ? List.of(old) : p.bundle(old, neu);
    }

    X509Certificate signer(Phase p) {
      return p.newSigns() ? neu : old;
    }

    String which(X509Certificate c) {
      if (c.equals(old)) {
        return "old";
      }
      return c.equals(neu) ? "new" : "other";
    }

    String signerOf(X509Certificate leaf) {
      if (Certificates.isSignedBy(leaf, old)) {
        return "old";
      }
      return neu != null && Certificates.isSignedBy(leaf, neu) ? "new" : "other";
    }
  }

  Cas cas() {
    X509Certificate old =
        ops.exists(oldCrt()) ? first(oldCrt()) : first(caFile());
    X509Certificate neu = ops.exists(newCrt()) ? first(newCrt()) : null;
    return new Cas(old, neu);
  }

  private X509Certificate first(Path file) {
    return Certificates.parseBundle(read(file), file.toString()).get(0);
  }

  private byte[] read(Path file) {
    if (!ops.exists(file)) {
      throw KcertException.about(file, "missing");
    }
    return ops.read(file);
  }

  // ---------------------------------------------------------------- inventory

  /** A file named by a manifest flag or the kubelet configuration. */
  record Ref(String kind, String name, Path file, String value, Path source) {}

  List<Ref> refs() {
    List<Ref> refs = new ArrayList<>();
    for (Path manifest : node.manifests()) {
      StaticPodManifest pod = StaticPodManifest.read(manifest);
      String component = manifest.getFileName().toString().replaceAll("\\.ya?ml$", "");
      for (StaticPodManifest.Flag f : pod.flags()) {
        if (CA_FLAGS.get(ca.name()).contains(f.name())) {
          refs.add(
              new Ref(
                  f.name().equals(SIGNER_FLAG) ? "signer-file" : "manifest-flag",
                  component + " " + f.name(),
                  Path.of(f.value()),
                  f.value(),
                  manifest));
        }
      }
    }
    if (ca.name().equals(Catalogue.CA) && ops.exists(node.kubeletConfig())) {
      String value = kubeletClientCaFile();
      if (value != null && !value.isEmpty()) {
        refs.add(
            new Ref(
                "kubelet-config",
                "kubelet authentication.x509.clientCAFile",
                Path.of(value),
                value,
                node.kubeletConfig()));
      }
    }
    return refs;
  }

  private String kubeletClientCaFile() {
    Path file = node.kubeletConfig();
    Object root;
    try {
      root =
          new Yaml(new SafeConstructor(new LoaderOptions()))
              .load(new String(ops.read(file), StandardCharsets.UTF_8));
    } catch (YAMLException e) {
      throw KcertException.about(file, "not a valid kubelet configuration: " + KcertException.oneLine(e), e);
    }
    if (root instanceof Map<?, ?> m
        && m.get("authentication") instanceof Map<?, ?> auth
        && auth.get("x509") instanceof Map<?, ?> x509
        && x509.get("clientCAFile") != null) {
      return x509.get("clientCAFile").toString();
    }
    return null;
  }

  private List<CatalogueEntry> leaves() {
    return Catalogue.LEAVES.stream().filter(e -> e.caName().equals(ca.name())).toList();
  }

  private List<CatalogueEntry> kubeconfigs() {
    if (!ca.name().equals(Catalogue.CA)) {
      return List.of();
    }
    List<CatalogueEntry> all = new ArrayList<>(Catalogue.KUBECONFIGS);
    all.add(Catalogue.KUBELET_KUBECONFIG);
    return all;
  }

  /**
   * Every place on this node that trusts the CA or is signed by it. An unreadable place is a row
   * ({@code missing} or {@code invalid}), never an exception.
   */
  public List<Place> inventory() {
    Cas cas = cas();
    List<Place> places = new ArrayList<>();
    places.add(bundlePlace("ca-file", ca.name(), caFile(), cas));
    List<Ref> refs;
    try {
      refs = refs();
    } catch (KcertException e) {
      refs = List.of();
      places.add(
          new Place("manifest-flag", "static pod manifests", node.manifestDir(), Place.Trust.INVALID, e.getMessage()));
    }
    for (Ref r : refs) {
      places.add(bundlePlace(r.kind(), r.name(), r.file(), cas));
    }
    for (CatalogueEntry e : kubeconfigs()) {
      Path file = node.layout().kubeconfigFile(e);
      if (!ops.exists(file)) {
        places.add(new Place("kubeconfig-ca", e.name(), file, Place.Trust.MISSING, ""));
        continue;
      }
      try {
        KubeconfigCredentials creds = Kubeconfig.parse(ops.read(file), file).credentials();
        CredentialRef caRef = creds.certificateAuthority();
        if (caRef == null) {
          places.add(new Place("kubeconfig-ca", e.name(), file, Place.Trust.MISSING, "no certificate-authority"));
        } else {
          List<X509Certificate> certs = Certificates.parseBundle(caRef.load(), caRef.describe());
          places.add(new Place("kubeconfig-ca", e.name(), file, trustOf(certs, cas), order(certs, cas)));
        }
        CredentialRef certRef = creds.clientCertificate();
        if (certRef == null) {
          places.add(new Place("client-cert", e.name(), file, Place.Trust.MISSING, "no client certificate"));
        } else if (!certRef.isEmbedded() && !ops.exists(certRef.file())) {
          places.add(new Place("client-cert", e.name(), certRef.file(), Place.Trust.MISSING, certRef.describe()));
        } else {
          X509Certificate c = Certificates.parseBundle(certRef.load(), certRef.describe()).get(0);
          places.add(
              new Place("client-cert", e.name(), certRef.isEmbedded() ? file : certRef.file(),
                  signedTrust(c, cas), "signed by " + cas.signerOf(c)));
        }
      } catch (KcertException ex) {
        places.add(new Place("kubeconfig-ca", e.name(), file, Place.Trust.INVALID, ex.getMessage()));
      }
    }
    for (CatalogueEntry e : leaves()) {
      Path crt = node.layout().certFile(e);
      if (!ops.exists(crt)) {
        places.add(new Place("leaf", e.name(), crt, Place.Trust.MISSING, ""));
        continue;
      }
      try {
        X509Certificate c = first(crt);
        places.add(new Place("leaf", e.name(), crt, signedTrust(c, cas), "signed by " + cas.signerOf(c)));
      } catch (KcertException ex) {
        places.add(new Place("leaf", e.name(), crt, Place.Trust.INVALID, ex.getMessage()));
      }
    }
    return places;
  }

  private Place bundlePlace(String kind, String name, Path file, Cas cas) {
    if (!ops.exists(file)) {
      return new Place(kind, name, file, Place.Trust.MISSING, "");
    }
    try {
      List<X509Certificate> certs = Certificates.parseBundle(ops.read(file), file.toString());
      return new Place(kind, name, file, trustOf(certs, cas), order(certs, cas));
    } catch (KcertException e) {
      return new Place(kind, name, file, Place.Trust.INVALID, e.getMessage());
    }
  }

  private static Place.Trust trustOf(List<X509Certificate> certs, Cas cas) {
    boolean old = certs.contains(cas.old());
    boolean neu = cas.neu() != null && certs.contains(cas.neu());
    if (old && neu) {
      return Place.Trust.BOTH;
    }
    if (old) {
      return Place.Trust.OLD_ONLY;
    }
    return neu ? Place.Trust.NEW_ONLY : Place.Trust.OTHER;
  }

  private static Place.Trust signedTrust(X509Certificate c, Cas cas) {
    return switch (cas.signerOf(c)) {
      case "old" -> Place.Trust.OLD_ONLY;
      case "new" -> Place.Trust.NEW_ONLY;
      default -> Place.Trust.OTHER;
    };
  }

  private static String order(List<X509Certificate> certs, Cas cas) {
    return String.join(",", certs.stream().map(cas::which).toList());
  }

  // ---------------------------------------------------------------- prepare

  /**
   * Makes or imports the new CA into the rotation folder. With {@link NewCa.Request} only a key
   * and a request are written and the phase stays {@link Phase#NONE}.
   */
  public Outcome prepare(NewCa source, boolean dryRun) {
    return prepare(source, false, dryRun);
  }

  /**
   * {@link #prepare(NewCa, boolean)}, and with {@code crossSign} also the new CA cross-signed by
   * the old one ({@link CrossSign}) into the rotation folder; a rotation prepared already gets its
   * cross certificate added.
   */
  public Outcome prepare(NewCa source, boolean crossSign, boolean dryRun) {
    if (crossSign && source instanceof NewCa.Request) {
      throw new IllegalArgumentException("--cross-sign goes with prepare --complete, not with --request");
    }
    Optional<RotationState> st = state();
    if (st.isPresent() && st.get().phase() == Phase.PREPARED && crossSign && !ops.exists(crossCrt())) {
      if (dryRun) {
        return outcome(Phase.PREPARED, false, true, null, null, List.of(),
            List.of("would write the cross-signed new CA to " + crossCrt()));
      }
      try (RunLock lock = RunLock.acquire(node.backupParent())) {
        writeCross(first(newCrt()), first(oldCrt()), ops.read(oldKey()));
      }
      return outcome(Phase.PREPARED, false, false, null, null, List.of(crossCrt()),
          List.of("next: kcert ca trust-both --ca " + ca.name() + " (on every node)"));
    }
    if (st.isPresent() && st.get().phase() == Phase.PREPARED) {
      return outcome(Phase.PREPARED, true, dryRun, null, null, List.of(),
          List.of("the new CA is in " + newCrt() + " already; 'abort' to choose another"));
    }
    if (st.isPresent() && st.get().phase() != Phase.FINISHED) {
      throw KcertException.about(stateFile(),
          "a rotation of " + ca.name() + " is at phase " + st.get().phase().command()
              + "; continue or abort it first");
    }
    byte[] oldPem = read(caFile());
    List<X509Certificate> oldCerts = Certificates.parseBundle(oldPem, caFile().toString());
    if (oldCerts.size() != 1) {
      throw KcertException.about(caFile(), "holds " + oldCerts.size()
          + " certificates; a rotation starts from a CA file with one");
    }
    X509Certificate old = oldCerts.get(0);
    if (!ops.exists(caKeyFile())) {
      throw KcertException.about(caKeyFile(),
          "missing: the old CA's key is needed to abort a rotation after reissue");
    }
    byte[] oldKeyPem = ops.read(caKeyFile());
    if (!KeyPairs.matches(PrivateKeys.parse(oldKeyPem, caKeyFile().toString()), old.getPublicKey())) {
      throw KcertException.about(caKeyFile(), "does not match " + caFile().getFileName());
    }
    List<Path> written = new ArrayList<>();
    byte[] newCertPem;
    byte[] newKeyPem;
    if (source instanceof NewCa.Request r) {
        if (dryRun) {
          return outcome(Phase.NONE, false, true, null, null, List.of(),
              List.of("would write a key and a request to " + newCsr()));
        }
        KeyPair pair = r.keyAlgorithm().generate();
        CertificateInfo info = CertificateInfo.of(old);
        byte[] csr = CsrBuilder.buildCa(info.commonName(), info.organizations(), pair)
            .getBytes(StandardCharsets.US_ASCII);
        ops.createDirectories(dir(), PRIVATE_DIR);
        put(newKey(), PrivateKeys.toPem(pair).getBytes(StandardCharsets.US_ASCII), AtomicFiles.PRIVATE);
        put(newCsr(), csr, AtomicFiles.PUBLIC);
        return outcome(Phase.NONE, false, false, null, null, List.of(newKey(), newCsr()),
            List.of("have the external root sign " + newCsr() + " as a CA (basicConstraints CA:TRUE,"
                + " keyUsage keyCertSign), then run prepare --complete <signed.crt>"));
    }
    if (source instanceof NewCa.Generate g) {
        KeyPair pair = g.keyAlgorithm().generate();
        CertificateInfo info = CertificateInfo.of(old);
        Instant now = clock.instant();
        X509Certificate cert = CertificateSigner.selfSignedCa(
            new CertificateTemplate(info.commonName(), info.organizations(), List.of(), List.of(),
                Set.<ExtendedKeyUsage>of(), true, now.minus(Renewer.BACKDATE), now.plus(g.validity())),
            pair);
        newCertPem = Certificates.toPem(cert).getBytes(StandardCharsets.US_ASCII);
        newKeyPem = PrivateKeys.toPem(pair).getBytes(StandardCharsets.US_ASCII);
    } else if (source instanceof NewCa.Import i) {
        newCertPem = Pem.readFile(i.certificate());
        newKeyPem = Pem.readFile(i.key());
        checkNewCa(newCertPem, i.certificate(), PrivateKeys.parse(newKeyPem, i.key().toString()), i.key(), old);
    } else {
      NewCa.Complete c = (NewCa.Complete) source;
        if (!ops.exists(newKey())) {
          throw KcertException.about(newKey(), "missing: run prepare --request first");
        }
        newCertPem = Pem.readFile(c.certificate());
        newKeyPem = ops.read(newKey());
        checkNewCa(newCertPem, c.certificate(), PrivateKeys.parse(newKeyPem, newKey().toString()), newKey(), old);
    }
    if (dryRun) {
      return outcome(Phase.PREPARED, false, true, null, null, List.of(),
          List.of("would write the new CA to " + newCrt()));
    }
    try (RunLock lock = RunLock.acquire(node.backupParent())) {
      ops.createDirectories(node.rotationRoot(), PRIVATE_DIR);
      ops.createDirectories(dir(), PRIVATE_DIR);
      put(oldCrt(), oldPem, AtomicFiles.PUBLIC);
      put(oldKey(), oldKeyPem, AtomicFiles.PRIVATE);
      put(newKey(), newKeyPem, AtomicFiles.PRIVATE);
      put(newCrt(), newCertPem, AtomicFiles.PUBLIC);
      ops.delete(newCsr());
      written.addAll(List.of(oldCrt(), oldKey(), newKey(), newCrt()));
      if (crossSign) {
        writeCross(Certificates.parseBundle(newCertPem, newCrt().toString()).get(0), old, oldKeyPem);
        written.add(crossCrt());
      } else {
        ops.delete(crossCrt());
      }
      writeState(new RotationState(ca.name(), Phase.PREPARED, "", List.of()));
      written.add(stateFile());
    }
    List<String> notes = new ArrayList<>();
    notes.add("next: kcert ca trust-both --ca " + ca.name() + " (on every node)");
    if (ca.name().equals(Catalogue.CA)) {
      notes.add("worker nodes: copy " + newCrt() + " and run kcert ca prepare --new-ca-cert <copy>,"
          + " or kcert ca prepare --new-ca-hash "
          + discoveryHash(Certificates.parseBundle(newCertPem, newCrt().toString()).get(0))
          + " once trust-both has published it in cluster-info");
    }
    return outcome(Phase.PREPARED, false, false, null, null, written, notes);
  }

  private void writeCross(X509Certificate neu, X509Certificate old, byte[] oldKeyPem) {
    X509Certificate cross = CrossSign.of(neu, old, PrivateKeys.parse(oldKeyPem, oldKey().toString()), clock);
    put(crossCrt(), Certificates.toPem(cross).getBytes(StandardCharsets.US_ASCII), AtomicFiles.PUBLIC);
  }

  private void checkNewCa(byte[] certPem, Path certFile, PrivateKey key, Path keyFile, X509Certificate old) {
    X509Certificate cert = Certificates.parseBundle(certPem, certFile.toString()).get(0);
    if (cert.getBasicConstraints() < 0) {
      throw KcertException.about(certFile, "is not a CA certificate (basicConstraints CA:TRUE missing)");
    }
    boolean[] usage = cert.getKeyUsage();
    if (usage != null && !usage[5]) {
      throw KcertException.about(certFile, "may not sign certificates (keyUsage lacks keyCertSign)");
    }
    if (!KeyPairs.matches(key, cert.getPublicKey())) {
      throw KcertException.about(keyFile, "does not match " + certFile.getFileName());
    }
    if (cert.getPublicKey().equals(old.getPublicKey())) {
      throw KcertException.about(certFile, "has the old CA's key; a rotation needs a new key");
    }
    Instant now = clock.instant();
    if (now.isBefore(cert.getNotBefore().toInstant()) || now.isAfter(cert.getNotAfter().toInstant())) {
      throw KcertException.about(certFile, "is not valid now (valid " + cert.getNotBefore().toInstant()
          + " to " + cert.getNotAfter().toInstant() + ")");
    }
  }

  // ---------------------------------------------------------------- phases

  /**
   * Enters {@code target} ({@link Phase#TRUST_BOTH} to {@link Phase#FINISHED}). Refuses unless the
   * rotation is at the phase before and that phase is proven on disk, or the proof of {@code
   * target} fails. With {@code dryRun}, only the proof is computed.
   */
  public Outcome advance(Phase target, boolean dryRun) {
    return advance(target, dryRun, Commit.NONE);
  }

  /**
   * What a caller records as part of a phase's commit: called under the lock, after every check
   * and before the first write of the phase (its files, the signer flag in the state, the state),
   * with the files the phase is about to write. {@code --restart} records there that the phase is
   * not proven yet, so that no kill leaves a phase that looks proven with its restarts not done.
   */
  @FunctionalInterface
  public interface Commit {
    Commit NONE = (target, files) -> { };

    void beforeWrite(Phase target, List<Path> files);
  }

  /** {@link #advance(Phase, boolean)}, with {@code commit} called before the phase writes. */
  public Outcome advance(Phase target, boolean dryRun, Commit commit) {
    if (target.ordinal() <= Phase.PREPARED.ordinal()) {
      throw new IllegalArgumentException("advance enters trust-both to finish");
    }
    try (RunLock lock = dryRun ? null : RunLock.acquire(node.backupParent())) {
      if (!dryRun) {
        new Installer(ops).recover(node.layout());
      }
      RotationState st = state().orElseThrow(() -> KcertException.about(stateFile(),
          "missing: no rotation of " + ca.name() + " was prepared; run kcert ca prepare first"));
      Cas cas = cas();
      if (st.phase() == target) {
        if (target == Phase.FINISHED && !dryRun) {
          ops.delete(oldKey()); // a run killed between its state and its clean-up
          ops.delete(crossCrt());
          if (refs().stream().noneMatch(r -> norm(r.file()).equals(norm(signerCopy())))) {
            ops.delete(signerCopy());
          }
        }
        List<String> problems = check(target, st, cas);
        if (!problems.isEmpty()) {
          throw new KcertException(ca.name() + ": phase " + target.command()
              + " is recorded but does not hold on disk: " + summary(problems));
        }
        return outcome(target, true, dryRun, null, null, List.of(), List.of());
      }
      Phase previous = target.previous().orElseThrow();
      if (st.phase() != previous) {
        throw new KcertException(ca.name() + ": " + target.command() + " follows "
            + previous.command() + ", but this rotation is at " + st.phase().command());
      }
      return enter(target, st, cas, dryRun, commit);
    }
  }

  /**
   * Returns every place to the old CA alone, from any phase before {@code finish}: trust files and
   * kubeconfigs hold the old CA, certificates the new one signed are re-signed by the old one
   * (keys kept), the CA key is the old one and the signer flag points where it did.
   */
  public Outcome abort(boolean dryRun) {
    return abort(dryRun, Commit.NONE);
  }

  /** {@link #abort(boolean)}, with {@code commit} called before the abort writes. */
  public Outcome abort(boolean dryRun, Commit commit) {
    try (RunLock lock = dryRun ? null : RunLock.acquire(node.backupParent())) {
      if (!dryRun) {
        new Installer(ops).recover(node.layout());
      }
      if (state().isEmpty()) {
        return abortWithoutState(dryRun, commit);
      }
      RotationState st = state().orElseThrow();
      if (st.phase() == Phase.FINISHED) {
        throw KcertException.about(stateFile(), "the rotation of " + ca.name()
            + " has finished; the old CA is gone (start a new rotation to change CA again)");
      }
      Cas cas = ops.exists(newCrt()) ? cas() : new Cas(cas().old(), null);
      return enter(Phase.NONE, st, cas, dryRun, commit);
    }
  }

  /**
   * Abort where no state is recorded: a killed {@code prepare} (its state is written last) or a
   * killed abort (the state is removed last) left files in the rotation folder; they are removed.
   * With nothing left and the node at the old CA alone, the abort is done already.
   */
  private Outcome abortWithoutState(boolean dryRun, Commit commit) {
    List<Path> left = new ArrayList<>();
    for (Path p : leftovers()) {
      if (ops.exists(p)) {
        left.add(p);
      }
    }
    Cas cas = new Cas(cas().old(), null);
    List<String> problems = checkFiles(Phase.NONE, new RotationState(ca.name(), Phase.NONE, "", List.of()), cas);
    if (!problems.isEmpty()) {
      throw KcertException.about(stateFile(), "missing: no rotation of " + ca.name()
          + " to abort, and the node does not hold the old CA alone: " + summary(problems));
    }
    Proof none = new Proof(Phase.NONE, Phase.NONE, List.of());
    if (left.isEmpty()) {
      return outcome(Phase.NONE, true, dryRun, none, null, List.of(),
          List.of("no rotation of " + ca.name() + " is recorded on this node; every place trusts the old CA alone"));
    }
    if (!dryRun) {
      commit.beforeWrite(Phase.NONE, List.of());
      for (Path p : left) {
        ops.delete(p);
      }
    }
    return outcome(Phase.NONE, false, dryRun, none, null, List.of(),
        List.of("removed what an interrupted prepare or abort left in " + dir() + ": "
            + String.join(", ", left.stream().map(p -> p.getFileName().toString()).toList())));
  }

  /** The rotation folder's files, the state last: abort removes them in this order. */
  private List<Path> leftovers() {
    return List.of(newKey(), newCsr(), signerCopy(), oldKey(), crossCrt(), newCrt(), oldCrt(),
        dir().resolve(ClusterState.FILE_NAME), stateFile());
  }

  private Outcome enter(Phase target, RotationState st, Cas cas, boolean dryRun, Commit commit) {
    Changes changes = changes(target, st, cas);
    Phase next = target == Phase.NONE ? Phase.NONE : target.next().orElse(target);
    Proof proof = simulate(target, next, changes, cas);
    boolean atTarget = checkFiles(target, changes.state(), cas).isEmpty();
    boolean atPrevious = checkFiles(st.phase(), st, cas).isEmpty();
    if (atTarget && !atPrevious) {
      // a run killed after writing its files but before its state: record it
      if (!dryRun) {
        finishState(target, changes, null);
      }
      return outcome(target, true, dryRun, proof, null, List.of(), notes(target, cas));
    }
    if (target != Phase.NONE) {
      List<String> problems = check(st.phase(), st, cas);
      if (!problems.isEmpty()) {
        throw new KcertException(ca.name() + ": phase " + st.phase().command()
            + " is not proven on disk, so " + target.command() + " will not start: " + summary(problems));
      }
    }
    if (!changes.problems().isEmpty()) {
      throw new KcertException(ca.name() + ": " + summary(changes.problems()));
    }
    if (!proof.ok()) {
      if (dryRun) {
        return outcome(target, false, true, proof, null, List.of(), List.of());
      }
      Proof.Row r = proof.failures().get(0);
      throw new KcertException(ca.name() + ": " + (target == Phase.NONE ? "abort" : target.command())
          + " refused: " + r.name() + " (signed by " + r.signedBy() + ") would not verify under the "
          + (r.inEntered() ? next.command() : target.command()) + " trust bundle");
    }
    if (dryRun) {
      return outcome(target, false, true, proof, null, List.of(), notes(target, cas));
    }
    List<ChangeSet> sets = new ArrayList<>(changes.sets());
    RotationState after = changes.state();
    commit.beforeWrite(target, changes.sets().stream()
        .flatMap(c -> c.files().stream()).map(FileChange::target).toList());
    if (!after.signerFlag().equals(st.signerFlag()) && !after.signerFlag().isEmpty()) {
      // where the signer flag pointed is recorded before the manifest changes, for abort
      writeState(st.withSignerFlag(after.signerFlag()));
    }
    sets.add(new ChangeSet("proof of " + target.command(), List.of(), () -> {
      List<String> problems = checkFiles(target, after, cas);
      if (!problems.isEmpty()) {
        throw new KcertException(summary(problems));
      }
    }));
    List<Path> written = changes.sets().stream()
        .flatMap(c -> c.files().stream()).map(FileChange::target).toList();
    Path backupDir = null;
    if (written.isEmpty()) {
      // a phase with nothing to write here (finish where no controller manager runs)
      sets.get(sets.size() - 1).verification().run();
    } else {
      backupDir = new Installer(ops).install(node.layout(), clock.instant(), sets).backupDir();
    }
    finishState(target, changes, backupDir);
    return outcome(target, false, false, proof, backupDir, written, notes(target, cas));
  }

  private void finishState(Phase target, Changes changes, Path backupDir) {
    if (target == Phase.NONE) {
      // the state goes last: an abort killed meanwhile is still recorded, and runs again
      for (Path p : leftovers()) {
        ops.delete(p);
      }
      return;
    }
    RotationState st = changes.state().withPhase(target);
    if (backupDir != null) {
      st = st.withBackup(target, backupDir);
    }
    writeState(st);
    // once the state says so: until then an abort may still need the old key
    for (Path p : changes.deleteAfter()) {
      ops.delete(p);
    }
  }

  private void writeState(RotationState st) {
    put(stateFile(), st.render(), AtomicFiles.PRIVATE);
  }

  /** Replaces a file of the rotation folder: a flushed temporary file renamed over it. */
  private void put(Path file, byte[] content, Set<PosixFilePermission> perms) {
    Path tmp = ops.writeTemp(file, content, perms);
    try {
      ops.rename(tmp, file);
    } catch (RuntimeException e) {
      ops.delete(tmp);
      throw e;
    }
  }

  private List<String> notes(Phase target, Cas cas) {
    List<String> notes = new ArrayList<>();
    if (target == Phase.NONE) {
      notes.add("every place trusts the old CA alone again; restart what restarted during the rotation");
      return notes;
    }
    notes.add("restart: " + target.restarts());
    target.next().ifPresent(n -> notes.add(
        "next, once this phase is done on every node: kcert ca " + n.command() + " --ca " + ca.name()));
    return notes;
  }

  /** kubeadm's discovery hash of a CA: {@code sha256:} and the hex SHA-256 of its public key. */
  public static String discoveryHash(X509Certificate caCert) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(caCert.getPublicKey().getEncoded());
      return "sha256:" + HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }

  private Outcome outcome(Phase phase, boolean already, boolean dryRun, Proof proof, Path backup,
      List<Path> written, List<String> notes) {
    String hash = phase == Phase.FINISHED && ca.name().equals(Catalogue.CA) && ops.exists(newCrt())
        ? discoveryHash(first(newCrt())) : null;
    return new Outcome(ca.name(), phase, already, dryRun, proof, backup, written, hash, notes);
  }

  private static String summary(List<String> problems) {
    return problems.get(0) + (problems.size() > 1 ? " (and " + (problems.size() - 1) + " more)" : "");
  }

  // ---------------------------------------------------------------- changes

  /**
   * The files a phase writes, in rename order; the certificates every signed place will hold
   * once it is done; the state it records; files to delete once it is done; and what stops it.
   */
  record Changes(List<ChangeSet> sets, Map<String, X509Certificate> after, RotationState state,
      List<Path> deleteAfter, List<String> problems) {}

  private Changes changes(Phase target, RotationState st, Cas cas) {
    List<ChangeSet> trust = new ArrayList<>();
    List<ChangeSet> clients = new ArrayList<>();
    List<ChangeSet> servers = new ArrayList<>();
    List<ChangeSet> signer = new ArrayList<>();
    List<ChangeSet> caSets = new ArrayList<>();
    Map<String, X509Certificate> after = new LinkedHashMap<>();
    List<Path> deleteAfter = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    RotationState state = st;

    List<X509Certificate> bundle = cas.bundle(target);
    // the cross certificate rides behind every leaf the new CA signed during reissue only
    X509Certificate cross = ops.exists(crossCrt()) ? first(crossCrt()) : null;
    boolean carry = target == Phase.REISSUED && cross != null;
    byte[] bundlePem = target == Phase.NONE && ops.exists(oldCrt()) ? ops.read(oldCrt()) : pem(bundle);
    X509Certificate signerCert = cas.signer(target);
    PrivateKey[] signerKey = new PrivateKey[1];
    java.util.function.Supplier<PrivateKey> key = () -> {
      if (signerKey[0] == null) {
        Path f = target.newSigns() ? newKey() : oldKey();
        signerKey[0] = PrivateKeys.parse(read(f), f.toString());
      }
      return signerKey[0];
    };

    // trust files: the CA file, and every file a flag names that holds this CA
    List<Ref> refs = refs();
    Set<Path> trustFiles = new LinkedHashSet<>();
    Path certDir = node.layout().certDir().toAbsolutePath().normalize();
    for (Ref r : refs) {
      Path p = r.file().toAbsolutePath().normalize();
      if (r.kind().equals("signer-file") || p.equals(norm(caFile())) || p.equals(norm(signerCopy()))
          || !ops.exists(p)) {
        continue;
      }
      List<X509Certificate> certs;
      try {
        certs = Certificates.parseBundle(ops.read(p), p.toString());
      } catch (KcertException e) {
        problems.add(e.getMessage() + " (named by " + r.name() + ")");
        continue;
      }
      if (!certs.contains(cas.old()) && (cas.neu() == null || !certs.contains(cas.neu()))) {
        continue;
      }
      if (!p.startsWith(certDir)) {
        problems.add(p + ": trusted by " + r.name() + " but outside the PKI folder; kcert rewrites"
            + " trust files only inside it (point the flag at " + caFile() + ")");
        continue;
      }
      trustFiles.add(p);
    }
    for (Path p : trustFiles) {
      change(trust, "trust file " + p.getFileName(), p, pem(bundle), AtomicFiles.PUBLIC);
    }

    // kubeconfigs: CA data, and client certificates re-signed when their signer changes
    for (CatalogueEntry e : kubeconfigs()) {
      Path file = node.layout().kubeconfigFile(e);
      if (!ops.exists(file)) {
        continue;
      }
      Kubeconfig kc = Kubeconfig.parse(ops.read(file), file);
      KubeconfigCredentials creds = kc.credentials();
      CredentialRef caRef = creds.certificateAuthority();
      if (caRef != null && !(caRef.file() != null && norm(caRef.file()).equals(norm(caFile())))) {
        List<X509Certificate> held = Certificates.parseBundle(caRef.load(), caRef.describe());
        if (held.contains(cas.old()) || (cas.neu() != null && held.contains(cas.neu()))) {
          kc.replaceClusterCa(pem(bundle));
        }
      }
      CredentialRef certRef = creds.clientCertificate();
      byte[] extraFile = null;
      Path extraTarget = null;
      if (certRef != null && (certRef.isEmbedded() || ops.exists(certRef.file()))) {
        byte[] certBytes = certRef.load();
        X509Certificate c = Certificates.parseBundle(certBytes, certRef.describe()).get(0);
        X509Certificate now = c;
        String signedBy = cas.signerOf(c);
        boolean wrong = !signedBy.equals(target.newSigns() ? "new" : "old") && !signedBy.equals("other");
        if (certRef.isEmbedded()) {
          if (wrong) {
            now = resign(c, certRef.describe(), signerCert, key.get());
          }
          List<X509Certificate> held = Certificates.parseBundle(certBytes, certRef.describe());
          List<X509Certificate> chain =
              CrossSign.chain(held, now, cross, carry && cas.signerOf(now).equals("new"));
          if (!chain.equals(held)) {
            kc.replaceClientCertificate(pem(chain));
          }
        } else if (wrong) {
          Path real = realPath(certRef.file());
          if (real.startsWith(norm(node.layout().kubeletDir())) || real.startsWith(certDir)) {
            now = resign(c, certRef.describe(), signerCert, key.get());
            extraTarget = real;
            extraFile = replaceFirstCertificate(certBytes, now, real);
          }
        }
        after.put(e.name(), now);
      }
      byte[] rendered = kc.render();
      List<FileChange> files = new ArrayList<>();
      if (extraTarget != null) {
        files.add(new FileChange(extraTarget, extraFile, AtomicFiles.PRIVATE, node.backupName(extraTarget)));
      }
      if (!Arrays.equals(rendered, ops.read(file))) {
        files.add(new FileChange(file, rendered, AtomicFiles.PRIVATE, node.backupName(file)));
      }
      if (!files.isEmpty()) {
        clients.add(readBack(e.name(), files));
      }
    }

    // leaves: client certificates before server certificates
    for (CatalogueEntry e : leaves()) {
      Path crt = node.layout().certFile(e);
      if (!ops.exists(crt)) {
        continue;
      }
      List<X509Certificate> held = Certificates.parseBundle(read(crt), crt.toString());
      X509Certificate c = held.get(0);
      X509Certificate now = c;
      String signedBy = cas.signerOf(c);
      if (!signedBy.equals("other") && !signedBy.equals(target.newSigns() ? "new" : "old")) {
        now = resign(c, crt.toString(), signerCert, key.get());
      }
      List<X509Certificate> chain =
          CrossSign.chain(held, now, cross, carry && cas.signerOf(now).equals("new"));
      if (!chain.equals(held)) {
        boolean server = e.extKeyUsages().contains(ExtendedKeyUsage.SERVER_AUTH);
        change(server ? servers : clients, e.name(), crt, pem(chain), AtomicFiles.PUBLIC);
      }
      after.put(e.name(), now);
    }

    // the controller manager's signer file: never a bundle
    if (ca.name().equals(Catalogue.CA)) {
      for (Ref r : refs) {
        if (!r.kind().equals("signer-file")) {
          continue;
        }
        Path p = norm(r.file());
        boolean onCopy = p.equals(norm(signerCopy()));
        if (target.usesSignerCopy()) {
          if (!onCopy && (p.equals(norm(caFile())) || trustFiles.contains(p))) {
            state = state.withSignerFlag(r.value());
            change(signer, "signer copy", signerCopy(), pem(List.of(signerCert)), AtomicFiles.PUBLIC);
            byte[] manifest = StaticPodManifest.read(r.source()).withFlag(SIGNER_FLAG, signerCopy().toAbsolutePath().toString());
            change(signer, "manifest " + r.source().getFileName(), r.source(), manifest, AtomicFiles.PRIVATE);
          } else if (onCopy) {
            change(signer, "signer copy", signerCopy(), pem(List.of(signerCert)), AtomicFiles.PUBLIC);
          }
        } else if (onCopy && !st.signerFlag().isEmpty()) {
          byte[] manifest = StaticPodManifest.read(r.source()).withFlag(SIGNER_FLAG, st.signerFlag());
          change(signer, "manifest " + r.source().getFileName(), r.source(), manifest, AtomicFiles.PRIVATE);
          deleteAfter.add(signerCopy());
          state = state.withSignerFlag("");
        }
      }
    }
    if (target == Phase.FINISHED) {
      deleteAfter.add(oldKey());
      deleteAfter.add(crossCrt());
    }

    // the CA itself: its key, then its file; the first certificate of the file signs
    List<FileChange> caFiles = new ArrayList<>();
    if (ops.exists(caKeyFile())) {
      Path keySource = target.newSigns() ? newKey() : oldKey();
      byte[] keyPem = ops.exists(keySource) ? ops.read(keySource) : null;
      if (keyPem != null && !Arrays.equals(keyPem, ops.read(caKeyFile()))) {
        caFiles.add(new FileChange(caKeyFile(), keyPem, AtomicFiles.PRIVATE, node.backupName(caKeyFile())));
      }
    }
    if (!ops.exists(caFile()) || !Arrays.equals(bundlePem, ops.read(caFile()))) {
      caFiles.add(new FileChange(caFile(), bundlePem, AtomicFiles.PUBLIC, node.backupName(caFile())));
    }
    if (!caFiles.isEmpty()) {
      caSets.add(readBack(ca.name(), caFiles));
    }

    List<ChangeSet> sets = new ArrayList<>(trust);
    sets.addAll(clients);
    sets.addAll(servers);
    if (target.usesSignerCopy()) {
      // the signer moves to its copy before the CA file becomes a bundle
      sets.addAll(signer);
      sets.addAll(caSets);
    } else {
      // and comes back only once the CA file holds one certificate again
      sets.addAll(caSets);
      sets.addAll(signer);
    }
    return new Changes(sets, after, state, deleteAfter, problems);
  }

  private void change(List<ChangeSet> into, String name, Path target, byte[] content,
      Set<PosixFilePermission> perms) {
    if (ops.exists(target) && Arrays.equals(content, ops.read(target))) {
      return;
    }
    into.add(readBack(name, List.of(new FileChange(target, content, perms, node.backupName(target)))));
  }

  private ChangeSet readBack(String name, List<FileChange> files) {
    return new ChangeSet(name, files, () -> {
      for (FileChange f : files) {
        if (!Arrays.equals(ops.read(f.target()), f.content())) {
          throw KcertException.about(f.target(), "reads back different from what was written");
        }
      }
    });
  }

  private X509Certificate resign(X509Certificate c, String source, X509Certificate signer, PrivateKey key) {
    return Renewer.renew(c, source, signer, key, c.getPublicKey(), clock, Renewer.DEFAULT_VALIDITY);
  }

  private byte[] replaceFirstCertificate(byte[] pem, X509Certificate cert, Path file) {
    StringBuilder sb = new StringBuilder();
    boolean replaced = false;
    for (PemBlock b : Pem.parse(pem, file.toString())) {
      if (!replaced && Certificates.PEM_TYPE.equals(b.type())) {
        sb.append(Certificates.toPem(cert));
        replaced = true;
      } else {
        sb.append(Pem.encode(b.type(), b.der()));
      }
    }
    return sb.toString().getBytes(StandardCharsets.US_ASCII);
  }

  static Path realPath(Path p) {
    try {
      return p.toRealPath();
    } catch (IOException e) {
      return norm(p);
    }
  }

  static Path norm(Path p) {
    return p.toAbsolutePath().normalize();
  }

  /** Certificates as one PEM text, in order. */
  static byte[] pem(List<X509Certificate> certs) {
    StringBuilder sb = new StringBuilder();
    certs.forEach(c -> sb.append(Certificates.toPem(c)));
    return sb.toString().getBytes(StandardCharsets.US_ASCII);
  }

  // ---------------------------------------------------------------- proof

  private Proof simulate(Phase entered, Phase next, Changes changes, Cas cas) {
    List<X509Certificate> inEntered = cas.bundle(entered);
    List<X509Certificate> inNext = cas.bundle(next);
    List<Proof.Row> rows = new ArrayList<>();
    changes.after().forEach((name, cert) -> rows.add(new Proof.Row(
        name, cas.signerOf(cert), chains(cert, inEntered), chains(cert, inNext))));
    return new Proof(entered, next, rows);
  }

  /** The dry-run matrix of a phase: the simulation, nothing written. */
  public Proof proof(Phase target) {
    RotationState st = state().orElseThrow(() -> KcertException.about(stateFile(),
        "missing: no rotation of " + ca.name() + " was prepared"));
    Cas cas = cas();
    Phase next = target == Phase.NONE ? Phase.NONE : target.next().orElse(target);
    return simulate(target, next, changes(target, st, cas), cas);
  }

  private static boolean chains(X509Certificate leaf, List<X509Certificate> bundle) {
    return bundle.stream().anyMatch(c -> Certificates.isSignedBy(leaf, c));
  }

  /**
   * What on disk contradicts {@code phase}: every trust place must hold the phase's bundle, every
   * certificate kcert manages must be signed by the phase's signer, the CA key must be the
   * signer's, and the controller manager's signer file must hold one certificate.
   */
  List<String> check(Phase phase, RotationState st, Cas cas) {
    List<String> problems = checkFiles(phase, st, cas);
    if (phase == Phase.FINISHED && ops.exists(oldKey())) {
      problems.add(oldKey() + ": the copy of the old CA key is still there");
    }
    return problems;
  }

  /** {@link #check} without the rotation folder's own files. */
  List<String> checkFiles(Phase phase, RotationState st, Cas cas) {
    List<String> problems = new ArrayList<>();
    List<X509Certificate> bundle = cas.bundle(phase);
    X509Certificate signer = cas.signer(phase);
    for (Place p : inventory()) {
      switch (p.kind()) {
        case "ca-file" -> {
          if (p.trust() == Place.Trust.MISSING || p.trust() == Place.Trust.INVALID) {
            problems.add(p.file() + ": " + p.trust().text() + " " + p.detail());
          } else if (!Certificates.parseBundle(ops.read(p.file()), p.file().toString()).equals(bundle)) {
            problems.add(p.file() + ": holds " + p.detail() + ", not " + order(bundle, cas));
          }
        }
        case "trust-file", "manifest-flag", "kubelet-config", "kubeconfig-ca" -> {
          if (p.trust() == Place.Trust.INVALID) {
            problems.add(p.file() + ": " + p.detail());
          } else if (p.trust() != Place.Trust.MISSING && p.trust() != Place.Trust.OTHER
              && !p.detail().equals(order(bundle, cas))) {
            problems.add(p.file() + " (" + p.name() + "): holds " + p.detail() + ", not " + order(bundle, cas));
          }
        }
        case "leaf", "client-cert" -> {
          if (p.trust() == Place.Trust.INVALID) {
            problems.add(p.file() + ": " + p.detail());
          } else if (p.trust() != Place.Trust.MISSING && p.trust() != Place.Trust.OTHER
              && !p.detail().equals("signed by " + cas.which(signer))) {
            problems.add(p.file() + " (" + p.name() + "): " + p.detail() + ", not by " + cas.which(signer));
          }
        }
        case "signer-file" -> {
          if (p.trust() == Place.Trust.MISSING || p.trust() == Place.Trust.INVALID) {
            problems.add(p.file() + " (" + p.name() + "): " + p.trust().text());
          } else {
            List<X509Certificate> certs = Certificates.parseBundle(ops.read(p.file()), p.file().toString());
            if (certs.size() != 1) {
              problems.add(p.file() + " (" + p.name() + "): holds " + certs.size()
                  + " certificates; the controller manager needs exactly one");
            } else if (!certs.get(0).equals(signer)) {
              problems.add(p.file() + " (" + p.name() + "): is the " + cas.which(certs.get(0))
                  + " CA, not the " + cas.which(signer) + " one");
            }
          }
          boolean onCopy = norm(p.file()).equals(norm(signerCopy()));
          if (onCopy && !phase.usesSignerCopy()) {
            problems.add(p.name() + " still points at the signer copy " + signerCopy());
          } else if (!onCopy && phase.usesSignerCopy() && !st.signerFlag().isEmpty()) {
            problems.add(p.name() + " points at " + p.file() + ", not at the signer copy");
          }
        }
        default -> { }
      }
    }
    if (ops.exists(caKeyFile())) {
      PrivateKey key = PrivateKeys.parse(ops.read(caKeyFile()), caKeyFile().toString());
      if (!KeyPairs.matches(key, signer.getPublicKey())) {
        problems.add(caKeyFile() + ": is not the key of the " + cas.which(signer) + " CA");
      }
    }
    return problems;
  }

  /** Where the rotation stands and what on disk contradicts it. */
  public record Status(String caName, Phase phase, List<String> problems, List<Place> places) {}

  public Status status() {
    Optional<RotationState> st = state();
    Phase phase = st.map(RotationState::phase).orElse(Phase.NONE);
    Cas cas = cas();
    List<String> problems = check(phase, st.orElse(new RotationState(ca.name(), Phase.NONE, "", List.of())), cas);
    return new Status(ca.name(), phase, problems, inventory());
  }
}
