package dev.kcert.core.rotation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kcert.core.model.Catalogue;
import dev.kcert.core.model.KcertException;
import dev.kcert.core.node.StaticPodManifest;
import dev.kcert.core.pem.Certificates;
import dev.kcert.core.renewal.FileOps;
import dev.kcert.core.testing.StaticPods;
import dev.kcert.core.testing.TestPki;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class RotationTest extends RotationNode {
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {Catalogue.CA, Catalogue.FRONT_PROXY_CA, Catalogue.ETCD_CA})
  void wholeRotationPhaseByPhaseKeepsEveryPlaceProven(String ca) throws IOException {
    Rotation r = rotation(ca);
    X509Certificate old = first(r.caFile());
    Map<String, String> before = snapshot();
    Outcome prepared = r.prepare(GENERATE, false);
    assertThat(prepared.phase()).isEqualTo(Phase.PREPARED);
    assertThat(perms(r.dir().resolve("new.key"))).isEqualTo("rw-------");
    assertThat(perms(r.dir().resolve("old.key"))).isEqualTo("rw-------");
    assertThat(snapshot()).as("prepare changes nothing the cluster reads").isEqualTo(before);
    X509Certificate neu = first(r.newCrt());
    assertThat(neu.getSubjectX500Principal()).isEqualTo(old.getSubjectX500Principal());

    for (Phase p : List.of(Phase.TRUST_BOTH, Phase.REISSUED, Phase.TRUST_NEW, Phase.FINISHED)) {
      Outcome dry = r.advance(p, true);
      assertThat(dry.dryRun()).isTrue();
      assertThat(dry.proof().ok()).as("%s proof %s", p, dry.proof().failures()).isTrue();
      assertThat(r.phase()).as("a dry run writes nothing").isEqualTo(p.previous().orElseThrow());
      Outcome done = r.advance(p, false);
      assertThat(done.alreadyDone()).isFalse();
      assertThat(r.phase()).isEqualTo(p);
      assertThat(r.status().problems()).as("status after %s", p).isEmpty();
      assertThat(Certificates.readBundle(r.caFile())).isEqualTo(p.bundle(old, neu));
      X509Certificate signer = p.newSigns() ? neu : old;
      for (Place place : r.inventory()) {
        if (place.kind().equals("leaf") || place.kind().equals("client-cert")) {
          assertThat(place.trust()).as("%s after %s", place.name(), p)
              .isEqualTo(p.newSigns() ? Place.Trust.NEW_ONLY : Place.Trust.OLD_ONLY);
        }
      }
      assertSignerIsOneCertificate(ca, signer);
      assertThat(r.advance(p, false).alreadyDone()).as("%s again", p).isTrue();
    }
    assertThat(Files.exists(r.signerCopy())).isFalse();
    assertThat(Files.exists(r.dir().resolve("old.key"))).isFalse();
    assertThat(manifestFlag("kube-controller-manager.yaml", "--cluster-signing-cert-file"))
        .isEqualTo(root.resolve("pki/ca.crt").toAbsolutePath().toString());
    if (ca.equals(Catalogue.CA)) {
      assertThat(r.advance(Phase.FINISHED, false).discoveryHash())
          .isEqualTo(Rotation.discoveryHash(neu)).startsWith("sha256:").hasSize(71);
    }
  }

  @Test
  void trustBothKeepsTheOldCaFirstSoItKeepsSigning() {
    Rotation r = rotation(Catalogue.CA);
    r.prepare(GENERATE, false);
    r.advance(Phase.TRUST_BOTH, false);
    List<X509Certificate> bundle = Certificates.readBundle(r.caFile());
    X509Certificate old = first(r.dir().resolve("old.crt"));
    assertThat(bundle.get(0)).isEqualTo(old);
    assertThat(manifestFlag("kube-controller-manager.yaml", "--cluster-signing-cert-file"))
        .isEqualTo(r.signerCopy().toAbsolutePath().toString());
    assertThat(Certificates.readBundle(r.signerCopy())).containsExactly(old);
    assertThat(manifestFlag("kube-controller-manager.yaml", "--root-ca-file"))
        .as("other flags keep pointing at the bundle")
        .isEqualTo(root.resolve("pki/ca.crt").toAbsolutePath().toString());
    r.advance(Phase.REISSUED, false);
    X509Certificate neu = first(r.newCrt());
    assertThat(Certificates.readBundle(r.caFile()).get(0)).isEqualTo(neu);
    assertThat(Certificates.readBundle(r.signerCopy())).containsExactly(neu);
  }

  @Test
  void phasesRefuseToSkipAhead() {
    Rotation r = rotation(Catalogue.CA);
    assertThatThrownBy(() -> r.advance(Phase.TRUST_BOTH, false))
        .hasMessage(r.dir().resolve("state")
            + ": missing: no rotation of ca was prepared; run kcert ca prepare first");
    r.prepare(GENERATE, false);
    assertThatThrownBy(() -> r.advance(Phase.REISSUED, false))
        .hasMessage("ca: reissue follows trust-both, but this rotation is at prepare");
    assertThat(r.prepare(GENERATE, false).alreadyDone()).isTrue();
  }

  @Test
  void aPhaseWaitsUntilThePreviousOneHoldsOnDisk() throws IOException {
    Rotation r = rotation(Catalogue.CA);
    r.prepare(GENERATE, false);
    r.advance(Phase.TRUST_BOTH, false);
    // someone puts the old CA alone back into the kubelet's bundle
    Files.copy(r.dir().resolve("old.crt"), root.resolve("pki/ca.crt"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    assertThatThrownBy(() -> r.advance(Phase.REISSUED, false))
        .hasMessageStartingWith("ca: phase trust-both is not proven on disk, so reissue will not start: "
            + root.resolve("pki/ca.crt") + ": holds old, not old,new");
  }

  @ParameterizedTest(name = "abort after {0}")
  @EnumSource(value = Phase.class, names = {"PREPARED", "TRUST_BOTH", "REISSUED", "TRUST_NEW"})
  void abortFromEachPhaseLeavesTheOldCaAlone(Phase upTo) {
    Rotation r = rotation(Catalogue.CA);
    Map<String, String> before = snapshot();
    X509Certificate old = first(r.caFile());
    r.prepare(GENERATE, false);
    for (Phase p : Phase.steps()) {
      if (p.ordinal() > upTo.ordinal()) {
        break;
      }
      if (p != Phase.PREPARED) {
        r.advance(p, false);
      }
    }
    Outcome dry = r.abort(true);
    assertThat(dry.proof().ok()).isTrue();
    Outcome aborted = r.abort(false);
    assertThat(aborted.phase()).isEqualTo(Phase.NONE);
    assertThat(Files.exists(r.dir().resolve("state"))).isFalse();
    assertThat(Files.exists(r.dir().resolve("new.key"))).isFalse();
    assertThat(r.phase()).isEqualTo(Phase.NONE);
    assertThat(r.status().problems()).isEmpty();
    Map<String, String> after = snapshot();
    assertThat(after.get("pki/ca.crt")).isEqualTo(before.get("pki/ca.crt"));
    assertThat(after.get("pki/ca.key")).isEqualTo(before.get("pki/ca.key"));
    assertThat(after.get("manifests/kube-controller-manager.yaml"))
        .contains("--cluster-signing-cert-file=" + root.resolve("pki/ca.crt").toAbsolutePath());
    for (Place place : r.inventory()) {
      assertThat(place.trust()).as(place.name()).isIn(Place.Trust.OLD_ONLY, Place.Trust.MISSING);
    }
    assertSignerIsOneCertificate(Catalogue.CA, old);
  }

  @Test
  void abortAfterFinishIsRefused() {
    Rotation r = rotation(Catalogue.ETCD_CA);
    r.prepare(GENERATE, false);
    for (Phase p : List.of(Phase.TRUST_BOTH, Phase.REISSUED, Phase.TRUST_NEW, Phase.FINISHED)) {
      r.advance(p, false);
    }
    assertThatThrownBy(() -> r.abort(false))
        .hasMessage(r.dir().resolve("state") + ": the rotation of etcd-ca has finished; the old CA is"
            + " gone (start a new rotation to change CA again)");
  }

  /**
   * The process dies at chosen renames of a phase (the first, one in the middle, and the last: the
   * state written after the files); the next run resumes the phase, or aborts the rotation.
   */
  @ParameterizedTest(name = "{0}")
  @EnumSource(value = Phase.class, names = {"TRUST_BOTH", "REISSUED", "TRUST_NEW", "FINISHED"})
  void aPhaseKilledInsideResumesOrAborts(Phase phase) throws IOException {
    Path base = root.resolve("base");
    TestPki.in(base).create();
    StaticPods.write(base);
    Rotation b = Rotation.of(NodeFiles.under(base), Catalogue.CA, TestPki.CLOCK);
    b.prepare(GENERATE, false);
    for (Phase p : Phase.steps()) {
      if (p != Phase.PREPARED && p.ordinal() < phase.ordinal()) {
        b.advance(p, false);
      }
    }
    Dying counting = new Dying(Integer.MAX_VALUE);
    new Rotation(NodeFiles.under(copy(base, "count")), Catalogue.CA, counting, TestPki.CLOCK)
        .advance(phase, false);
    int total = counting.renames;
    assertThat(total).as("renames of %s", phase).isGreaterThan(3);
    for (boolean thenAbort : List.of(false, true)) {
      for (int step : new java.util.TreeSet<>(List.of(1, total / 2, total))) {
        Path dir = copy(base, "run-" + thenAbort + "-" + step);
        NodeFiles n = NodeFiles.under(dir);
        Dying dying = new Dying(step);
        assertThatThrownBy(() -> new Rotation(n, Catalogue.CA, dying, TestPki.CLOCK).advance(phase, false))
            .isInstanceOf(Dying.Death.class);
        Rotation r = Rotation.of(n, Catalogue.CA, TestPki.CLOCK);
        if (thenAbort) {
          r.abort(false);
          assertThat(r.status().problems()).as("abort after death at step %d", step).isEmpty();
          assertThat(r.phase()).isEqualTo(Phase.NONE);
        } else {
          r.advance(phase, false);
          assertThat(r.phase()).isEqualTo(phase);
          assertThat(r.status().problems()).as("resumed after death at step %d", step).isEmpty();
        }
        assertSignerIsOneCertificate(dir, Certificates.readBundle(dir.resolve("pki/ca.crt")).get(0));
      }
    }
  }

  /** A copy of a test node whose files name their own folder. */
  private Path copy(Path base, String name) throws IOException {
    Path dir = root.resolve(name);
    TestPki.copyTree(base, dir);
    List<Path> named = new java.util.ArrayList<>(List.of(dir.resolve("kubelet-config.yaml"),
        dir.resolve("pki/kcert-rotation/ca/state")));
    try (Stream<Path> s = Files.list(dir.resolve("manifests"))) {
      s.forEach(named::add);
    }
    for (Path p : named) {
      if (Files.exists(p)) {
        Files.writeString(p, Files.readString(p).replace(base.toString() + "/", dir.toString() + "/"));
      }
    }
    return dir;
  }

  @Test
  void aTrustFileOutsideThePkiFolderStopsThePhase() throws IOException {
    Path outside = root.resolve("elsewhere/ca.crt");
    Files.createDirectories(outside.getParent());
    Files.copy(root.resolve("pki/ca.crt"), outside);
    Path kubelet = root.resolve("kubelet-config.yaml");
    Files.writeString(kubelet, Files.readString(kubelet)
        .replace(root.resolve("pki/ca.crt").toAbsolutePath().toString(), outside.toString()));
    Rotation r = rotation(Catalogue.CA);
    r.prepare(GENERATE, false);
    Map<String, String> before = snapshot();
    assertThatThrownBy(() -> r.advance(Phase.TRUST_BOTH, false))
        .hasMessage("ca: " + outside + ": trusted by kubelet authentication.x509.clientCAFile but"
            + " outside the PKI folder; kcert rewrites trust files only inside it (point the flag at "
            + root.resolve("pki/ca.crt") + ")");
    assertThat(snapshot()).isEqualTo(before);
  }

  @Test
  void prepareRefusesACaFileThatIsABundleAndABadNewCa() throws IOException {
    Rotation r = rotation(Catalogue.FRONT_PROXY_CA);
    Path ca = root.resolve("pki/front-proxy-ca.crt");
    String pem = Files.readString(ca);
    assertThatThrownBy(() -> r.prepare(new NewCa.Import(ca, root.resolve("pki/front-proxy-ca.key")), false))
        .hasMessage(ca + ": has the old CA's key; a rotation needs a new key");
    assertThatThrownBy(() -> r.prepare(new NewCa.Import(root.resolve("pki/apiserver.crt"),
            root.resolve("pki/apiserver.key")), false))
        .hasMessage(root.resolve("pki/apiserver.crt") + ": is not a CA certificate (basicConstraints CA:TRUE missing)");
    Files.writeString(ca, pem + pem);
    assertThatThrownBy(() -> r.prepare(GENERATE, false))
        .isInstanceOf(KcertException.class)
        .hasMessage(ca + ": holds 2 certificates; a rotation starts from a CA file with one");
    assertThat(Files.exists(r.dir())).isFalse();
  }

  @Test
  void planListsEveryTrustPlaceOfTheClusterCa() {
    Rotation r = rotation(Catalogue.CA);
    r.prepare(GENERATE, false);
    r.advance(Phase.TRUST_BOTH, false);
    Map<String, String> seen = new TreeMap<>();
    for (Place p : r.inventory()) {
      seen.put(p.kind() + " " + p.name(), p.trust().text());
    }
    assertThat(seen).containsEntry("ca-file ca", "both")
        .containsEntry("manifest-flag kube-apiserver --client-ca-file", "both")
        .containsEntry("manifest-flag kube-controller-manager --root-ca-file", "both")
        .containsEntry("manifest-flag kube-controller-manager --client-ca-file", "both")
        .containsEntry("signer-file kube-controller-manager --cluster-signing-cert-file", "old-only")
        .containsEntry("kubelet-config kubelet authentication.x509.clientCAFile", "both")
        .containsEntry("kubeconfig-ca admin.conf", "both")
        .containsEntry("client-cert admin.conf", "old-only")
        .containsEntry("kubeconfig-ca kubelet.conf", "both")
        .containsEntry("leaf apiserver", "old-only")
        .containsEntry("leaf apiserver-kubelet-client", "old-only")
        .doesNotContainKey("leaf front-proxy-client");
  }

  private void assertSignerIsOneCertificate(String ca, X509Certificate signer) {
    if (ca.equals(Catalogue.CA)) {
      assertSignerIsOneCertificate(root, signer);
    }
  }

  private static void assertSignerIsOneCertificate(Path node, X509Certificate signer) {
    Path file = Path.of(StaticPodManifest.read(node.resolve("manifests/kube-controller-manager.yaml"))
        .flag("cluster-signing-cert-file").orElseThrow());
    assertThat(Certificates.readBundle(file)).containsExactly(signer);
  }

  private String manifestFlag(String manifest, String flag) {
    return StaticPodManifest.read(root.resolve("manifests").resolve(manifest))
        .flag(flag.substring("--".length()))
        .orElse(null);
  }

  private static X509Certificate first(Path file) {
    return Certificates.readBundle(file).get(0);
  }

  private static String perms(Path p) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }

  /** Every file below the root but the rotation folder and backups, as text. */
  private Map<String, String> snapshot() {
    Map<String, String> files = new TreeMap<>();
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        String rel = root.relativize(p).toString();
        if (Files.isRegularFile(p) && !rel.startsWith("tmp") && !rel.contains("kcert-rotation")
            && !rel.startsWith("run-")) {
          files.put(rel, Files.readString(p));
        }
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return files;
  }

  /** The real file system, until the process "dies" at the n-th rename. */
  static final class Dying implements FileOps {
    static final class Death extends Error {
      private static final long serialVersionUID = 1L;
    }

    private final FileOps real = FileOps.system();
    private final int dieAt;
    int renames;
    boolean died;

    Dying(int dieAt) {
      this.dieAt = dieAt;
    }

    @Override
    public byte[] read(Path file) {
      return real.read(file);
    }

    @Override
    public boolean exists(Path file) {
      return real.exists(file);
    }

    @Override
    public void createDirectories(Path dir, java.util.Set<java.nio.file.attribute.PosixFilePermission> perms) {
      real.createDirectories(dir, perms);
    }

    @Override
    public Path writeTemp(Path target, byte[] content, java.util.Set<java.nio.file.attribute.PosixFilePermission> perms) {
      return real.writeTemp(target, content, perms);
    }

    @Override
    public void rename(Path from, Path to) {
      if (++renames == dieAt) {
        died = true;
        throw new Death();
      }
      real.rename(from, to);
    }

    @Override
    public void delete(Path file) {
      real.delete(file);
    }
  }
}
