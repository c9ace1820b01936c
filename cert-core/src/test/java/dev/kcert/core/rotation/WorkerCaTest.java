package dev.kcert.core.rotation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kcert.core.keys.KeyAlgorithm;
import dev.kcert.core.model.ExtendedKeyUsage;
import dev.kcert.core.model.KcertException;
import dev.kcert.core.pki.CertificateSigner;
import dev.kcert.core.pki.CertificateTemplate;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** When a worker accepts a certificate as the new CA, and the form of the pin. */
class WorkerCaTest {
  private static final Instant NOW = Instant.parse("2026-11-23T12:00:00Z");
  private final KeyPair oldPair = KeyAlgorithm.ECDSA_P256.generate();
  private final X509Certificate old = ca(oldPair, NOW.minus(Duration.ofDays(300)));
  private final KeyPair newPair = KeyAlgorithm.ECDSA_P256.generate();
  private final X509Certificate neu = ca(newPair, NOW.minus(Duration.ofMinutes(5)));

  private static X509Certificate ca(KeyPair pair, Instant from) {
    return CertificateSigner.selfSignedCa(new CertificateTemplate("kubernetes", List.of(),
        List.of(), List.of(), Set.of(), true, from, from.plus(Duration.ofDays(3650))), pair);
  }

  @Test
  void thePinIsKubeadmsFormInLowerCase() {
    String pin = Rotation.discoveryHash(neu);
    assertThat(WorkerCa.pin(pin.toUpperCase().replace("SHA256:", "sha256:"))).isEqualTo(pin);
    assertThat(WorkerCa.pin(" " + pin + " ")).isEqualTo(pin);
    for (String bad : List.of("md5:abc", pin.substring(0, pin.length() - 1), pin.replace("sha256:", ""),
        pin + "0", "sha256:" + "g".repeat(64))) {
      assertThatThrownBy(() -> WorkerCa.pin(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("--new-ca-hash must be sha256:<64 hex digits>");
    }
  }

  @Test
  void withAPinOnlyTheMatchingCertificateIsTakenWhereverItStands() {
    assertThat(WorkerCa.accept(List.of(old, neu), old, Rotation.discoveryHash(neu), "cluster-info", NOW))
        .isEqualTo(neu);
    assertThat(WorkerCa.accept(List.of(neu, old), old, Rotation.discoveryHash(neu), "cluster-info", NOW))
        .isEqualTo(neu);
  }

  @Test
  void aBundleWithoutThePinnedKeyIsRefusedNamingWhatItHolds() {
    X509Certificate planted = ca(KeyAlgorithm.ECDSA_P256.generate(), NOW.minus(Duration.ofDays(1)));
    assertThatThrownBy(() -> WorkerCa.accept(List.of(old, planted), old, Rotation.discoveryHash(neu),
        "cluster-info", NOW))
        .isInstanceOf(KcertException.class)
        .hasMessage("cluster-info: holds no certificate whose key matches --new-ca-hash "
            + Rotation.discoveryHash(neu) + " (it holds " + Rotation.discoveryHash(old) + ", "
            + Rotation.discoveryHash(planted) + "); nothing was written");
  }

  @Test
  void theOldCaALeafOrACaNotValidNowIsNeverTheNewCa() {
    assertThatThrownBy(() -> WorkerCa.accept(List.of(old), old, null, "f", NOW))
        .hasMessageContaining("has the old CA's key");
    // the old key under another certificate is still the old CA
    X509Certificate sameKey = ca(oldPair, NOW.minus(Duration.ofDays(1)));
    assertThatThrownBy(() -> WorkerCa.accept(List.of(sameKey), old, Rotation.discoveryHash(sameKey), "f", NOW))
        .hasMessageContaining("has the old CA's key");
    KeyPair leafPair = KeyAlgorithm.ECDSA_P256.generate();
    X509Certificate leaf = CertificateSigner.sign(new CertificateTemplate("system:node:w", List.of("system:nodes"),
        List.of(), List.of(), Set.of(ExtendedKeyUsage.CLIENT_AUTH), false, NOW.minus(Duration.ofDays(1)),
        NOW.plus(Duration.ofDays(1))), leafPair.getPublic(), neu, newPair.getPrivate());
    assertThatThrownBy(() -> WorkerCa.accept(List.of(leaf), old, null, "f", NOW))
        .hasMessageContaining("is not a CA certificate (basicConstraints CA:TRUE missing)");
    X509Certificate future = ca(KeyAlgorithm.ECDSA_P256.generate(), NOW.plus(Duration.ofDays(1)));
    assertThatThrownBy(() -> WorkerCa.accept(List.of(future), old, null, "f", NOW))
        .hasMessageContaining("is not valid now");
    assertThat(WorkerCa.accept(List.of(neu, old), old, null, "f", NOW)).isEqualTo(neu);
  }
}
