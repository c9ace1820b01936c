package dev.kcert.core.rotation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kcert.core.keys.KeyAlgorithm;
import dev.kcert.core.keys.KeyPairs;
import dev.kcert.core.model.KcertException;
import dev.kcert.core.node.StaticPodManifest;
import dev.kcert.core.pem.PrivateKeys;
import dev.kcert.core.testing.StaticPods;
import dev.kcert.core.testing.TestPki;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The service-account key rotation on a generated kubeadm tree. After every phase, a token signed
 * with the old key and one signed with the new key are checked against the public keys in the
 * files the API server's {@code --service-account-key-file} flags name (signed and verified here
 * with the JDK's Signature API, as the API server tries each of its keys), and the manifests'
 * flags are checked to be kubeadm's, untouched.
 */
class SaRotationTest {
  @TempDir Path root;

  static final Clock LATER = Clock.offset(TestPki.CLOCK, SaRotation.TOKEN_REFRESH_WAIT.plusMinutes(1));

  SaRotation setUp(KeyAlgorithm alg) {
    TestPki.in(root).keyAlgorithm(alg).create();
    StaticPods.write(root);
    return SaRotation.of(NodeFiles.under(root), TestPki.CLOCK);
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(value = KeyAlgorithm.class, names = {"ECDSA_P256", "RSA_2048"})
  void wholeRotationPhaseByPhase(KeyAlgorithm alg) throws Exception {
    SaRotation r = setUp(alg);
    Map<String, String> manifests = manifests();
    PrivateKey oldKey = PrivateKeys.read(root.resolve("pki/sa.key"));
    String oldToken = token(oldKey);
    assertAccepted(oldToken, true, "before");

    assertThat(r.prepare(null, false).phase()).isEqualTo(Phase.PREPARED);
    assertThat(perms(r.newKey())).isEqualTo("rw-------");
    assertThat(perms(r.dir().resolve("old.key"))).isEqualTo("rw-------");
    PrivateKey newKey = PrivateKeys.read(r.newKey());
    assertThat(newKey.getAlgorithm()).as("the old key's algorithm").isEqualTo(oldKey.getAlgorithm());
    String newToken = token(newKey);
    assertTokens(oldToken, newToken, true, false, "prepare");
    assertThat(PrivateKeys.read(root.resolve("pki/sa.key"))).isEqualTo(oldKey);

    Map<Phase, boolean[]> expected = Map.of(
        Phase.TRUST_BOTH, new boolean[] {true, true},
        Phase.REISSUED, new boolean[] {true, true},
        Phase.TRUST_NEW, new boolean[] {false, true},
        Phase.FINISHED, new boolean[] {false, true});
    for (Phase p : List.of(Phase.TRUST_BOTH, Phase.REISSUED, Phase.TRUST_NEW, Phase.FINISHED)) {
      SaRotation now = p.ordinal() >= Phase.TRUST_NEW.ordinal() ? SaRotation.of(NodeFiles.under(root), LATER) : r;
      Outcome dry = now.advance(p, true, false);
      assertThat(dry.proof().ok()).as("%s proof", p).isTrue();
      assertThat(now.phase()).as("a dry run writes nothing").isEqualTo(p.previous().orElseThrow());
      Outcome done = now.advance(p, false, false);
      assertThat(done.alreadyDone()).isFalse();
      assertThat(now.phase()).isEqualTo(p);
      assertThat(now.status().problems()).as("status after %s", p).isEmpty();
      assertTokens(oldToken, newToken, expected.get(p)[0], expected.get(p)[1], p.command());
      PrivateKey signing = PrivateKeys.read(root.resolve("pki/sa.key"));
      assertThat(signing).as("sa.key after %s", p).isEqualTo(p.newSigns() ? newKey : oldKey);
      assertThat(perms(root.resolve("pki/sa.key"))).isEqualTo("rw-------");
      assertThat(manifests()).as("manifests after %s", p).isEqualTo(manifests);
      assertFlags();
      assertThat(now.advance(p, false, true).alreadyDone()).as("%s again", p).isTrue();
    }
    assertThat(r.dir().resolve("old.key")).doesNotExist();
    List<PublicKey> pub = SaRotation.publicKeys(Files.readAllBytes(root.resolve("pki/sa.pub")), root);
    assertThat(pub).hasSize(1);
    assertThat(KeyPairs.matches(newKey, pub.get(0))).isTrue();
  }

  @Test
  void trustNewWaitsForTheKubeletsToRefreshProjectedTokens() {
    SaRotation r = setUp(KeyAlgorithm.ECDSA_P256);
    r.prepare(null, false);
    r.advance(Phase.TRUST_BOTH, false, false);
    r.advance(Phase.REISSUED, false, false);
    assertThat(r.reissuedAt()).contains(TestPki.NOW);
    assertThatThrownBy(() -> r.advance(Phase.TRUST_NEW, false, false))
        .isInstanceOf(KcertException.class)
        .hasMessageStartingWith("sa: trust-new refused: reissue switched signing at " + TestPki.NOW
            + "; projected tokens signed by the old key may be in use until "
            + TestPki.NOW.plus(Duration.ofHours(24)));
    assertThat(r.phase()).isEqualTo(Phase.REISSUED);
    assertThat(r.advance(Phase.TRUST_NEW, false, true).phase()).as("--force").isEqualTo(Phase.TRUST_NEW);
  }

  static Stream<Arguments> abortablePhases() {
    return Stream.of(Phase.PREPARED, Phase.TRUST_BOTH, Phase.REISSUED, Phase.TRUST_NEW).map(Arguments::of);
  }

  @ParameterizedTest(name = "abort from {0}")
  @MethodSource("abortablePhases")
  void abortFromEveryPhaseReturnsToTheOldKeyAlone(Phase at) throws Exception {
    SaRotation r = setUp(KeyAlgorithm.ECDSA_P256);
    Map<String, String> manifests = manifests();
    byte[] keyBefore = Files.readAllBytes(root.resolve("pki/sa.key"));
    byte[] pubBefore = Files.readAllBytes(root.resolve("pki/sa.pub"));
    String oldToken = token(PrivateKeys.read(root.resolve("pki/sa.key")));
    r.prepare(null, false);
    String newToken = token(PrivateKeys.read(r.newKey()));
    SaRotation later = SaRotation.of(NodeFiles.under(root), LATER);
    for (Phase p : List.of(Phase.TRUST_BOTH, Phase.REISSUED, Phase.TRUST_NEW)) {
      if (p.ordinal() <= at.ordinal()) {
        (p == Phase.TRUST_NEW ? later : r).advance(p, false, false);
      }
    }
    assertThat(r.phase()).isEqualTo(at);
    assertThat(r.abort(true).dryRun()).isTrue();
    assertThat(r.phase()).isEqualTo(at);
    Outcome o = r.abort(false);
    assertThat(o.phase()).isEqualTo(Phase.NONE);
    assertThat(r.phase()).isEqualTo(Phase.NONE);
    assertThat(r.dir().resolve("state")).doesNotExist();
    assertThat(r.dir().resolve("new.key")).doesNotExist();
    assertTokens(oldToken, newToken, true, false, "abort from " + at.command());
    assertThat(Files.readAllBytes(root.resolve("pki/sa.key"))).isEqualTo(keyBefore);
    assertThat(SaRotation.publicKeys(Files.readAllBytes(root.resolve("pki/sa.pub")), root))
        .isEqualTo(SaRotation.publicKeys(pubBefore, root));
    assertThat(manifests()).isEqualTo(manifests);
    assertFlags();
    assertThat(r.status().problems()).isEmpty();
  }

  @Test
  void phasesRunInOrderAndAChangedFileStopsTheNext() throws IOException {
    SaRotation r = setUp(KeyAlgorithm.ECDSA_P256);
    r.prepare(null, false);
    assertThatThrownBy(() -> r.advance(Phase.REISSUED, false, false))
        .hasMessage("sa: reissue follows trust-both, but this rotation is at prepare");
    r.advance(Phase.TRUST_BOTH, false, false);
    Path pub = root.resolve("pki/sa.pub");
    Files.write(pub, Files.readAllBytes(r.dir().resolve("old.pub")));
    assertThat(r.status().problems()).containsExactly(pub + ": holds old, not old,new");
    assertThatThrownBy(() -> r.advance(Phase.REISSUED, false, false))
        .hasMessage("sa: phase trust-both is not proven on disk, so reissue will not start: "
            + pub + ": holds old, not old,new");
  }

  @Test
  void aKeyFileOutsideThePkiFolderIsRefusedBeforeAnythingIsWritten() throws IOException {
    SaRotation r = setUp(KeyAlgorithm.ECDSA_P256);
    Path outside = Files.createDirectories(root.resolve("elsewhere")).resolve("sa.pub");
    Files.copy(root.resolve("pki/sa.pub"), outside);
    Path manifest = root.resolve("manifests/kube-apiserver.yaml");
    Files.write(manifest, StaticPodManifest.read(manifest).withFlag(SaRotation.KEY_FILE_FLAG, outside.toString()));
    r.prepare(null, false);
    byte[] pub = Files.readAllBytes(root.resolve("pki/sa.pub"));
    assertThatThrownBy(() -> r.advance(Phase.TRUST_BOTH, false, false))
        .hasMessageContaining(outside + ": named by kube-apiserver --service-account-key-file but"
            + " outside the PKI folder");
    assertThat(Files.readAllBytes(root.resolve("pki/sa.pub"))).isEqualTo(pub);
    assertThat(r.phase()).isEqualTo(Phase.PREPARED);
  }

  @Test
  void anotherNodeImportsThePairAndAWrongPairIsRefused() throws IOException {
    SaRotation r = setUp(KeyAlgorithm.ECDSA_P256);
    r.prepare(KeyAlgorithm.RSA_2048, false);
    Path copies = Files.createDirectories(root.resolve("copies"));
    Path key = Files.copy(r.newKey(), copies.resolve("new.key"));
    Path pub = Files.copy(r.newPub(), copies.resolve("new.pub"));
    assertThat(PrivateKeys.read(key).getAlgorithm()).as("--key-algorithm").isEqualTo("RSA");
    r.abort(false);
    assertThatThrownBy(() -> r.importPair(key, root.resolve("pki/sa.pub"), false))
        .hasMessage(root.resolve("pki/sa.pub") + ": is not the one public key of new.key");
    assertThat(r.importPair(key, pub, false).phase()).isEqualTo(Phase.PREPARED);
    assertThat(Files.readAllBytes(r.newKey())).isEqualTo(Files.readAllBytes(key));
  }

  @Test
  void inventoryShowsTheFilesAndTheManifestFlags() {
    SaRotation r = setUp(KeyAlgorithm.ECDSA_P256);
    r.prepare(null, false);
    r.advance(Phase.TRUST_BOTH, false, false);
    List<String> rows = r.inventory().stream()
        .map(p -> p.kind() + "|" + p.name() + "|" + p.trust().text() + "|" + p.detail()).toList();
    assertThat(rows).containsExactly(
        "sa-key|sa.key|old-only|signs with old",
        "sa-pub|sa.pub|both|old,new",
        "manifest-flag|kube-apiserver --service-account-key-file|both|old,new",
        "signing-key-flag|kube-apiserver --service-account-signing-key-file|old-only|signs with old",
        "signing-key-flag|kube-controller-manager --service-account-private-key-file|old-only|signs with old");
  }

  // ---------------------------------------------------------------- helpers

  /** The public keys of every file the API server's --service-account-key-file flags name. */
  private List<PublicKey> apiServerKeys() {
    List<PublicKey> keys = new ArrayList<>();
    for (StaticPodManifest.Flag f : StaticPodManifest.read(root.resolve("manifests/kube-apiserver.yaml")).flags()) {
      if (f.name().equals("--service-account-key-file")) {
        try {
          keys.addAll(SaRotation.publicKeys(Files.readAllBytes(Path.of(f.value())), Path.of(f.value())));
        } catch (IOException e) {
          throw new AssertionError(e);
        }
      }
    }
    return keys;
  }

  private void assertTokens(String oldToken, String newToken, boolean old, boolean neu, String when) {
    assertAccepted(oldToken, old, "a token of the old key " + when);
    assertAccepted(newToken, neu, "a token of the new key " + when);
  }

  private void assertAccepted(String token, boolean expected, String what) {
    boolean accepted = false;
    for (PublicKey k : apiServerKeys()) {
      accepted |= verify(token, k);
    }
    assertThat(accepted).as(what).isEqualTo(expected);
  }

  private void assertFlags() {
    String pki = root.toAbsolutePath().resolve("pki").toString();
    StaticPodManifest api = StaticPodManifest.read(root.resolve("manifests/kube-apiserver.yaml"));
    assertThat(api.flag("service-account-key-file")).contains(pki + "/sa.pub");
    assertThat(api.flag("service-account-signing-key-file")).contains(pki + "/sa.key");
    StaticPodManifest kcm = StaticPodManifest.read(root.resolve("manifests/kube-controller-manager.yaml"));
    assertThat(kcm.flag("service-account-private-key-file")).contains(pki + "/sa.key");
  }

  /** A compact JWS as the API server writes service-account tokens: RS256 or ES256. */
  static String token(PrivateKey key) {
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    boolean rsa = key.getAlgorithm().equals("RSA");
    String header = b64.encodeToString(("{\"alg\":\"" + (rsa ? "RS256" : "ES256") + "\",\"kid\":\"test\"}")
        .getBytes(StandardCharsets.UTF_8));
    String payload = b64.encodeToString(
        "{\"iss\":\"https://kubernetes.default.svc.cluster.local\",\"sub\":\"system:serviceaccount:default:test\"}"
            .getBytes(StandardCharsets.UTF_8));
    try {
      Signature s = Signature.getInstance(rsa ? "SHA256withRSA" : "SHA256withECDSAinP1363Format");
      s.initSign(key);
      s.update((header + "." + payload).getBytes(StandardCharsets.US_ASCII));
      return header + "." + payload + "." + b64.encodeToString(s.sign());
    } catch (GeneralSecurityException e) {
      throw new AssertionError(e);
    }
  }

  /** The API server's check of one key: the algorithm the key dictates, over header.payload. */
  static boolean verify(String token, PublicKey key) {
    String[] parts = token.split("\\.");
    try {
      Signature s = Signature.getInstance(key.getAlgorithm().equals("RSA") ? "SHA256withRSA"
          : "SHA256withECDSAinP1363Format");
      s.initVerify(key);
      s.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
      return s.verify(Base64.getUrlDecoder().decode(parts[2]));
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  @Test
  void saTokensTellWhichKeySigned() {
    SaRotation r = setUp(KeyAlgorithm.ECDSA_P256);
    r.prepare(null, false);
    SaRotation.Keys keys = r.keys();
    String old = token(PrivateKeys.read(root.resolve("pki/sa.key")));
    String neu = token(PrivateKeys.read(r.newKey()));
    assertThat(SaTokens.signerOf(old, keys.old(), keys.neu())).isEqualTo("old");
    assertThat(SaTokens.signerOf(neu, keys.old(), keys.neu())).isEqualTo("new");
    assertThat(SaTokens.signerOf(neu.substring(0, neu.length() - 4) + "AAAA", keys.old(), keys.neu()))
        .isEqualTo("other");
    assertThat(SaTokens.signerOf("not.a-token", keys.old(), keys.neu())).isEqualTo("other");
  }

  private Map<String, String> manifests() throws IOException {
    Map<String, String> m = new TreeMap<>();
    try (Stream<Path> files = Files.list(root.resolve("manifests"))) {
      for (Path f : files.toList()) {
        m.put(f.getFileName().toString(), Files.readString(f));
      }
    }
    return m;
  }

  private static String perms(Path p) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }
}
