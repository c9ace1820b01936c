package dev.kcert.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kcert.core.kubeconfig.Kubeconfig;
import dev.kcert.core.kubeconfig.KubeconfigCredentials;
import dev.kcert.core.rotation.Phase;
import dev.kcert.core.rotation.Rotation;
import dev.kcert.core.rotation.NodeFiles;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A CA phase and the renewal Lease the in-cluster agent takes, against the fabric8 mock API server
 * over TLS: taken and freed around the phase, refused while another node holds it, taken from this
 * node's own stale hold and from a lapsed one, left to the agent when it records a run of its own.
 */
class CaLeaseIT {
  private static final Logger MOCK_LOG = Logger.getLogger("io.fabric8.mockwebserver");

  static {
    MOCK_LOG.setLevel(Level.WARNING);
  }

  private static final String LEASE = "kcert-renewal";

  @TempDir Path root;
  private MockApi api;
  private KubernetesClient client;
  private Path kubeconfig;
  private String[] dirs;

  @BeforeEach
  void start() throws Exception {
    dirs = Cli.controlPlane(root);
    api = MockApi.crud();
    client = api.client();
    kubeconfig = api.adminConf(root);
    assertThat(Cli.run(Cli.args(Cli.args(new String[] {"ca", "prepare", "--key-algorithm", "ECDSA-P256"}, dirs)))
        .code()).isZero();
  }

  @AfterEach
  void stop() {
    api.close();
  }

  private Cli.Run phase(String verb, String... more) {
    String[] head = {"ca", verb, "--kubeconfig", kubeconfig.toString(), "--api-timeout=30s", "--node-name", "cp-1"};
    return Cli.run(Cli.args(Cli.args(head, dirs), more));
  }

  private void holdLease(String holder, Duration ago, Map<String, String> annotations) {
    client.leases().inNamespace("kube-system").resource(new LeaseBuilder()
        .withNewMetadata().withName(LEASE).withNamespace("kube-system").withAnnotations(annotations).endMetadata()
        .withNewSpec().withHolderIdentity(holder).withLeaseDurationSeconds(120).withLeaseTransitions(3)
        .withAcquireTime(Cli.NOW.minus(ago).atZone(ZoneOffset.UTC))
        .withRenewTime(Cli.NOW.minus(ago).atZone(ZoneOffset.UTC)).endSpec().build()).create();
  }

  private Lease lease() {
    return client.leases().inNamespace("kube-system").withName(LEASE).get();
  }

