package dev.kcert.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kcert.core.csr.CsrInfo;
import dev.kcert.core.csr.CsrParser;
import dev.kcert.core.keys.KeyAlgorithm;
import dev.kcert.core.keys.KeyPairs;
import dev.kcert.core.kubeconfig.Kubeconfig;
import dev.kcert.core.model.ExtendedKeyUsage;
import dev.kcert.core.pem.Certificates;
import dev.kcert.core.pem.Pem;
import dev.kcert.core.pem.PrivateKeys;
import dev.kcert.core.pki.CertificateSigner;
import dev.kcert.core.pki.CertificateTemplate;
import dev.kcert.core.rotation.Rotation;
import dev.kcert.core.testing.Openssl;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequest;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequestStatusBuilder;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code kcert ca} on a worker node (ca.crt and kubelet.conf, no CA key) against the fabric8 mock
 * API server in CRUD mode, where the test plays the cluster's signer: it approves and issues the
 * kubelet's CertificateSigningRequest with the new CA's key (or, for the hostile cases, with the
 * wrong CA, key or name). The kubelet's client certificate is judged by {@code openssl verify}
 * under the old, both and new bundles at every phase boundary.
 */
class CaWorkerIT {
  private static final Logger MOCK_LOG = Logger.getLogger("io.fabric8.mockwebserver");

  static {
    MOCK_LOG.setLevel(Level.WARNING);
  }

  /** The mock's first answer can take seconds on a loaded machine. */
  private static final String PATIENT = "--api-timeout=30s";
  private static final String NODE = "worker-1";

  /** What the test's signer does with a request. */
  enum Signer { GOOD, NEVER, OLD_CA, WRONG_KEY, WRONG_CN }

  @TempDir Path root;
  private Path cp;
  private Path w;
  private Path kubeletDir;
  private Path judge;
  private String[] wdirs;
  private MockApi api;
  private KubernetesClient client;
  private Path mockConf;
  private X509Certificate oldCa;
  private PrivateKey oldKey;
  private X509Certificate newCa;
  private PrivateKey newKey;
  private KeyPair kubeletPair;
  private KubeletHealthz healthz;
  private volatile Signer signer = Signer.GOOD;
  private final List<CertificateSigningRequest> requests = new CopyOnWriteArrayList<>();
  private final List<Throwable> signerFailures = new CopyOnWriteArrayList<>();
  private ScheduledExecutorService signing;
  private volatile boolean stopping;

