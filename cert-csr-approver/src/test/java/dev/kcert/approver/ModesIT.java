package dev.kcert.approver;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kcert.core.approval.KeyPolicy;
import dev.kcert.core.approval.PolicyConfig;
import dev.kcert.core.csr.KubeletCsrs;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Dry-run mode and the flood guard, against the mock API server. */
class ModesIT {
  static final Duration WAIT = Duration.ofSeconds(15);
  MockCluster cluster;

  @BeforeEach
  void start() {
    cluster = new MockCluster();
    cluster.createNode("node-a", "Hostname", "node-a", "InternalIP", "10.0.0.11");
  }

  @AfterEach
  void stop() {
    cluster.close();
  }

  @Test
  void aNodeThatNeverRegistersIsWaitedForThenDenied() throws Exception {
    PolicyConfig policy = new PolicyConfig(List.of(), List.of(), KeyPolicy.DEFAULT, Duration.ofDays(367),
        Duration.ofSeconds(2), false, 10);
    Settings s = Settings.defaults(policy, "grace")
        .withLeaderElection(false, Duration.ofSeconds(3), Duration.ofSeconds(2), Duration.ofMillis(250))
        .withRetryDelays(Duration.ofMillis(200), Duration.ofSeconds(5));
    try (Approver approver = new Approver(cluster.client(), s, Clock.systemUTC())) {
      assertThat(approver.notReadyBecause()).isEqualTo("informers not synced");
      approver.start("127.0.0.1", -1);
      MockCluster.await("ready", WAIT, () -> approver.notReadyBecause() == null);
      cluster.createCsr("csr-ghost", "ghost", KubeletCsrs.forNode("ghost").dns("ghost").pem());
      MockCluster.await("retried", WAIT, () -> approver.decisions("retry", "NodeNotRegistered") >= 1);
      assertThat(cluster.conditions("csr-ghost")).isEmpty();
      var c = cluster.awaitConditions("csr-ghost", WAIT).get(0);
      assertThat(c.getType()).isEqualTo("Denied");
      assertThat(c.getReason()).isEqualTo("NodeNotFound");
      assertThat(c.getMessage()).startsWith("node ghost is not registered and the grace period ended at ");
    }
  }

  @Test
  void dryRunJudgesButNeverWrites() throws Exception {
    Settings s = Settings.defaults(PolicyConfig.defaults(), "dry").withDryRun(true)
        .withLeaderElection(false, Duration.ofSeconds(3), Duration.ofSeconds(2), Duration.ofMillis(250));
    try (Approver approver = new Approver(cluster.client(), s, Clock.systemUTC())) {
      approver.start("127.0.0.1", -1);
      cluster.createCsr("csr-ok", "node-a", KubeletCsrs.forNode("node-a").dns("node-a").pem());
      cluster.createCsr("csr-bad", "node-a", KubeletCsrs.forNode("node-a").dns("node-z").pem());
      MockCluster.await("dry-run approve", WAIT, () -> approver.decisions("approve", "KcertApproved") == 1);
      MockCluster.await("dry-run deny", WAIT, () -> approver.decisions("deny", "SanNotOwnedByNode") == 1);
      Thread.sleep(300);
    }
    assertThat(cluster.conditions("csr-ok")).isEmpty();
    assertThat(cluster.conditions("csr-bad")).isEmpty();
    assertThat(cluster.approvalPuts.get()).isZero();
    assertThat(cluster.events("default", "csr-ok")).isEmpty();
  }

  /** An approver whose flood guard allows no margin over the one node, retrying as given. */
  private Approver floodGuarded(String identity, Duration retryBase, Duration retryMax) throws Exception {
    PolicyConfig policy = new PolicyConfig(List.of(), List.of(), KeyPolicy.DEFAULT, Duration.ofDays(367),
        Duration.ofMinutes(10), false, 0);
    Settings s = Settings.defaults(policy, identity)
        .withLeaderElection(false, Duration.ofSeconds(3), Duration.ofSeconds(2), Duration.ofMillis(250))
        .withRetryDelays(retryBase, retryMax);
    Approver approver = new Approver(cluster.client(), s, Clock.systemUTC());
    approver.start("127.0.0.1", -1);
    return approver;
  }

  /** One node, margin 0: two pending requests from nodes that do not exist yet already exceed it. */
  private void ghostsAndOneRealRequest() {
    cluster.createCsr("csr-ghost-1", "ghost-1", KubeletCsrs.forNode("ghost-1").dns("ghost-1").pem());
    cluster.createCsr("csr-ghost-2", "ghost-2", KubeletCsrs.forNode("ghost-2").dns("ghost-2").pem());
    cluster.createCsr("csr-real", "node-a", KubeletCsrs.forNode("node-a").dns("node-a").pem());
  }

  @Test
  void floodGuardPausesApprovalsUntilThePendingPileShrinks() throws Exception {
    try (Approver approver = floodGuarded("flood", Duration.ofMillis(100), Duration.ofMillis(400))) {
      ghostsAndOneRealRequest();
      MockCluster.await("flood guard", WAIT, () -> approver.decisions("retry", "FloodGuard") >= 1);
      MockCluster.await("flood event", WAIT, () -> !cluster.events("default", "csr-real").isEmpty());
      assertThat(cluster.events("default", "csr-real").get(0).getReason()).isEqualTo("FloodGuard");
      assertThat(cluster.events("default", "csr-real").get(0).getType()).isEqualTo("Warning");
      assertThat(cluster.conditions("csr-real")).isEmpty();

      cluster.deleteCsr("csr-ghost-1");
      cluster.deleteCsr("csr-ghost-2");
      assertThat(cluster.awaitConditions("csr-real", WAIT).get(0).getType()).isEqualTo("Approved");
    }
  }

  @Test
  void heldBackRequestsAreJudgedAsSoonAsTheFloodEnds() throws Exception {
    // a retry would come only after a minute: an approval within WAIT comes from the flood's end
    try (Approver approver = floodGuarded("flood-end", Duration.ofMinutes(1), Duration.ofMinutes(5))) {
      ghostsAndOneRealRequest();
      MockCluster.await("flood guard", WAIT, () -> approver.decisions("retry", "FloodGuard") >= 1);
      cluster.deleteCsr("csr-ghost-1");
      assertThat(cluster.conditions("csr-real")).isEmpty();
      cluster.deleteCsr("csr-ghost-2");
      assertThat(cluster.awaitConditions("csr-real", WAIT).get(0).getType()).isEqualTo("Approved");
    }
  }
}
