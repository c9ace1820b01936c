package dev.kcert.core.rotation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kcert.core.pem.Certificates;
import dev.kcert.core.testing.TestPki;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How a cluster bundle is judged and rewritten for each phase. */
class ClusterTrustTest {
  @TempDir Path root;
  X509Certificate old;
  X509Certificate neu;
  X509Certificate other;
  ClusterTrust.CaPair cas;

  @BeforeEach
  void cas() {
    TestPki.in(root).create();
    old = Certificates.readBundle(root.resolve("pki/ca.crt")).get(0);
    neu = Certificates.readBundle(root.resolve("pki/front-proxy-ca.crt")).get(0); // any other CA
    other = Certificates.readBundle(root.resolve("pki/etcd/ca.crt")).get(0);
    cas = new ClusterTrust.CaPair(old, neu);
  }

  private List<X509Certificate> to(Phase p, X509Certificate... bundle) {
    return ClusterTrust.rewrite(List.of(bundle), ClusterTrust.wanted(p, cas), cas);
  }

  @Test
  void trustBothAddsTheNewCaWhereTheOldOneWasAndKeepsTheRestInPlace() {
    assertThat(to(Phase.TRUST_BOTH, old)).containsExactly(old, neu);
    assertThat(to(Phase.TRUST_BOTH, other, old)).containsExactly(other, old, neu);
    assertThat(to(Phase.TRUST_BOTH, old, other)).containsExactly(old, neu, other);
    assertThat(to(Phase.TRUST_BOTH, other)).containsExactly(other);
  }

  @Test
  void aBundleHoldingWhatThePhaseWantsInAnyOrderIsLeftAlone() {
    assertThat(to(Phase.REISSUED, old, neu)).containsExactly(old, neu);
    assertThat(to(Phase.TRUST_BOTH, neu, other, old)).containsExactly(neu, other, old);
  }

  @Test
  void trustNewAndFinishKeepTheNewCaAloneAndAbortTheOldOne() {
    assertThat(to(Phase.TRUST_NEW, other, old, neu)).containsExactly(other, neu);
    assertThat(to(Phase.FINISHED, old)).containsExactly(neu);
    assertThat(to(Phase.NONE, old, neu, other)).containsExactly(old, other);
    assertThat(to(Phase.NONE, neu)).containsExactly(old);
  }

  @Test
  void placesAreMarkedByWhichCasTheyHold() {
    assertThat(ClusterTrust.trust(List.of(old), cas)).isEqualTo(Place.Trust.OLD_ONLY);
    assertThat(ClusterTrust.trust(List.of(neu, old), cas)).isEqualTo(Place.Trust.BOTH);
    assertThat(ClusterTrust.trust(List.of(other, neu), cas)).isEqualTo(Place.Trust.NEW_ONLY);
    assertThat(ClusterTrust.trust(List.of(other), cas)).isEqualTo(Place.Trust.OTHER);
    assertThat(ClusterTrust.order(List.of(other, neu, old), cas)).isEqualTo("other,new,old");
  }

  @Test
  void behindListsPublishedPlacesAndWritablePlacesNotAsThePhaseWants() {
    List<ClusterTrust.Entry> entries = List.of(
        new ClusterTrust.Entry(ClusterTrust.ROOT_CA_CONFIGMAP, "default", "kube-root-ca.crt", Place.Trust.OLD_ONLY, "old"),
        new ClusterTrust.Entry(ClusterTrust.ROOT_CA_CONFIGMAP, "apps", "kube-root-ca.crt", Place.Trust.BOTH, "old,new"),
        new ClusterTrust.Entry(ClusterTrust.TOKEN_SECRET, "legacy", "t", Place.Trust.OTHER, "other"),
        new ClusterTrust.Entry(ClusterTrust.API_SERVICE, "", "v1.x", Place.Trust.BOTH, "new,old"),
        new ClusterTrust.Entry(ClusterTrust.MUTATING, "", "m/h", Place.Trust.OLD_ONLY, "old"));
    assertThat(ClusterTrust.behind(entries, Phase.TRUST_BOTH)).containsExactly(
        "kube-root-ca.crt default/kube-root-ca.crt (holds old)",
        "sa-token-secret legacy/t (holds other)",
        "mutating-webhook m/h (holds old)");
    assertThat(ClusterTrust.namespacesBehind(entries, Phase.TRUST_BOTH)).containsExactly("default", "legacy");
  }
}