  @BeforeEach
  void start() throws Exception {
    cp = root.resolve("cp");
    Cli.pki(cp);
    Cli.Run prepared = Cli.run("ca", "prepare", "--cert-dir", cp.resolve("pki").toString(),
        "--kubeconfig-dir", cp.toString(), "--manifest-dir", cp.resolve("manifests").toString(),
        "--kubelet-config", cp.resolve("kubelet-config.yaml").toString());
    assertThat(prepared.code()).as(prepared.out() + prepared.err()).isZero();
    oldCa = Certificates.readBundle(cp.resolve("pki/ca.crt")).get(0);
    oldKey = PrivateKeys.read(cp.resolve("pki/ca.key"));
    newCa = Certificates.readBundle(newCrt()).get(0);
    newKey = PrivateKeys.read(cp.resolve("pki/kcert-rotation/ca/new.key"));
    // the control-plane node's prepare names the file for workers and its pin
    assertThat(prepared.out()).contains("worker nodes: copy " + newCrt())
        .contains("--new-ca-hash " + Rotation.discoveryHash(newCa));
    worker();
    judge = Files.createDirectories(root.resolve("judge"));
    Files.writeString(judge.resolve("old.pem"), pem(oldCa));
    Files.writeString(judge.resolve("both.pem"), pem(oldCa, newCa));
    Files.writeString(judge.resolve("new.pem"), pem(newCa));

    api = MockApi.crud();
    client = api.client();
    mockConf = root.resolve("worker-mock.conf");
    Files.write(mockConf, Kubeconfig.create(mockConf, "mock", api.url(),
        api.servingCert(), "system:node:" + NODE, pem(kubeletCert()).getBytes(StandardCharsets.US_ASCII),
        PrivateKeys.toPem(kubeletPair).getBytes(StandardCharsets.US_ASCII)).render());
    healthz = KubeletHealthz.start();
    signing = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "test-signer");
      t.setDaemon(true);
      return t;
    });
    signing.scheduleWithFixedDelay(this::sign, 50, 100, TimeUnit.MILLISECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    stopping = true;
    signing.shutdownNow();
    signing.awaitTermination(10, TimeUnit.SECONDS);
    healthz.close();
    api.close();
    assertThat(signerFailures).as("the test's signer").isEmpty();
  }

  private Path newCrt() {
    return cp.resolve("pki/kcert-rotation/ca/new.crt");
  }

  /**
   * A worker as kubeadm join leaves it: pki/ca.crt alone, kubelet.conf pointing at
   * kubelet-client-current.pem, a link to the kubelet's certificate and key (0600), and the
   * kubelet's configuration naming ca.crt as its clientCAFile.
   */
  private void worker() throws Exception {
    w = root.resolve("w");
    kubeletDir = w.resolve("kubelet-pki");
    Files.createDirectories(w.resolve("pki"));
    Files.createDirectories(kubeletDir);
    Files.copy(cp.resolve("pki/ca.crt"), w.resolve("pki/ca.crt"));
    kubeletPair = KeyAlgorithm.ECDSA_P256.generate();
    X509Certificate cert = CertificateSigner.sign(clientTemplate("system:node:" + NODE, Cli.MADE),
        kubeletPair.getPublic(), oldCa, oldKey);
    Path pemFile = kubeletDir.resolve("kubelet-client-2026-01-10-08-00-00.pem");
    Files.writeString(pemFile, pem(cert) + PrivateKeys.toPem(kubeletPair));
    Files.setPosixFilePermissions(pemFile, PosixFilePermissions.fromString("rw-------"));
    Files.createSymbolicLink(kubeletDir.resolve("kubelet-client-current.pem"), pemFile.toAbsolutePath());
    Path current = kubeletDir.resolve("kubelet-client-current.pem").toAbsolutePath();
    Files.writeString(w.resolve("kubelet.conf"), "apiVersion: v1\nclusters:\n- cluster:\n"
        + "    certificate-authority-data: " + b64(oldCa) + "\n    server: https://10.0.0.10:6443\n"
        + "  name: default-cluster\ncontexts:\n- context:\n    cluster: default-cluster\n"
        + "    namespace: default\n    user: default-auth\n  name: default-context\n"
        + "current-context: default-context\nkind: Config\npreferences: {}\nusers:\n"
        + "- name: default-auth\n  user:\n    client-certificate: " + current + "\n"
        + "    client-key: " + current + "\n");
    Files.setPosixFilePermissions(w.resolve("kubelet.conf"), PosixFilePermissions.fromString("rw-------"));
    Files.writeString(w.resolve("kubelet-config.yaml"), "apiVersion: kubelet.config.k8s.io/v1beta1\n"
        + "kind: KubeletConfiguration\nauthentication:\n  x509:\n    clientCAFile: "
        + w.resolve("pki/ca.crt").toAbsolutePath() + "\n");
    wdirs = new String[] {"--cert-dir", w.resolve("pki").toString(), "--kubeconfig-dir", w.toString(),
        "--kubelet-dir", kubeletDir.toString(), "--manifest-dir", w.resolve("manifests").toString(),
        "--kubelet-config", w.resolve("kubelet-config.yaml").toString()};
  }

  private static CertificateTemplate clientTemplate(String cn, Instant from) {
    return new CertificateTemplate(cn, List.of("system:nodes"), List.of(), List.of(),
        Set.of(ExtendedKeyUsage.CLIENT_AUTH), false, from.minus(Duration.ofHours(1)),
        from.plus(Duration.ofDays(365)));
  }

  // ------------------------------------------------------------ the test's signer

  /** Approves and issues every request not issued yet, as the signer the test plays says. */
  private void sign() {
    try {
      for (CertificateSigningRequest csr
          : client.certificates().v1().certificateSigningRequests().list().getItems()) {
        if (csr.getStatus() != null && csr.getStatus().getCertificate() != null) {
          continue;
        }
        if (requests.stream().noneMatch(r -> r.getMetadata().getName().equals(csr.getMetadata().getName()))) {
          requests.add(csr);
        }
        Signer how = signer;
        if (how == Signer.NEVER) {
          continue;
        }
        byte[] request = Base64.getDecoder().decode(csr.getSpec().getRequest());
        PublicKey key = new JcaPKCS10CertificationRequest(
            Pem.parse(request, "request").get(0).der()).getPublicKey();
        if (how == Signer.WRONG_KEY) {
          key = KeyAlgorithm.ECDSA_P256.generate().getPublic();
        }
        String cn = how == Signer.WRONG_CN ? "system:node:worker-2" : "system:node:" + NODE;
        X509Certificate issued = how == Signer.OLD_CA
            ? CertificateSigner.sign(clientTemplate(cn, Cli.NOW), key, oldCa, oldKey)
            : CertificateSigner.sign(clientTemplate(cn, Cli.NOW), key, newCa, newKey);
        csr.setStatus(new CertificateSigningRequestStatusBuilder()
            .addNewCondition().withType("Approved").withStatus("True").withReason("TestSigner")
            .withMessage("the test plays the signer").endCondition()
            .withCertificate(b64(issued)).build());
        client.certificates().v1().certificateSigningRequests().resource(csr).updateStatus();
      }
    } catch (Exception | AssertionError e) {
      if (!stopping) {
        signerFailures.add(e);
      }
    }
  }

  // ------------------------------------------------------------ helpers

  private Cli.Run ca(String verb, String... more) {
    List<String> a = new ArrayList<>(List.of("ca", verb));
    a.addAll(List.of(wdirs));
    if (!verb.equals("status")) {
      a.addAll(List.of("--kubeconfig", mockConf.toString(), PATIENT));
    }
    if (!List.of("status", "prepare", "abort").contains(verb)) {
      a.addAll(List.of("--csr-poll", "PT0.1S"));
    }
    a.addAll(List.of(more));
    return Cli.run(a.toArray(String[]::new));
  }

  private static String pem(X509Certificate... certs) {
    StringBuilder sb = new StringBuilder();
    for (X509Certificate c : certs) {
      sb.append(Certificates.toPem(c));
    }
    return sb.toString();
  }

  private static String b64(X509Certificate... certs) {
    return Base64.getEncoder().encodeToString(pem(certs).getBytes(StandardCharsets.US_ASCII));
  }

  private X509Certificate kubeletCert() {
    return Certificates.readBundle(kubeletDir.resolve("kubelet-client-current.pem")).get(0);
  }

  private List<X509Certificate> caFile() {
    return Certificates.readBundle(w.resolve("pki/ca.crt"));
  }

  private List<X509Certificate> kubeletConfCa() {
    return Certificates.parseBundle(Kubeconfig.read(w.resolve("kubelet.conf")).credentials()
        .certificateAuthority().load(), "kubelet.conf");
  }

  /** openssl's verdict on the kubelet's client certificate under each bundle: old, both, new. */
  private List<Boolean> verdicts() throws Exception {
    return verdicts(kubeletCert());
  }

  private List<Boolean> verdicts(X509Certificate cert) throws Exception {
    Files.writeString(judge.resolve("kubelet.pem"), pem(cert));
    List<Boolean> v = new ArrayList<>();
    for (String bundle : List.of("old.pem", "both.pem", "new.pem")) {
      v.add(Openssl.run(judge, "verify", "-attime", Long.toString(Cli.NOW.getEpochSecond()),
          "-CAfile", bundle, "kubelet.pem").exitCode() == 0);
    }
    return v;
  }

  private void clusterInfo(X509Certificate... cas) {
    String kubeconfig = "apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: "
        + b64(cas) + "\n    server: https://10.0.0.10:6443\n  name: \"\"\ncontexts: null\n"
        + "current-context: \"\"\nkind: Config\npreferences: {}\nusers: null\n";
    client.configMaps().inNamespace("kube-public").resource(new ConfigMapBuilder().withNewMetadata()
        .withName("cluster-info").withNamespace("kube-public").endMetadata()
        .withData(Map.of("kubeconfig", kubeconfig)).build()).create();
  }

  private void readyNode(Instant heartbeat) {
    client.nodes().resource(new NodeBuilder().withNewMetadata().withName(NODE).endMetadata()
        .withNewStatus().addNewCondition().withType("Ready").withStatus("True")
        .withReason("KubeletReady").withLastHeartbeatTime(heartbeat.toString()).endCondition()
        .endStatus().build()).create();
  }

  private Path fakeRestart(int exitCode) throws Exception {
    Path script = root.resolve("restart-kubelet-" + exitCode);
    Files.writeString(script, "#!/bin/sh\necho restarted >> '" + root.resolve("restarts.log")
        + "'\necho 'Job for kubelet.service failed' >&2\nexit " + exitCode + "\n");
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
    return script;
  }

  private long restartsLogged() throws Exception {
    Path log = root.resolve("restarts.log");
    return Files.exists(log) ? Files.readAllLines(log).size() : 0;
  }

  private void assertPhase(String verb) {
    Cli.Run r = ca(verb);
    assertThat(r.code()).as(verb + ": " + r.out() + r.err()).isZero();
    assertThat(r.err()).isEmpty();
    Cli.Run s = ca("status");
    assertThat(s.code()).as("status after " + verb + ": " + s.out()).isZero();
    assertThat(s.out()).startsWith("ca: phase " + verb + ", proven on disk");
  }

  // ------------------------------------------------------------ the tests

  @Test
  void aWorkerGoesThroughEveryPhaseAndItsKubeletStaysTrustedThroughout() throws Exception {
    assertThat(verdicts()).containsExactly(true, true, false);
    Cli.Run p = ca("prepare", "--new-ca-cert", newCrt().toString());
    assertThat(p.code()).as(p.out() + p.err()).isZero();
    // without a pin, the certificate's pin is printed for the admin to compare
    assertThat(p.out()).contains("new CA " + Rotation.discoveryHash(newCa) + " (from " + newCrt() + ")");
    assertThat(Certificates.readBundle(w.resolve("pki/kcert-rotation/ca/new.crt"))).containsExactly(newCa);
    assertThat(caFile()).containsExactly(oldCa);

    assertPhase("trust-both");
    assertThat(caFile()).containsExactly(oldCa, newCa);
    assertThat(kubeletConfCa()).containsExactly(oldCa, newCa);
    assertThat(verdicts()).containsExactly(true, true, false);
    assertThat(ca("trust-both").out()).contains("ca: trust-both is done already; nothing was written");
    assertThat(requests).isEmpty();

    String linkBefore = Files.readSymbolicLink(kubeletDir.resolve("kubelet-client-current.pem")).toString();
    assertPhase("reissue");
    // the request is the kubelet's: its signer, its usages, its names, its key
    assertThat(requests).hasSize(1);
    CertificateSigningRequest csr = requests.get(0);
    assertThat(csr.getSpec().getSignerName()).isEqualTo("kubernetes.io/kube-apiserver-client-kubelet");
    assertThat(csr.getSpec().getUsages()).containsExactly("digital signature", "client auth");
    CsrInfo info = CsrParser.parsePem(Base64.getDecoder().decode(csr.getSpec().getRequest()), "csr");
    assertThat(info.commonNames()).containsExactly("system:node:" + NODE);
    assertThat(info.organizations()).containsExactly("system:nodes");
    assertThat(info.dnsNames()).isEmpty();
    // installed as the kubelet installs it: a new dated file (0600) and the link swapped
    Path link = kubeletDir.resolve("kubelet-client-current.pem");
    assertThat(Files.isSymbolicLink(link)).isTrue();
    Path target = Files.readSymbolicLink(link);
    assertThat(target.toString()).isNotEqualTo(linkBefore)
        .isEqualTo(kubeletDir.resolve("kubelet-client-2026-11-23-12-00-00.pem").toAbsolutePath().toString());
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(target))).isEqualTo("rw-------");
    assertThat(kubeletCert().getPublicKey()).isEqualTo(kubeletPair.getPublic());
    assertThat(KeyPairs.matches(PrivateKeys.read(link), kubeletPair.getPublic())).isTrue();
    assertThat(Certificates.isSignedBy(kubeletCert(), newCa)).isTrue();
    assertThat(Path.of(linkBefore)).exists(); // the kubelet's old file stays, as the kubelet leaves it
    assertThat(verdicts()).containsExactly(false, true, true);
    assertThat(caFile()).containsExactly(newCa, oldCa);
    Cli.Run again = ca("reissue");
    assertThat(again.out()).contains("ca: reissue is done already; nothing was written");
    assertThat(requests).hasSize(1);

    // trust-new refuses while the kubelet's certificate is one the old CA signed
    Files.delete(link);
    Files.createSymbolicLink(link, Path.of(linkBefore));
    Map<String, String> atReissue = Cli.snapshot(w);
    Cli.Run refused = ca("trust-new");
    assertThat(refused.code()).isEqualTo(ExitCodes.ERROR);
    assertThat(refused.err().lines()).hasSize(1);
    assertThat(refused.err()).contains("trust-new will not start")
        .contains("(kubelet.conf): signed by old, not by new");
    assertThat(Cli.snapshot(w)).isEqualTo(atReissue);
    Files.delete(link);
    Files.createSymbolicLink(link, target);

    assertPhase("trust-new");
    assertThat(caFile()).containsExactly(newCa);
    assertThat(kubeletConfCa()).containsExactly(newCa);
    assertThat(verdicts()).containsExactly(false, true, true);

    Cli.Run f = ca("finish");
    assertThat(f.code()).as(f.out() + f.err()).isZero();
    assertThat(f.out()).contains("ca: finish done: 0 files written");
    assertThat(ca("status").out()).startsWith("ca: phase finish, proven on disk");
    assertThat(verdicts()).containsExactly(false, true, true);
    // every private file stays private
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(w.resolve("kubelet.conf"))))
        .isEqualTo("rw-------");
  }

  @Test
  void theNewCaIsReadFromClusterInfoWhenItMatchesThePin() throws Exception {
    clusterInfo(oldCa, newCa);
    Cli.Run p = ca("prepare", "--new-ca-hash", Rotation.discoveryHash(newCa));
    assertThat(p.code()).as(p.out() + p.err()).isZero();
    assertThat(p.out()).contains("new CA " + Rotation.discoveryHash(newCa)
        + " (from kube-public/cluster-info at " + api.url() + ")");
    assertThat(Certificates.readBundle(w.resolve("pki/kcert-rotation/ca/new.crt"))).containsExactly(newCa);
    assertPhase("trust-both");
  }

  @Test
  void aClusterInfoThatHoldsAnotherCaThanThePinnedOneIsRefusedAndNothingIsWritten() throws Exception {
    KeyPair other = KeyAlgorithm.ECDSA_P256.generate();
    X509Certificate planted = CertificateSigner.selfSignedCa(new CertificateTemplate("kubernetes",
        List.of(), List.of(), List.of(), Set.of(), true, Cli.MADE, Cli.MADE.plus(Duration.ofDays(3650))), other);
    clusterInfo(oldCa, planted);
    Map<String, String> before = Cli.snapshot(w);
    Cli.Run p = ca("prepare", "--new-ca-hash", Rotation.discoveryHash(newCa));
    assertThat(p.code()).isEqualTo(ExitCodes.ERROR);
    assertThat(p.err().lines()).hasSize(1);
    assertThat(p.err()).startsWith("error: kube-public/cluster-info at https://localhost:")
        .contains("holds no certificate whose key matches --new-ca-hash " + Rotation.discoveryHash(newCa))
        .contains(Rotation.discoveryHash(planted)).contains("nothing was written");
    assertThat(Cli.snapshot(w)).isEqualTo(before);
  }

  @Test
  void aFileThatIsNotTheNewCaIsRefusedAndNothingIsWritten() throws Exception {
    Map<String, String> before = Cli.snapshot(w);
    Path oldFile = w.resolve("pki/ca.crt");
    Path leaf = root.resolve("leaf.crt");
    Files.writeString(leaf, pem(kubeletCert()));
    String pin = Rotation.discoveryHash(newCa);
    String wrongPin = pin.substring(0, pin.length() - 1) + (pin.endsWith("0") ? "1" : "0");
    record Case(List<String> args, String says) {}
    for (Case c : List.of(
        new Case(List.of("--new-ca-cert", newCrt().toString(), "--new-ca-hash", Rotation.discoveryHash(oldCa)),
            "holds no certificate whose key matches --new-ca-hash"),
        new Case(List.of("--new-ca-cert", newCrt().toString(), "--new-ca-hash", wrongPin),
            "holds no certificate whose key matches --new-ca-hash"),
        new Case(List.of("--new-ca-cert", oldFile.toString()), "has the old CA's key"),
        new Case(List.of("--new-ca-cert", leaf.toString()), "is not a CA certificate"))) {
      Cli.Run p = ca("prepare", c.args().toArray(String[]::new));
      assertThat(p.code()).as(c.toString() + p.out() + p.err()).isEqualTo(ExitCodes.ERROR);
      assertThat(p.err().lines()).as(c.toString()).hasSize(1);
      assertThat(p.err()).as(c.toString()).contains(c.says()).contains("nothing was written");
      assertThat(Cli.snapshot(w)).as(c.toString()).isEqualTo(before);
    }
    Cli.Run bad = ca("prepare", "--new-ca-hash", "md5:abc");
    assertThat(bad.code()).isEqualTo(ExitCodes.USAGE);
    Cli.Run none = ca("prepare");
    assertThat(none.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(none.err()).contains("this is a worker node");
    assertThat(Cli.snapshot(w)).isEqualTo(before);
  }

  @Test
  void aRequestThatIsNeverIssuedTimesOutInOneLineAndNothingIsWritten() throws Exception {
    assertThat(ca("prepare", "--new-ca-cert", newCrt().toString()).code()).isZero();
    assertPhase("trust-both");
    signer = Signer.NEVER;
    Map<String, String> before = Cli.snapshot(w);
    Path target = Files.readSymbolicLink(kubeletDir.resolve("kubelet-client-current.pem"));
    Cli.Run r = ca("reissue", "--timeout", "2s");
    assertThat(r.code()).isEqualTo(ExitCodes.ERROR);
    assertThat(r.err().lines()).hasSize(1);
    assertThat(r.err()).startsWith("error: CertificateSigningRequest kcert-kubelet-worker-1-")
        .contains("was not issued within 2s (not approved");
    assertThat(requests).hasSize(1);
    assertThat(Cli.snapshot(w)).isEqualTo(before);
    assertThat(Files.readSymbolicLink(kubeletDir.resolve("kubelet-client-current.pem"))).isEqualTo(target);
    assertThat(ca("status").out()).startsWith("ca: phase trust-both, proven on disk");
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(value = Signer.class, names = {"OLD_CA", "WRONG_KEY", "WRONG_CN"})
  void aHostileIssuedCertificateIsRefusedAndNothingIsWritten(Signer how) throws Exception {
    assertThat(ca("prepare", "--new-ca-cert", newCrt().toString()).code()).isZero();
    assertPhase("trust-both");
    signer = how;
    Map<String, String> before = Cli.snapshot(w);
    Cli.Run r = ca("reissue", "--timeout", "30s");
    assertThat(r.code()).as(r.out() + r.err()).isEqualTo(ExitCodes.ERROR);
    assertThat(r.err().lines()).hasSize(1);
    assertThat(r.err()).startsWith("error: ca: reissue refused: the certificate issued for"
        + " system:node:worker-1 ").endsWith("; nothing was written\n").contains(switch (how) {
          case OLD_CA -> "is signed by the old CA";
          case WRONG_KEY -> "is not for the kubelet's key";
          default -> "names CN=system:node:worker-2";
        });
    assertThat(Cli.snapshot(w)).isEqualTo(before);
    assertThat(Certificates.isSignedBy(kubeletCert(), oldCa)).isTrue();
  }

  @Test
  void abortAfterReissuePutsTheKubeletsCertificateFromTheOldCaBack() throws Exception {
    assertThat(ca("prepare", "--new-ca-cert", newCrt().toString()).code()).isZero();
    assertPhase("trust-both");
    assertPhase("reissue");
    assertThat(verdicts()).containsExactly(false, true, true);
    Cli.Run a = ca("abort");
    assertThat(a.code()).as(a.out() + a.err()).isZero();
    assertThat(caFile()).containsExactly(oldCa);
    assertThat(kubeletConfCa()).containsExactly(oldCa);
    assertThat(verdicts()).containsExactly(true, true, false);
    assertThat(kubeletCert().getPublicKey()).isEqualTo(kubeletPair.getPublic());
    assertThat(KeyPairs.matches(PrivateKeys.read(kubeletDir.resolve("kubelet-client-current.pem")),
        kubeletPair.getPublic())).isTrue();
    assertThat(w.resolve("pki/kcert-rotation/ca/state")).doesNotExist();
    Cli.Run s = ca("status");
    assertThat(s.code()).as(s.out()).isZero();
    assertThat(s.out()).startsWith("ca: phase none, proven on disk");
  }

  @Test
  void aKubeletConfThatEmbedsItsCertificateGetsTheNewOneInPlace() throws Exception {
    Path conf = w.resolve("kubelet.conf");
    Files.write(conf, Kubeconfig.create(conf, "kubernetes", "https://10.0.0.10:6443",
        pem(oldCa).getBytes(StandardCharsets.US_ASCII), "system:node:" + NODE,
        pem(kubeletCert()).getBytes(StandardCharsets.US_ASCII),
        PrivateKeys.toPem(kubeletPair).getBytes(StandardCharsets.US_ASCII)).render());
    Path target = Files.readSymbolicLink(kubeletDir.resolve("kubelet-client-current.pem"));
    assertThat(ca("prepare", "--new-ca-cert", newCrt().toString()).code()).isZero();
    assertPhase("trust-both");
    assertThat(verdicts(embedded())).containsExactly(true, true, false);
    assertPhase("reissue");
    X509Certificate now = embedded();
    assertThat(Certificates.isSignedBy(now, newCa)).isTrue();
    assertThat(now.getPublicKey()).isEqualTo(kubeletPair.getPublic());
    assertThat(verdicts(now)).containsExactly(false, true, true);
    assertThat(kubeletConfCa()).containsExactly(newCa, oldCa);
    assertThat(Files.readSymbolicLink(kubeletDir.resolve("kubelet-client-current.pem"))).isEqualTo(target);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(conf))).isEqualTo("rw-------");
    Cli.Run a = ca("abort");
    assertThat(a.code()).as(a.out() + a.err()).isZero();
    assertThat(verdicts(embedded())).containsExactly(true, true, false);
    assertThat(kubeletConfCa()).containsExactly(oldCa);
  }

  private X509Certificate embedded() {
    Path conf = w.resolve("kubelet.conf");
    return Certificates.parseBundle(Kubeconfig.read(conf).credentials().clientCertificate().load(),
        "kubelet.conf").get(0);
  }

  @Test
  void aKubeletThatComesBackProvesThePhase() throws Exception {
    readyNode(Cli.NOW.plusSeconds(5));
    assertThat(ca("prepare", "--new-ca-cert", newCrt().toString()).code()).isZero();
    Cli.Run r = ca("trust-both", "--restart", "--kubelet-restart-command", fakeRestart(0).toString(),
        "--kubelet-healthz", healthz.url());
    assertThat(r.code()).as(r.out() + r.err()).isZero();
    assertThat(r.err()).isEmpty();
    assertThat(restartsLogged()).isEqualTo(1);
    assertThat(healthz.asked()).isPositive();
    assertThat(r.out()).contains("Restarting the kubelet (" + fakeRestart(0) + ")")
        .contains("Node worker-1 is Ready with a heartbeat since the restart")
        .contains("ca: trust-both proven: the kubelet restarted and answers, its Node is Ready");
    assertThat(w.resolve("pki/kcert-rotation/ca/restarts")).doesNotExist();
  }

  @Test
  void aKubeletThatNeverComesBackLeavesThePhaseUnprovenUntilARetry() throws Exception {
    readyNode(Cli.NOW.plusSeconds(5));
    assertThat(ca("prepare", "--new-ca-cert", newCrt().toString()).code()).isZero();
    healthz.up(false);
    String cmd = fakeRestart(0).toString();
    Cli.Run r = ca("trust-both", "--restart", "--restart-timeout", "2s",
        "--kubelet-restart-command", cmd, "--kubelet-healthz", healthz.url());
    assertThat(r.code()).as(r.out() + r.err()).isEqualTo(ExitCodes.ERROR);
    assertThat(r.err().lines()).hasSize(1);
    assertThat(r.err()).isEqualTo("error: ca: trust-both is not proven: the kubelet did not come back"
        + " within 2s after its restart: " + healthz.url() + ": HTTP 503\n");
    assertThat(w.resolve("pki/kcert-rotation/ca/restarts")).exists();
    assertThat(ca("status").out()).contains("NOT proven by its restarts and served proof yet");
    Cli.Run next = ca("reissue");
    assertThat(next.code()).isEqualTo(ExitCodes.ERROR);
    assertThat(next.err()).contains("ca: phase trust-both is not proven");

    // a restart command that fails is one line too
    Cli.Run failing = ca("trust-both", "--restart", "--restart-timeout", "2s",
        "--kubelet-restart-command", fakeRestart(1).toString(), "--kubelet-healthz", healthz.url());
    assertThat(failing.code()).isEqualTo(ExitCodes.ERROR);
    assertThat(failing.err()).isEqualTo("error: ca: trust-both is not proven: the kubelet restart"
        + " command (" + fakeRestart(1) + ") exited with 1: \"Job for kubelet.service failed\"\n");

    healthz.up(true);
    Cli.Run again = ca("trust-both", "--restart", "--kubelet-restart-command", cmd,
        "--kubelet-healthz", healthz.url());
    assertThat(again.code()).as(again.out() + again.err()).isZero();
    assertThat(again.out()).contains("ca: trust-both is done already; nothing was written")
        .contains("ca: trust-both proven: the kubelet restarted");
    assertThat(w.resolve("pki/kcert-rotation/ca/restarts")).doesNotExist();
    assertThat(restartsLogged()).isEqualTo(3);
    assertPhase("reissue");
  }

  @Test
  void aNodeWhoseHeartbeatIsOlderThanTheRestartIsNotReadyYet() throws Exception {
    readyNode(Cli.NOW.minusSeconds(60));
    assertThat(ca("prepare", "--new-ca-cert", newCrt().toString()).code()).isZero();
    Cli.Run r = ca("trust-both", "--restart", "--restart-timeout", "2s",
        "--kubelet-restart-command", fakeRestart(0).toString(), "--kubelet-healthz", healthz.url());
    assertThat(r.code()).as(r.out() + r.err()).isEqualTo(ExitCodes.ERROR);
    assertThat(r.err()).startsWith("error: ca: trust-both is not proven: Node worker-1 did not report"
        + " Ready since the kubelet's restart at 2026-11-23T12:00:00Z within 2s (last heartbeat");
    assertThat(w.resolve("pki/kcert-rotation/ca/restarts")).exists();
  }

  @Test
  void aWorkerRotatesOnlyTheClusterCa() {
    Cli.Run r = ca("prepare", "--ca", "etcd-ca", "--new-ca-cert", newCrt().toString());
    assertThat(r.code()).isEqualTo(ExitCodes.ERROR);
    assertThat(r.err()).contains("etcd-ca: this is a worker node").contains("a worker rotates only ca");
  }
}