  @Test
  void aPhaseTakesAMissingLeaseAndFreesItAfterwards() {
    Cli.Run r = phase("trust-both");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.err()).isEmpty();
    Lease l = lease();
    assertThat(l).isNotNull();
    assertThat(l.getSpec().getHolderIdentity()).isNull();
    assertThat(l.getSpec().getLeaseDurationSeconds()).isEqualTo(120);
    assertThat(l.getMetadata().getAnnotations()).doesNotContainKey("kcert.dev/ca-rotation");
  }

  @Test
  void aLeaseHeldByAnotherNodeRefusesThePhaseAndNothingIsWritten() {
    holdLease("cp-2", Duration.ofSeconds(10), Map.of());
    Cli.Run r = phase("trust-both");
    assertThat(r.code()).isEqualTo(ExitCodes.ERROR);
    assertThat(r.err()).isEqualTo("error: ca trust-both refused: Lease kube-system/kcert-renewal is held by cp-2"
        + " (renewed " + Cli.NOW.minusSeconds(10) + ", TTL 120s); it runs once cp-1 can take it"
        + " (wait with --lease-wait)\n");
    assertThat(r.out()).isEmpty();
    assertThat(ca().phase()).isEqualTo(Phase.PREPARED);
    assertThat(lease().getSpec().getHolderIdentity()).isEqualTo("cp-2");
  }

  @Test
  void aWaitingPhaseGivesUpAfterLeaseWait() {
    holdLease("cp-2", Duration.ZERO, Map.of());
    long t0 = System.nanoTime();
    Cli.Run r = phase("trust-both", "--lease-wait", "3s");
    assertThat(r.code()).isEqualTo(ExitCodes.ERROR);
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofSeconds(2));
    assertThat(r.err()).startsWith("error: ca trust-both refused: Lease kube-system/kcert-renewal is held by cp-2");
    assertThat(ca().phase()).isEqualTo(Phase.PREPARED);
  }

  @Test
  void aLeaseThisNodeHeldIsTakenWithoutATransition() {
    holdLease("cp-1", Duration.ofSeconds(10), Map.of());
    Cli.Run r = phase("trust-both");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(ca().phase()).isEqualTo(Phase.TRUST_BOTH);
    assertThat(lease().getSpec().getHolderIdentity()).isNull();
    assertThat(lease().getSpec().getLeaseTransitions()).isEqualTo(3);
  }

  @Test
  void aLapsedHoldOfAnotherNodeIsTakenWithATransition() {
    holdLease("cp-2", Duration.ofMinutes(5), Map.of());
    Cli.Run r = phase("trust-both");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(ca().phase()).isEqualTo(Phase.TRUST_BOTH);
    assertThat(lease().getSpec().getLeaseTransitions()).isEqualTo(4);
    assertThat(lease().getSpec().getHolderIdentity()).isNull();
  }

  @Test
  void anAgentRunOfThisNodeRecordedInTheLeaseIsLeftToTheAgent() {
    holdLease("cp-1", Duration.ofSeconds(10), Map.of("kcert.dev/phase", "restart", "kcert.dev/backup", "/b"));
    Cli.Run r = phase("trust-both");
    assertThat(r.code()).isEqualTo(ExitCodes.ERROR);
    assertThat(r.err()).contains("records an agent run of this node at phase restart; the agent rolls it back first");
    assertThat(ca().phase()).isEqualTo(Phase.PREPARED);
    assertThat(lease().getMetadata().getAnnotations()).containsEntry("kcert.dev/phase", "restart");
  }

  @Test
  void abortTakesTheLeaseToo() {
    assertThat(phase("trust-both").code()).isZero();
    holdLease2("cp-3");
    Cli.Run r = phase("abort");
    assertThat(r.code()).isEqualTo(ExitCodes.ERROR);
    assertThat(r.err()).startsWith("error: ca abort refused: Lease kube-system/kcert-renewal is held by cp-3");
    assertThat(ca().phase()).isEqualTo(Phase.TRUST_BOTH);
  }

  @Test
  void aLeaseNameWithoutNamespaceIsRefusedBeforeAnythingIsWritten() {
    Cli.Run r = phase("trust-both", "--lease", "kcert-renewal");
    assertThat(r.code()).isEqualTo(ExitCodes.ERROR);
    assertThat(r.err()).isEqualTo("error: --lease must be NAMESPACE/NAME, not \"kcert-renewal\"\n");
    assertThat(ca().phase()).isEqualTo(Phase.PREPARED);
    assertThat(lease()).isNull();
  }

  private void holdLease2(String holder) {
    Lease l = lease();
    l.getSpec().setHolderIdentity(holder);
    l.getSpec().setRenewTime(Cli.NOW.atZone(ZoneOffset.UTC));
    client.leases().inNamespace("kube-system").resource(l).update();
  }

  @Test
  void anUnreachableApiServerIsOneWarningAndThePhaseGoesOn() throws Exception {
    KubeconfigCredentials admin = Kubeconfig.read(root.resolve("admin.conf")).credentials();
    int port;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    Files.write(kubeconfig, Kubeconfig.create(kubeconfig, "kubernetes", "https://127.0.0.1:" + port,
        Files.readAllBytes(root.resolve("pki/ca.crt")), admin.userName(), admin.clientCertificate().load(),
        admin.clientKey().load()).render());
    Cli.Run r = phase("trust-both");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.err()).isEqualTo("warning: the API server at https://127.0.0.1:" + port
        + " is unreachable (connection refused); the cluster side of trust-both is pending: run this"
        + " command again once it answers; the renewal Lease kube-system/kcert-renewal is not taken:"
        + " make sure the agent does not work on this node meanwhile\n");
    assertThat(ca().phase()).isEqualTo(Phase.TRUST_BOTH);
  }

  private Rotation ca() {
    return Rotation.of(new NodeFiles(dev.kcert.core.pki.PkiLayout.under(root), root.resolve("manifests"),
        root.resolve("kubelet-config.yaml")), "ca", Cli.CLOCK);
  }
}
