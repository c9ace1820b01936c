package dev.kcert.core.rotation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kcert.core.keys.KeyAlgorithm;
import dev.kcert.core.kubeconfig.Kubeconfig;
import dev.kcert.core.kubeconfig.KubeconfigCredentials;
import dev.kcert.core.model.Catalogue;
import dev.kcert.core.testing.Fixtures;
import dev.kcert.core.testing.Openssl;
import dev.kcert.core.testing.StaticPods;
import dev.kcert.core.testing.TestPki;
import dev.kcert.core.testing.Tls;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The whole rotation judged by openssl: at every phase boundary each certificate verifies under
 * the CA file ({@code openssl verify}), and TLS handshakes between the node's server certificate
 * and client certificates show which clients keep working.
 */
class RotationOpensslIT {
  @TempDir Path root;

  static final List<Phase> BOUNDARIES =
      List.of(Phase.PREPARED, Phase.TRUST_BOTH, Phase.REISSUED, Phase.TRUST_NEW, Phase.FINISHED);

  /**
   * Clients at each boundary. "new": the node's current client certificate and trust. "old with
   * bundle": the certificate from before the rotation with the trust-both bundle (a client that
   * restarted after trust-both): works until trust-new removes the old CA. "stale": the old
   * certificate and old trust: breaks as soon as the server certificate is re-signed.
   */
  @Test
  void clusterCaClientsKeepWorkingAcrossEveryBoundary() throws IOException {
    runHandshakes(Catalogue.CA, "pki/apiserver", null);
  }

  @Test
  void etcdCaClientsKeepWorkingAcrossEveryBoundary() throws IOException {
    runHandshakes(Catalogue.ETCD_CA, "pki/etcd/server", "pki/apiserver-etcd-client");
  }

