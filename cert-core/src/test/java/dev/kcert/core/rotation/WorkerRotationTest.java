package dev.kcert.core.rotation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kcert.core.keys.KeyAlgorithm;
import dev.kcert.core.kubeconfig.Kubeconfig;
import dev.kcert.core.model.ExtendedKeyUsage;
import dev.kcert.core.model.KcertException;
import dev.kcert.core.pem.Certificates;
import dev.kcert.core.pem.PrivateKeys;
import dev.kcert.core.pki.CertificateSigner;
import dev.kcert.core.pki.CertificateTemplate;
import dev.kcert.core.pki.PkiLayout;
import dev.kcert.core.renewal.FileOps;
import dev.kcert.core.renewal.ForwardingFileOps;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.KeyPair;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A worker's phases in the JVM, with the signer played by a function: a reissue whose trust files
 * fail to install after the kubelet's new certificate went in resumes without a second request.
 */
class WorkerRotationTest {
  private static final Instant NOW = Instant.parse("2026-11-23T12:00:00Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

  @TempDir Path root;
  private NodeFiles node;
  private KeyPair oldPair;
  private X509Certificate oldCa;
  private KeyPair newPair;
  private X509Certificate newCa;
  private KeyPair kubelet;
  private final AtomicInteger issued = new AtomicInteger();

  private static X509Certificate ca(KeyPair pair) {
    return CertificateSigner.selfSignedCa(new CertificateTemplate("kubernetes", List.of(), List.of(),
        List.of(), Set.of(), true, NOW.minus(Duration.ofDays(30)), NOW.plus(Duration.ofDays(3650))), pair);
  }

  private static X509Certificate client(PublicKey key, X509Certificate ca, KeyPair caPair) {
    return CertificateSigner.sign(new CertificateTemplate("system:node:w-1", List.of("system:nodes"),
        List.of(), List.of(), Set.of(ExtendedKeyUsage.CLIENT_AUTH), false, NOW.minus(Duration.ofHours(1)),
        NOW.plus(Duration.ofDays(365))), key, ca, caPair.getPrivate());
  }

  @BeforeEach
  void worker() throws Exception {
    oldPair = KeyAlgorithm.ECDSA_P256.generate();
    oldCa = ca(oldPair);
    newPair = KeyAlgorithm.ECDSA_P256.generate();
    newCa = ca(newPair);
    kubelet = KeyAlgorithm.ECDSA_P256.generate();
    Path pki = Files.createDirectories(root.resolve("pki"));
    Path kubeletDir = Files.createDirectories(root.resolve("kubelet"));
    Files.writeString(pki.resolve("ca.crt"), Certificates.toPem(oldCa));
    Path pem = kubeletDir.resolve("kubelet-client-2026-01-01-00-00-00.pem");
    Files.writeString(pem, Certificates.toPem(client(kubelet.getPublic(), oldCa, oldPair))
        + PrivateKeys.toPem(kubelet));
    Path link = kubeletDir.resolve("kubelet-client-current.pem");
    Files.createSymbolicLink(link, pem.getFileName());
    Kubeconfig kc = Kubeconfig.create(root.resolve("kubelet.conf"), "kubernetes", "https://10.0.0.10:6443",
        Certificates.toPem(oldCa).getBytes(StandardCharsets.US_ASCII), "system:node:w-1",
        Certificates.toPem(oldCa).getBytes(StandardCharsets.US_ASCII), PrivateKeys.toPem(kubelet)
            .getBytes(StandardCharsets.US_ASCII));
    // referenced files instead of embedded data, as kubeadm join leaves them
    String text = new String(kc.render(), StandardCharsets.UTF_8)
        .replaceAll("client-certificate-data: .*", "client-certificate: " + link.toAbsolutePath())
        .replaceAll("client-key-data: .*", "client-key: " + link.toAbsolutePath());
    Files.writeString(root.resolve("kubelet.conf"), text);
    node = new NodeFiles(new PkiLayout(pki, root, kubeletDir), root.resolve("manifests"),
        root.resolve("kubelet-config.yaml"));
    assertThat(WorkerRotation.isWorker(node)).isTrue();
  }

  private WorkerRotation.Issuer signer() {
    return (csr, name, usages) -> {
      issued.incrementAndGet();
      assertThat(name).isEqualTo("w-1");
      return Certificates.toPem(client(kubelet.getPublic(), newCa, newPair)).getBytes(StandardCharsets.US_ASCII);
    };
  }

  private List<X509Certificate> caFile() {
    return Certificates.readBundle(root.resolve("pki/ca.crt"));
  }

  @Test
  void aReissueKilledAfterTheCertificateResumesWithoutASecondRequest() {
    WorkerRotation w = new WorkerRotation(node, FileOps.system(), CLOCK);
    w.prepare(newCa, "test", false);
    w.advance(Phase.TRUST_BOTH, false, (c, n, u) -> {
      throw new AssertionError("trust-both asks for nothing");
    });
    assertThat(caFile()).containsExactly(oldCa, newCa);

    FileOps failing = new Failing(FileOps.system(), "ca.crt");
    assertThatThrownBy(() -> new WorkerRotation(node, failing, CLOCK).advance(Phase.REISSUED, false, signer()))
        .isInstanceOf(KcertException.class);
    assertThat(issued).hasValue(1);
    // the certificate went in, the trust files did not: the phase before still holds
    X509Certificate now = Certificates.readBundle(root.resolve("kubelet/kubelet-client-current.pem")).get(0);
    assertThat(Certificates.isSignedBy(now, newCa)).isTrue();
    assertThat(caFile()).containsExactly(oldCa, newCa);
    assertThat(w.status().phase()).isEqualTo(Phase.TRUST_BOTH);
    assertThat(w.status().problems()).isEmpty();

    Outcome o = w.advance(Phase.REISSUED, false, signer());
    assertThat(issued).hasValue(1);
    assertThat(o.alreadyDone()).isFalse();
    assertThat(caFile()).containsExactly(newCa, oldCa);
    assertThat(w.status().problems()).isEmpty();
    assertThat(w.status().phase()).isEqualTo(Phase.REISSUED);
  }

  @Test
  void abortWithoutTheCertificateItReplacedRefusesAndSaysWhatToDo() throws Exception {
    WorkerRotation w = new WorkerRotation(node, FileOps.system(), CLOCK);
    w.prepare(newCa, "test", false);
    w.advance(Phase.TRUST_BOTH, false, signer());
    w.advance(Phase.REISSUED, false, signer());
    Files.delete(w.before());
    byte[] ca = Files.readAllBytes(root.resolve("pki/ca.crt"));
    assertThatThrownBy(() -> w.abort(false)).isInstanceOf(KcertException.class)
        .hasMessageStartingWith("ca: abort refused: the kubelet's client certificate ")
        .hasMessageContaining("is signed by the new CA, which the old trust rejects, and no certificate"
            + " from the old CA was kept for it; finish the rotation instead, or have the old CA sign a"
            + " client certificate for system:node:w-1");
    assertThat(Files.readAllBytes(root.resolve("pki/ca.crt"))).isEqualTo(ca);
    assertThat(w.status().phase()).isEqualTo(Phase.REISSUED);
  }

  /** File operations that fail to stage one file name. */
  private static final class Failing extends ForwardingFileOps {
    private final String name;

    Failing(FileOps real, String name) {
      super(real);
      this.name = name;
    }

    @Override
    public Path writeTemp(Path target, byte[] content, Set<PosixFilePermission> perms) {
      if (target.getFileName().toString().equals(name)) {
        throw KcertException.about(target, "disk full (injected)");
      }
      return super.writeTemp(target, content, perms);
    }
  }
}
