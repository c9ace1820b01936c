package dev.kcert.core.rotation;

import dev.kcert.core.keys.KeyAlgorithm;
import dev.kcert.core.keys.KeyPairs;
import dev.kcert.core.model.KcertException;
import dev.kcert.core.node.StaticPodManifest;
import dev.kcert.core.pem.Pem;
import dev.kcert.core.pem.PemBlock;
import dev.kcert.core.pem.PrivateKeys;
import dev.kcert.core.pem.PublicKeys;
import dev.kcert.core.pki.AtomicFiles;
import dev.kcert.core.renewal.ChangeSet;
import dev.kcert.core.renewal.FileChange;
import dev.kcert.core.renewal.FileOps;
import dev.kcert.core.renewal.Installer;
import dev.kcert.core.renewal.RunLock;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The rotation of the service-account key pair ({@code sa.key}/{@code sa.pub}) on one node, in the
 * phases of a CA rotation ({@link Phase}), with its own rotation folder {@code
 * <cert-dir>/kcert-rotation/sa/} ({@code state}, {@code old.key}, {@code old.pub}, {@code
 * new.key}, {@code new.pub}, {@code reissued-at}).
 *
 * <p>The API server verifies tokens with every public key in the files its {@code
 * --service-account-key-file} flags name, and a file may hold several {@code PUBLIC KEY} blocks.
 * kcert puts both keys into the file the flag already names ({@code sa.pub}), the signing key
 * first, as it orders the CA bundles: no manifest changes at all (so no manifest edit can be left
 * half-done and no kubelet restarts a pod behind kcert's back), every phase is one atomic rename
 * per file through the renewal {@link Installer}, and kubeadm, which reads the first key of {@code
 * sa.pub}, still reads the public half of {@code sa.key}. The phases:
 *
 * <ul>
 *   <li>trust-both: {@code sa.pub} holds old,new; {@code sa.key} is still the old key;
 *   <li>reissue: {@code sa.key} (the apiserver's {@code --service-account-signing-key-file} and the
 *       controller manager's {@code --service-account-private-key-file}) becomes the new key and
 *       {@code sa.pub} new,old: new tokens are signed by the new key, old ones still verify;
 *   <li>trust-new: {@code sa.pub} holds the new key alone, refused (unless forced) until {@link
 *       #TOKEN_REFRESH_WAIT} has passed since reissue;
 *   <li>finish: the copy of the old key in the rotation folder is removed;
 *   <li>abort: {@code sa.key} and {@code sa.pub} are the old pair again.
 * </ul>
 *
 * <p>What the node's files can influence: a manifest flag names a file that is read; it is
 * rewritten only when it holds one of the rotation's keys and lies inside the PKI folder; keys are
 * told apart by their values, never by file names.
 */
public final class SaRotation {
  /** The name {@code --ca} takes for this rotation. */
  public static final String NAME = "sa";

  static final String KEY_FILE_FLAG = "--service-account-key-file";
  static final String SIGNING_FLAG = "--service-account-signing-key-file";
  static final String PRIVATE_FLAG = "--service-account-private-key-file";

  /**
   * How long trust-new waits after reissue: the kubelet replaces a projected token once it is older
   * than 80% of its lifetime or than 24 hours, whichever comes first, and client-go re-reads the
   * token file; after 24 hours every projected token in a running pod was signed by the new key.
   */
  public static final Duration TOKEN_REFRESH_WAIT = Duration.ofHours(24);

  private static final Set<PosixFilePermission> PRIVATE_DIR =
      PosixFilePermissions.fromString("rwx------");

  private final NodeFiles node;
  private final FileOps ops;
  private final Clock clock;

  public SaRotation(NodeFiles node, FileOps ops, Clock clock) {
    this.node = node;
    this.ops = ops;
    this.clock = clock;
  }

  public static SaRotation of(NodeFiles node, Clock clock) {
    return new SaRotation(node, FileOps.system(), clock);
  }

  /** The rotation folder. */
  public Path dir() {
    return node.rotationRoot().resolve(NAME);
  }

  Path stateFile() {
    return dir().resolve(RotationState.FILE_NAME);
  }

  Path oldKey() {
    return dir().resolve("old.key");
  }

  Path oldPub() {
    return dir().resolve("old.pub");
  }

  public Path newKey() {
    return dir().resolve("new.key");
  }

  public Path newPub() {
    return dir().resolve("new.pub");
  }

  Path reissuedAtFile() {
    return dir().resolve("reissued-at");
  }

  Path keyFile() {
    return node.layout().serviceAccountKey();
  }

  Path pubFile() {
    return node.layout().serviceAccountPub();
  }

  public Optional<RotationState> state() {
    if (!ops.exists(stateFile())) {
      return Optional.empty();
    }
    RotationState st = RotationState.parse(ops.read(stateFile()), stateFile());
    if (!st.caName().equals(NAME)) {
      throw KcertException.about(stateFile(), "belongs to CA " + st.caName() + ", not " + NAME);
    }
    return Optional.of(st);
  }

  public Phase phase() {
    return state().map(RotationState::phase).orElse(Phase.NONE);
  }

  /** When reissue switched signing to the new key on this node; empty before. */
  public Optional<Instant> reissuedAt() {
    if (!ops.exists(reissuedAtFile())) {
      return Optional.empty();
    }
    String text = new String(ops.read(reissuedAtFile()), StandardCharsets.US_ASCII).trim();
    try {
      return Optional.of(Instant.parse(text));
    } catch (DateTimeParseException e) {
      throw KcertException.about(reissuedAtFile(), "not a time: " + text, e);
    }
  }

  // ---------------------------------------------------------------- keys

  /** The old and new public key; {@code neu} is {@code null} before prepare. */
  public record Keys(PublicKey old, PublicKey neu) {
    /** The keys the API server trusts in {@code p}, the signing key first. */
    public List<PublicKey> trusted(Phase p) {
      if (neu == null) {
        return List.of(old);
      }
      return switch (p) {
        case NONE, PREPARED -> List.of(old);
        case TRUST_BOTH -> List.of(old, neu);
        case REISSUED -> List.of(neu, old);
        case TRUST_NEW, FINISHED -> List.of(neu);
      };
    }

    public PublicKey signer(Phase p) {
      return p.newSigns() && neu != null ? neu : old;
    }

    String which(PublicKey k) {
      if (k.equals(old)) {
        return "old";
      }
      return k.equals(neu) ? "new" : "other";
    }

    String whichPrivate(PrivateKey k) {
      if (KeyPairs.matches(k, old)) {
        return "old";
      }
      return neu != null && KeyPairs.matches(k, neu) ? "new" : "other";
    }
  }

  /** The rotation's keys: from the rotation folder once prepared, else the node's sa.pub. */
  public Keys keys() {
    PublicKey old = ops.exists(oldPub()) ? firstKey(oldPub()) : firstKey(pubFile());
    PublicKey neu = ops.exists(newPub()) ? firstKey(newPub()) : null;
    return new Keys(old, neu);
  }

  private PublicKey firstKey(Path file) {
    return publicKeys(read(file), file).get(0);
  }

  /** Every {@code PUBLIC KEY} block of a file, as the API server reads its key files. */
  public static List<PublicKey> publicKeys(byte[] pem, Path file) {
    List<PublicKey> keys = new ArrayList<>();
    for (PemBlock b : Pem.parse(pem, file.toString())) {
      if (PublicKeys.PEM_TYPE.equals(b.type())) {
        keys.add(PublicKeys.parse(Pem.encode(b.type(), b.der()).getBytes(StandardCharsets.US_ASCII),
            file.toString()));
      }
    }
    if (keys.isEmpty()) {
      throw KcertException.about(file, "does not contain a PEM encoded public key");
    }
    return keys;
  }

  private byte[] read(Path file) {
    if (!ops.exists(file)) {
      throw KcertException.about(file, "missing");
    }
    return ops.read(file);
  }

  // ---------------------------------------------------------------- places

  /** A file a manifest flag names. */
  record Ref(String component, String flag, Path file, boolean trust) {
    String name() {
      return component + " " + flag;
    }
  }

  List<Ref> refs() {
    List<Ref> refs = new ArrayList<>();
    for (Path manifest : node.manifests()) {
      String component = manifest.getFileName().toString().replaceAll("\\.ya?ml$", "");
      for (StaticPodManifest.Flag f : StaticPodManifest.read(manifest).flags()) {
        if (f.name().equals(KEY_FILE_FLAG)) {
          refs.add(new Ref(component, f.name(), Path.of(f.value()), true));
        } else if (f.name().equals(SIGNING_FLAG) || f.name().equals(PRIVATE_FLAG)) {
          refs.add(new Ref(component, f.name(), Path.of(f.value()), false));
        }
      }
    }
    return refs;
  }

  /**
   * The sa places of this node: {@code sa.key}, {@code sa.pub}, and every file the manifests' {@code
   * --service-account-key-file}, {@code --service-account-signing-key-file} and {@code
   * --service-account-private-key-file} flags name. Unreadable places are rows.
   */
  public List<Place> inventory() {
    Keys keys = keys();
    List<Place> places = new ArrayList<>();
    places.add(privatePlace("sa-key", "sa.key", keyFile(), keys));
    places.add(publicPlace("sa-pub", "sa.pub", pubFile(), keys));
    List<Ref> refs;
    try {
      refs = refs();
    } catch (KcertException e) {
      refs = List.of();
      places.add(new Place("manifest-flag", "static pod manifests", node.manifestDir(),
          Place.Trust.INVALID, e.getMessage()));
    }
    for (Ref r : refs) {
      places.add(r.trust() ? publicPlace("manifest-flag", r.name(), r.file(), keys)
          : privatePlace("signing-key-flag", r.name(), r.file(), keys));
    }
    return places;
  }

  private Place publicPlace(String kind, String name, Path file, Keys keys) {
    if (!ops.exists(file)) {
      return new Place(kind, name, file, Place.Trust.MISSING, "");
    }
    try {
      List<PublicKey> held = publicKeys(ops.read(file), file);
      boolean old = held.contains(keys.old());
      boolean neu = keys.neu() != null && held.contains(keys.neu());
      Place.Trust t = old && neu ? Place.Trust.BOTH : old ? Place.Trust.OLD_ONLY
          : neu ? Place.Trust.NEW_ONLY : Place.Trust.OTHER;
      return new Place(kind, name, file, t, order(held, keys));
    } catch (KcertException e) {
      return new Place(kind, name, file, Place.Trust.INVALID, e.getMessage());
    }
  }

  private Place privatePlace(String kind, String name, Path file, Keys keys) {
    if (!ops.exists(file)) {
      return new Place(kind, name, file, Place.Trust.MISSING, "");
    }
    try {
      String which = keys.whichPrivate(PrivateKeys.parse(ops.read(file), file.toString()));
      Place.Trust t = switch (which) {
        case "old" -> Place.Trust.OLD_ONLY;
        case "new" -> Place.Trust.NEW_ONLY;
        default -> Place.Trust.OTHER;
      };
      return new Place(kind, name, file, t, "signs with " + which);
    } catch (KcertException e) {
      return new Place(kind, name, file, Place.Trust.INVALID, e.getMessage());
    }
  }

  private static String order(List<PublicKey> keys, Keys k) {
    return String.join(",", keys.stream().map(k::which).toList());
  }

  // ---------------------------------------------------------------- prepare

  /**
   * Makes the new key pair into the rotation folder, with a copy of the old pair for abort; the
   * algorithm is the old key's unless {@code algorithm} is given.
   */
  public Outcome prepare(KeyAlgorithm algorithm, boolean dryRun) {
    Optional<RotationState> st = state();
    if (st.isPresent() && st.get().phase() == Phase.PREPARED) {
      return outcome(Phase.PREPARED, true, dryRun, null, null, List.of(),
          List.of("the new key pair is in " + newKey() + " already; 'abort' to choose another"));
    }
    if (st.isPresent() && st.get().phase() != Phase.FINISHED) {
      throw KcertException.about(stateFile(), "a rotation of sa is at phase "
          + st.get().phase().command() + "; continue or abort it first");
    }
    byte[] oldKeyPem = read(keyFile());
    PrivateKey oldPrivate = PrivateKeys.parse(oldKeyPem, keyFile().toString());
    List<PublicKey> pubs = publicKeys(read(pubFile()), pubFile());
    if (pubs.size() != 1) {
      throw KcertException.about(pubFile(), "holds " + pubs.size()
          + " public keys; a rotation starts from a sa.pub with one");
    }
    if (!KeyPairs.matches(oldPrivate, pubs.get(0))) {
      throw KcertException.about(keyFile(), "does not match " + pubFile().getFileName());
    }
    KeyAlgorithm alg = algorithm != null ? algorithm : KeyAlgorithm.of(pubs.get(0)).orElseThrow(
        () -> KcertException.about(pubFile(), "holds a key of a kind kcert cannot make ("
            + KeyAlgorithm.describe(pubs.get(0)) + "); choose one with --key-algorithm"));
    if (dryRun) {
      return outcome(Phase.PREPARED, false, true, null, null, List.of(),
          List.of("would write a new " + alg.displayName() + " key pair to " + dir()));
    }
    KeyPair pair = alg.generate();
    List<Path> written = List.of(oldKey(), oldPub(), newKey(), newPub(), stateFile());
    try (RunLock lock = RunLock.acquire(node.backupParent())) {
      ops.createDirectories(node.rotationRoot(), PRIVATE_DIR);
      ops.createDirectories(dir(), PRIVATE_DIR);
      put(oldKey(), oldKeyPem, AtomicFiles.PRIVATE);
      put(oldPub(), pem(List.of(pubs.get(0))), AtomicFiles.PUBLIC);
      put(newKey(), PrivateKeys.toPem(pair).getBytes(StandardCharsets.US_ASCII), AtomicFiles.PRIVATE);
      put(newPub(), pem(List.of(pair.getPublic())), AtomicFiles.PUBLIC);
      ops.delete(reissuedAtFile());
      writeState(new RotationState(NAME, Phase.PREPARED, "", List.of()));
    }
    return outcome(Phase.PREPARED, false, false, null, null, written, List.of(
        "the other control-plane nodes take the same pair: kcert ca prepare --ca sa --import-key "
            + newKey().getFileName() + " --import-pub " + newPub().getFileName(),
        "next: kcert ca trust-both --ca sa (on every node)"));
  }

  /**
   * Imports the key pair {@code prepare} made on another control-plane node (its {@code new.key}
   * and {@code new.pub}), so that every API server trusts and signs with the same keys.
   */
  public Outcome importPair(Path key, Path pub, boolean dryRun) {
    Optional<RotationState> st = state();
    if (st.isPresent() && st.get().phase() != Phase.FINISHED) {
      throw KcertException.about(stateFile(), "a rotation of sa is at phase "
          + st.get().phase().command() + "; continue or abort it first");
    }
    byte[] newKeyPem = Pem.readFile(key);
    PrivateKey newPrivate = PrivateKeys.parse(newKeyPem, key.toString());
    byte[] oldKeyPem = read(keyFile());
    List<PublicKey> pubs = publicKeys(read(pubFile()), pubFile());
    if (pubs.size() != 1 || !KeyPairs.matches(PrivateKeys.parse(oldKeyPem, keyFile().toString()), pubs.get(0))) {
      throw KcertException.about(pubFile(), "must hold exactly the public key of sa.key to start a rotation");
    }
    if (KeyPairs.matches(newPrivate, pubs.get(0))) {
      throw KcertException.about(key, "is the current service-account key; a rotation needs a new key");
    }
    List<PublicKey> given = publicKeys(Pem.readFile(pub), pub);
    if (given.size() != 1 || !KeyPairs.matches(newPrivate, given.get(0))) {
      throw KcertException.about(pub, "is not the one public key of " + key.getFileName());
    }
    PublicKey newPublic = given.get(0);
    if (dryRun) {
      return outcome(Phase.PREPARED, false, true, null, null, List.of(),
          List.of("would import the key pair of " + key + " into " + dir()));
    }
    try (RunLock lock = RunLock.acquire(node.backupParent())) {
      ops.createDirectories(node.rotationRoot(), PRIVATE_DIR);
      ops.createDirectories(dir(), PRIVATE_DIR);
      put(oldKey(), oldKeyPem, AtomicFiles.PRIVATE);
      put(oldPub(), pem(List.of(pubs.get(0))), AtomicFiles.PUBLIC);
      put(newKey(), newKeyPem, AtomicFiles.PRIVATE);
      put(newPub(), pem(List.of(newPublic)), AtomicFiles.PUBLIC);
      ops.delete(reissuedAtFile());
      writeState(new RotationState(NAME, Phase.PREPARED, "", List.of()));
    }
    return outcome(Phase.PREPARED, false, false, null, null,
        List.of(oldKey(), oldPub(), newKey(), newPub(), stateFile()),
        List.of("next: kcert ca trust-both --ca sa (on every node)"));
  }

  // ---------------------------------------------------------------- phases

  /**
   * Enters {@code target} (trust-both to finish). Refuses unless the rotation is at the phase
   * before and that phase holds on disk; trust-new also refuses, unless {@code force}, while
   * {@link #TOKEN_REFRESH_WAIT} has not passed since reissue on this node.
   */
  public Outcome advance(Phase target, boolean dryRun, boolean force) {
    if (target.ordinal() <= Phase.PREPARED.ordinal()) {
      throw new IllegalArgumentException("advance enters trust-both to finish");
    }
    try (RunLock lock = dryRun ? null : RunLock.acquire(node.backupParent())) {
      if (!dryRun) {
        new Installer(ops).recover(node.layout());
      }
      RotationState st = state().orElseThrow(() -> KcertException.about(stateFile(),
          "missing: no rotation of sa was prepared; run kcert ca prepare --ca sa first"));
      Keys keys = keys();
      if (st.phase() == target) {
        if (target == Phase.FINISHED && !dryRun) {
          ops.delete(oldKey());
        }
        List<String> problems = check(target, keys);
        if (!problems.isEmpty()) {
          throw new KcertException("sa: phase " + target.command()
              + " is recorded but does not hold on disk: " + summary(problems));
        }
        return outcome(target, true, dryRun, null, null, List.of(), List.of());
      }
      Phase previous = target.previous().orElseThrow();
      if (st.phase() != previous) {
        throw new KcertException("sa: " + target.command() + " follows " + previous.command()
            + ", but this rotation is at " + st.phase().command());
      }
      if (target == Phase.TRUST_NEW && !force) {
        Instant at = reissuedAt().orElseThrow(() -> KcertException.about(reissuedAtFile(),
            "missing: the time of reissue on this node is not known; --force goes on"));
        Instant ready = at.plus(TOKEN_REFRESH_WAIT);
        if (clock.instant().isBefore(ready)) {
          throw new KcertException("sa: trust-new refused: reissue switched signing at " + at
              + "; projected tokens signed by the old key may be in use until " + ready
              + " (the kubelet refreshes them within 24h); legacy token Secrets signed by the old key"
              + " must be regenerated first (kcert ca status --ca sa lists them); --force goes on");
        }
      }
      return enter(target, st, keys, dryRun);
    }
  }

  /** Returns this node to the old key pair alone from any phase before finish. */
  public Outcome abort(boolean dryRun) {
    try (RunLock lock = dryRun ? null : RunLock.acquire(node.backupParent())) {
      if (!dryRun) {
        new Installer(ops).recover(node.layout());
      }
      RotationState st = state().orElseThrow(() -> KcertException.about(stateFile(),
          "missing: no rotation of sa to abort"));
      if (st.phase() == Phase.FINISHED) {
        throw KcertException.about(stateFile(),
            "the rotation of sa has finished; the old key is gone (start a new rotation to change keys again)");
      }
      Keys keys = ops.exists(newPub()) ? keys() : new Keys(keys().old(), null);
      return enter(Phase.NONE, st, keys, dryRun);
    }
  }

  private Outcome enter(Phase target, RotationState st, Keys keys, boolean dryRun) {
    List<String> problems = new ArrayList<>();
    List<ChangeSet> sets = changes(target, keys, problems);
    Phase next = target == Phase.NONE ? Phase.NONE : target.next().orElse(target);
    Proof proof = simulate(target, next, keys);
    boolean atTarget = checkFiles(target, keys).isEmpty();
    boolean atPrevious = checkFiles(st.phase(), keys).isEmpty();
    if (atTarget && !atPrevious) {
      if (!dryRun) {
        finishState(target, st, null);
      }
      return outcome(target, true, dryRun, proof, null, List.of(), notes(target));
    }
    if (target != Phase.NONE) {
      List<String> before = check(st.phase(), keys);
      if (!before.isEmpty()) {
        throw new KcertException("sa: phase " + st.phase().command() + " is not proven on disk, so "
            + target.command() + " will not start: " + summary(before));
      }
    }
    if (!problems.isEmpty()) {
      throw new KcertException("sa: " + summary(problems));
    }
    if (!proof.ok()) {
      if (dryRun) {
        return outcome(target, false, true, proof, null, List.of(), List.of());
      }
      throw new KcertException("sa: " + (target == Phase.NONE ? "abort" : target.command())
          + " refused: the signing key would not be trusted by the API server");
    }
    if (dryRun) {
      return outcome(target, false, true, proof, null, List.of(), notes(target));
    }
    List<ChangeSet> all = new ArrayList<>(sets);
    all.add(new ChangeSet("proof of " + (target == Phase.NONE ? "abort" : target.command()), List.of(), () -> {
      List<String> left = checkFiles(target, keys);
      if (!left.isEmpty()) {
        throw new KcertException(summary(left));
      }
    }));
    List<Path> written = sets.stream().flatMap(c -> c.files().stream()).map(FileChange::target).toList();
    Path backupDir = null;
    if (written.isEmpty()) {
      all.get(all.size() - 1).verification().run();
    } else {
      backupDir = new Installer(ops).install(node.layout(), clock.instant(), all).backupDir();
    }
    finishState(target, st, backupDir);
    return outcome(target, false, false, proof, backupDir, written, notes(target));
  }

  /** The files a phase writes: the trust files (public keys), then the signing key files. */
  private List<ChangeSet> changes(Phase target, Keys keys, List<String> problems) {
    List<ChangeSet> sets = new ArrayList<>();
    byte[] trustPem = pem(keys.trusted(target));
    Path signerSource = target.newSigns() ? newKey() : oldKey();
    byte[] signerPem = ops.exists(signerSource) ? ops.read(signerSource) : null;
    Set<Path> trustFiles = new LinkedHashSet<>();
    Set<Path> keyFiles = new LinkedHashSet<>();
    trustFiles.add(norm(pubFile()));
    keyFiles.add(norm(keyFile()));
    Path certDir = norm(node.layout().certDir());
    for (Ref r : refs()) {
      Path p = norm(r.file());
      if (!ops.exists(p)) {
        if (r.trust() || !p.equals(norm(keyFile()))) {
          problems.add(p + ": missing (named by " + r.name() + ")");
        }
        continue;
      }
      Place place = r.trust() ? publicPlace("", r.name(), p, keys) : privatePlace("", r.name(), p, keys);
      if (place.trust() == Place.Trust.INVALID) {
        problems.add(place.detail() + " (named by " + r.name() + ")");
        continue;
      }
      if (place.trust() == Place.Trust.OTHER) {
        continue;
      }
      if (!p.startsWith(certDir)) {
        problems.add(p + ": named by " + r.name() + " but outside the PKI folder; kcert rewrites"
            + " key files only inside it (point the flag at " + (r.trust() ? pubFile() : keyFile()) + ")");
        continue;
      }
      (r.trust() ? trustFiles : keyFiles).add(p);
    }
    for (Path p : trustFiles) {
      change(sets, "public keys " + p.getFileName(), p, trustPem, AtomicFiles.PUBLIC);
    }
    if (signerPem == null) {
      problems.add(signerSource + ": missing");
    } else {
      for (Path p : keyFiles) {
        if (!ops.exists(p) || !PrivateKeys.parse(ops.read(p), p.toString()).equals(
            PrivateKeys.parse(signerPem, signerSource.toString()))) {
          change(sets, "signing key " + p.getFileName(), p, signerPem, AtomicFiles.PRIVATE);
        }
      }
    }
    return sets;
  }

  private void change(List<ChangeSet> into, String name, Path target, byte[] content,
      Set<PosixFilePermission> perms) {
    if (ops.exists(target) && Arrays.equals(content, ops.read(target))) {
      return;
    }
    List<FileChange> files =
        List.of(new FileChange(target, content, perms, node.backupName(target)));
    into.add(new ChangeSet(name, files, () -> {
      if (!Arrays.equals(ops.read(target), content)) {
        throw KcertException.about(target, "reads back different from what was written");
      }
    }));
  }

  /** The simulation: the signing key of the phase must be trusted in it and in the next one. */
  private Proof simulate(Phase entered, Phase next, Keys keys) {
    PublicKey signer = keys.signer(entered);
    return new Proof(entered, next, List.of(new Proof.Row("sa.key (signs new tokens)",
        keys.which(signer), keys.trusted(entered).contains(signer), keys.trusted(next).contains(signer))));
  }

  /** What on disk contradicts {@code phase}. */
  List<String> check(Phase phase, Keys keys) {
    List<String> problems = checkFiles(phase, keys);
    if (phase == Phase.FINISHED && ops.exists(oldKey())) {
      problems.add(oldKey() + ": the copy of the old key is still there");
    }
    return problems;
  }

  /** {@link #check} without the rotation folder's own files. */
  private List<String> checkFiles(Phase phase, Keys keys) {
    List<String> problems = new ArrayList<>();
    String want = order(keys.trusted(phase), keys);
    String signer = keys.which(keys.signer(phase));
    for (Place p : inventory()) {
      boolean sameFile = p.kind().endsWith("-flag")
          && (norm(p.file()).equals(norm(pubFile())) || norm(p.file()).equals(norm(keyFile())));
      if (sameFile) {
        continue; // judged as sa.pub or sa.key
      }
      if (p.trust() == Place.Trust.INVALID) {
        problems.add(p.file() + ": " + p.detail());
        continue;
      }
      switch (p.kind()) {
        case "sa-pub" -> {
          if (p.trust() == Place.Trust.MISSING || !p.detail().equals(want)) {
            problems.add(p.file() + ": holds " + (p.detail().isEmpty() ? "nothing" : p.detail())
                + ", not " + want);
          }
        }
        case "sa-key" -> {
          if (p.trust() == Place.Trust.MISSING || !p.detail().equals("signs with " + signer)) {
            problems.add(p.file() + ": " + (p.detail().isEmpty() ? "missing" : p.detail())
                + ", not with " + signer);
          }
        }
        case "manifest-flag" -> {
          if (p.trust() != Place.Trust.MISSING && p.trust() != Place.Trust.OTHER && !p.detail().equals(want)) {
            problems.add(p.file() + " (" + p.name() + "): holds " + p.detail() + ", not " + want);
          }
        }
        case "signing-key-flag" -> {
          if (p.trust() != Place.Trust.MISSING && p.trust() != Place.Trust.OTHER
              && !p.detail().equals("signs with " + signer)) {
            problems.add(p.file() + " (" + p.name() + "): " + p.detail() + ", not with " + signer);
          }
        }
        default -> { }
      }
    }
    return problems;
  }

  /** Where the rotation stands and what on disk contradicts it. */
  public Rotation.Status status() {
    Phase phase = phase();
    return new Rotation.Status(NAME, phase, check(phase, keys()), inventory());
  }

  private void finishState(Phase target, RotationState st, Path backupDir) {
    if (target == Phase.NONE) {
      for (Path p : List.of(newKey(), newPub(), oldKey(), oldPub(), reissuedAtFile(), stateFile())) {
        ops.delete(p);
      }
      return;
    }
    if (target == Phase.REISSUED) {
      put(reissuedAtFile(), (clock.instant().toString() + "\n").getBytes(StandardCharsets.US_ASCII),
          AtomicFiles.PUBLIC);
    }
    RotationState next = st.withPhase(target);
    if (backupDir != null) {
      next = next.withBackup(target, backupDir);
    }
    writeState(next);
    if (target == Phase.FINISHED) {
      ops.delete(oldKey());
    }
  }

  private void writeState(RotationState st) {
    put(stateFile(), st.render(), AtomicFiles.PRIVATE);
  }

  private void put(Path file, byte[] content, Set<PosixFilePermission> perms) {
    Path tmp = ops.writeTemp(file, content, perms);
    try {
      ops.rename(tmp, file);
    } catch (RuntimeException e) {
      ops.delete(tmp);
      throw e;
    }
  }

  private List<String> notes(Phase target) {
    List<String> notes = new ArrayList<>();
    switch (target) {
      case NONE -> notes.add("sa.key and sa.pub are the old pair again; restart kube-apiserver and"
          + " kube-controller-manager; tokens the new key signed meanwhile are no longer accepted");
      case TRUST_BOTH -> notes.add("restart: kube-apiserver, so that it accepts tokens of both keys");
      case REISSUED -> notes.add("restart: kube-apiserver and kube-controller-manager, so that they"
          + " sign with the new key; trust-new waits " + TOKEN_REFRESH_WAIT.toHours()
          + "h for the kubelets to refresh projected tokens, and legacy token Secrets must be"
          + " regenerated");
      case TRUST_NEW -> notes.add("restart: kube-apiserver, so that it drops the old key");
      default -> { }
    }
    target.next().ifPresent(n -> {
      if (target != Phase.NONE) {
        notes.add("next, once this phase is done on every node: kcert ca " + n.command() + " --ca sa");
      }
    });
    return notes;
  }

  private Outcome outcome(Phase phase, boolean already, boolean dryRun, Proof proof, Path backup,
      List<Path> written, List<String> notes) {
    return new Outcome(NAME, phase, already, dryRun, proof, backup, written, null, notes);
  }

  private static String summary(List<String> problems) {
    return problems.get(0) + (problems.size() > 1 ? " (and " + (problems.size() - 1) + " more)" : "");
  }

  static byte[] pem(List<PublicKey> keys) {
    StringBuilder sb = new StringBuilder();
    keys.forEach(k -> sb.append(PublicKeys.toPem(k)));
    return sb.toString().getBytes(StandardCharsets.US_ASCII);
  }

  private static Path norm(Path p) {
    return p.toAbsolutePath().normalize();
  }
}