  private void runHandshakes(String ca, String serverBase, String clientBase) throws IOException {
    TestPki.in(root).create();
    StaticPods.write(root);
    Rotation r = Rotation.of(NodeFiles.under(root), ca, TestPki.CLOCK);
    Path caFile = r.caFile();
    Path work = Files.createDirectories(root.resolve("work"));
    Client stale = client(work, "stale", clientBase);
    Files.copy(caFile, stale.trust, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    r.prepare(new NewCa.Generate(KeyAlgorithm.ECDSA_P256, Duration.ofDays(3650)), false);
    Path bundle = work.resolve("both.crt");
    for (Phase p : BOUNDARIES) {
      if (p != Phase.PREPARED) {
        r.advance(p, false);
      }
      if (p == Phase.TRUST_BOTH) {
        Files.copy(caFile, bundle);
      }
      for (Path leaf : leaves(ca)) {
        Openssl.ok(root, "verify", "-CAfile", caFile.toString(), leaf.toString());
      }
      if (p == Phase.FINISHED && ca.equals(Catalogue.CA)) {
        // kubeadm's recipe for the discovery hash: SHA-256 of the CA's DER public key
        Openssl.ok(work, "x509", "-pubkey", "-noout", "-in", caFile.toString(), "-out", "pub.pem");
        Openssl.ok(work, "pkey", "-pubin", "-in", "pub.pem", "-outform", "der", "-out", "pub.der");
        String digest = Openssl.ok(work, "dgst", "-sha256", "-r", "pub.der").split(" ")[0];
        assertThat(r.advance(Phase.FINISHED, false).discoveryHash()).isEqualTo("sha256:" + digest);
      }
      Client current = client(work, "new-" + p.command(), clientBase);
      Tls.Side server = new Tls.Side(root.resolve(serverBase + ".crt"), root.resolve(serverBase + ".key"), caFile);
      assertThat(Tls.handshake(work, server, current.side())).as("new client after %s", p).isTrue();
      assertThat(Tls.handshake(work, server, stale.side()))
          .as("stale client after %s", p).isEqualTo(!p.newSigns());
      if (p.ordinal() >= Phase.TRUST_BOTH.ordinal()) {
        Tls.Side oldWithBundle = new Tls.Side(stale.cert, stale.key, bundle);
        assertThat(Tls.handshake(work, server, oldWithBundle))
            .as("old client with the trust-both bundle after %s", p)
            .isEqualTo(p.ordinal() < Phase.TRUST_NEW.ordinal());
      }
    }
  }

  @Test
  void anIntermediateUnderAnExternalRootByCsrRoundTrip() throws IOException {
    Clock now = Clock.systemUTC();
    TestPki.in(root).clock(now).create();
    StaticPods.write(root);
    Rotation r = Rotation.of(NodeFiles.under(root), Catalogue.CA, now);
    Path ext = Files.createDirectories(root.resolve("external"));
    Openssl.ok(ext, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-subj", "/CN=external-root", "-days", "3650", "-keyout", "root.key", "-out", "root.crt",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
    Outcome requested = r.prepare(new NewCa.Request(KeyAlgorithm.ECDSA_P256), false);
    assertThat(requested.phase()).isEqualTo(Phase.NONE);
    assertThat(r.newCsr()).exists();
    Files.writeString(ext.resolve("ca.ext"), "basicConstraints=critical,CA:TRUE\n"
        + "keyUsage=critical,keyCertSign,cRLSign,digitalSignature\n"
        + "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n");
    Openssl.ok(ext, "x509", "-req", "-in", r.newCsr().toString(), "-CA", "root.crt", "-CAkey", "root.key",
        "-CAcreateserial", "-days", "1825", "-extfile", "ca.ext", "-out", "intermediate.crt");
    Files.writeString(ext.resolve("chain.crt"),
        Files.readString(ext.resolve("intermediate.crt")) + Files.readString(ext.resolve("root.crt")));
    assertThat(r.prepare(new NewCa.Complete(ext.resolve("chain.crt")), false).phase()).isEqualTo(Phase.PREPARED);
    for (Phase p : List.of(Phase.TRUST_BOTH, Phase.REISSUED, Phase.TRUST_NEW, Phase.FINISHED)) {
      r.advance(p, false);
      assertThat(r.status().problems()).isEmpty();
    }
    Path caFile = r.caFile();
    for (Path leaf : leaves(Catalogue.CA)) {
      Openssl.ok(root, "verify", "-CAfile", ext.resolve("root.crt").toString(),
          "-untrusted", caFile.toString(), leaf.toString());
      Openssl.ok(root, "verify", "-partial_chain", "-CAfile", caFile.toString(), leaf.toString());
    }
    Path work = Files.createDirectories(root.resolve("work"));
    Client admin = client(work, "admin", null);
    Tls.Side server = new Tls.Side(root.resolve("pki/apiserver.crt"), root.resolve("pki/apiserver.key"), caFile);
    assertThat(Tls.handshake(work, server, admin.side()))
        .as("admin.conf, whose CA data is the intermediate, against the re-signed API server").isTrue();
  }

  static List<String> fixturesWithKeys() {
    return Fixtures.names().stream().filter(n -> !n.equals(Fixtures.KEYLESS)).toList();
  }

  /** The real kubeadm trees (RSA, older layouts), rotated end to end; openssl judges each step. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("fixturesWithKeys")
  void realKubeadmTreesRotate(String name) throws IOException {
    Fixtures.copy(name, root);
    StaticPods.write(root);
    Rotation r = Rotation.of(NodeFiles.under(root), Catalogue.CA, TestPki.CLOCK);
    r.prepare(new NewCa.Generate(KeyAlgorithm.ECDSA_P256, Duration.ofDays(3650)), false);
    for (Phase p : List.of(Phase.TRUST_BOTH, Phase.REISSUED, Phase.TRUST_NEW)) {
      r.advance(p, false);
      assertThat(r.status().problems()).as("%s after %s", name, p).isEmpty();
      for (Path leaf : leaves(Catalogue.CA)) {
        Openssl.ok(root, "verify", "-no_check_time", "-CAfile", r.caFile().toString(), leaf.toString());
      }
    }
    r.abort(false);
    assertThat(r.status().problems()).isEmpty();
    for (Path leaf : leaves(Catalogue.CA)) {
      Openssl.ok(root, "verify", "-no_check_time", "-CAfile",
          Fixtures.require().resolve(name).resolve("pki/ca.crt").toString(), leaf.toString());
    }
  }

  @Test
  void aTreeWithoutCaKeysIsRefusedBeforeAnythingIsWritten() {
    Fixtures.copy(Fixtures.KEYLESS, root);
    Rotation r = Rotation.of(NodeFiles.under(root), Catalogue.CA, TestPki.CLOCK);
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> r.prepare(new NewCa.Generate(KeyAlgorithm.ECDSA_P256, Duration.ofDays(3650)), false))
        .hasMessage(root.resolve("pki/ca.key")
            + ": missing: the old CA's key is needed to abort a rotation after reissue");
    assertThat(r.dir()).doesNotExist();
  }

  private List<Path> leaves(String ca) {
    return Catalogue.LEAVES.stream().filter(e -> e.caName().equals(ca))
        .map(e -> root.resolve("pki").resolve(e.baseName() + ".crt"))
        .filter(Files::exists).toList();
  }

  record Client(Path cert, Path key, Path trust) {
    Tls.Side side() {
      return new Tls.Side(cert, key, trust);
    }
  }

  /** A client's files: admin.conf's credentials, or a leaf pair with the CA file as its trust. */
  private Client client(Path work, String name, String leafBase) throws IOException {
    Path cert = work.resolve(name + ".crt");
    Path key = work.resolve(name + ".key");
    Path trust = work.resolve(name + "-trust.crt");
    if (leafBase == null) {
      KubeconfigCredentials c = Kubeconfig.read(root.resolve("admin.conf")).credentials();
      Files.write(cert, c.clientCertificate().load());
      Files.write(key, c.clientKey().load());
      Files.write(trust, c.certificateAuthority().load());
    } else {
      Files.copy(root.resolve(leafBase + ".crt"), cert, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      Files.copy(root.resolve(leafBase + ".key"), key, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      Files.copy(root.resolve("pki/etcd/ca.crt"), trust, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
    return new Client(cert, key, trust);
  }
}
