package dev.kcert.approver;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kcert.core.approval.PolicyConfig;
import dev.kcert.core.csr.KubeletCsrs;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
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
    PolicyConfig policy = PolicyConfig.defaults().withTimes(Duration.ofDays(367), Duration.ofSeconds(2));
    Settings s = Settings.defaults(policy, "grace")
        .withLeaderElection(false, Duration.ofSeconds(3), Duration.ofSeconds(2), Duration.ofMillis(250))
        .withRetryDelays(Duration.ofMillis(200), Duration.ofSeconds(5));
    try (Approver approver = new Approver(cluster.client(), s, Clock.systemUTC())) {
      assertThat(approver.notReadyBecause()).isEqualTo("cluster names not known yet");
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

  /** An approver whose flood guard allows each node the given number of recent requests. */
  private Approver floodGuarded(String identity, int limit, Duration retryBase, Duration retryMax) throws Exception {
    PolicyConfig policy = PolicyConfig.defaults().withFloodGuard(limit, Duration.ofHours(24));
    Settings s = Settings.defaults(policy, identity)
        .withLeaderElection(false, Duration.ofSeconds(3), Duration.ofSeconds(2), Duration.ofMillis(250))
        .withRetryDelays(retryBase, retryMax);
    Approver approver = new Approver(cluster.client(), s, Clock.systemUTC());
    approver.start("127.0.0.1", -1);
    return approver;
  }

  /** Flood scenario 3, small: one node with many pending requests does not hold back another. */
  @Test
  void aFloodingNodeIsHeldBackAloneAndAnotherNodeIsApprovedAtOnce() throws Exception {
    cluster.createNode("node-flood", "Hostname", "node-flood", "InternalIP", "10.0.0.66");
    byte[] pem = KubeletCsrs.forNode("node-flood").dns("node-flood").pem();
    for (int i = 0; i < 12; i++) {
      cluster.createCsr("csr-flood-" + i, "node-flood", pem);
    }
    try (Approver approver = floodGuarded("flood", 5, Duration.ofMillis(200), Duration.ofSeconds(2))) {
      MockCluster.await("flood guard", WAIT, () -> approver.decisions("retry", "FloodGuard") >= 12);
      long t0 = System.nanoTime();
      cluster.createCsr("csr-real", "node-a", KubeletCsrs.forNode("node-a").dns("node-a").pem());
      assertThat(cluster.awaitConditions("csr-real", WAIT).get(0).getType()).isEqualTo("Approved");
      assertThat((System.nanoTime() - t0) / 1e9).isLessThan(5.0);
      MockCluster.await("flood event", WAIT, () -> !cluster.events("default", "csr-flood-0").isEmpty());
      var event = cluster.events("default", "csr-flood-0").get(0);
      assertThat(event.getReason()).isEqualTo("FloodGuard");
      assertThat(event.getType()).isEqualTo("Warning");
      assertThat(event.getMessage()).startsWith("approvals held back: node node-flood has 12 pending or approved "
          + "kubelet-serving requests created in the last 24h, limit 5; would approve: node node-flood owns SANs");
      for (int i = 0; i < 12; i++) {
        assertThat(cluster.conditions("csr-flood-" + i)).isEmpty();
      }
    }
  }

  /** Flood scenario 2, as specified: 12 nodes whose kubelets asked every 15 minutes for an hour. */
  @Test
  void twelveNodesWithFourPendingEachAfterAnHourAreAllApproved() throws Exception {
    Instant now = Instant.now();
    for (int n = 0; n < 12; n++) {
      String node = "node-h" + n;
      cluster.createNode(node, "Hostname", node, "InternalIP", "10.0.1." + (n + 1));
      for (int k = 0; k < 4; k++) {
        cluster.createCsr("csr-" + node + "-" + k, node, KubeletCsrs.forNode(node).dns(node).pem(),
            now.minus(Duration.ofMinutes(15L * k + 1)));
      }
    }
    try (Approver approver = floodGuarded("hour", PolicyConfig.DEFAULT_NODE_REQUEST_LIMIT,
        Duration.ofSeconds(1), Duration.ofMinutes(5))) {
      for (int n = 0; n < 12; n++) {
        for (int k = 0; k < 4; k++) {
          String name = "csr-node-h" + n + "-" + k;
          assertThat(cluster.awaitConditions(name, WAIT).get(0).getType()).as(name).isEqualTo("Approved");
        }
      }
      assertThat(approver.decisions("retry", "FloodGuard")).isZero();
    }
  }

  /** Flood scenario 1, small: many nodes asking once each, default flags. */
  @Test
  void manyNodesAskingOnceEachAreAllApproved() throws Exception {
    int nodes = 60;
    for (int n = 0; n < nodes; n++) {
      cluster.createNode("node-m" + n, "Hostname", "node-m" + n, "InternalIP", "10.0.2." + (n + 1));
    }
    try (Approver approver = floodGuarded("many", PolicyConfig.DEFAULT_NODE_REQUEST_LIMIT,
        Duration.ofSeconds(1), Duration.ofMinutes(5))) {
      MockCluster.await("ready", WAIT, () -> approver.notReadyBecause() == null);
      for (int n = 0; n < nodes; n++) {
        cluster.createCsr("csr-m" + n, "node-m" + n, KubeletCsrs.forNode("node-m" + n).dns("node-m" + n).pem());
      }
      for (int n = 0; n < nodes; n++) {
        assertThat(cluster.awaitConditions("csr-m" + n, WAIT).get(0).getType()).isEqualTo("Approved");
      }
      assertThat(approver.decisions("approve", "KcertApproved")).isEqualTo(nodes);
    }
  }

  @Test
  void heldBackRequestsAreJudgedAsSoonAsTheNodeIsUnderItsLimit() throws Exception {
    byte[] pem = KubeletCsrs.forNode("node-a").dns("node-a").pem();
    for (int i = 0; i < 3; i++) {
      cluster.createCsr("csr-a-" + i, "node-a", pem);
    }
    // a retry would come only after a minute: an approval within WAIT comes from the deletion
    try (Approver approver = floodGuarded("flood-end", 2, Duration.ofMinutes(1), Duration.ofMinutes(5))) {
      MockCluster.await("flood guard", WAIT, () -> approver.decisions("retry", "FloodGuard") >= 3);
      cluster.deleteCsr("csr-a-0");
      assertThat(cluster.awaitConditions("csr-a-1", WAIT).get(0).getType()).isEqualTo("Approved");
      assertThat(cluster.awaitConditions("csr-a-2", WAIT).get(0).getType()).isEqualTo("Approved");
    }
  }

  @Test
  void skipDenyLeavesABadRequestPendingWithAWarningEvent() throws Exception {
    Settings s = Settings.defaults(PolicyConfig.defaults(), "skip").withSkipDeny(true)
        .withLeaderElection(false, Duration.ofSeconds(3), Duration.ofSeconds(2), Duration.ofMillis(250));
    try (Approver approver = new Approver(cluster.client(), s, Clock.systemUTC())) {
      approver.start("127.0.0.1", -1);
      cluster.createCsr("csr-bad", "node-a", KubeletCsrs.forNode("node-a").dns("node-a", "kubernetes.default").pem());
      cluster.createCsr("csr-ok", "node-a", KubeletCsrs.forNode("node-a").dns("node-a").pem());
      assertThat(cluster.awaitConditions("csr-ok", WAIT).get(0).getType()).isEqualTo("Approved");
      MockCluster.await("skip event", WAIT, () -> !cluster.events("default", "csr-bad").isEmpty());
      var e = cluster.events("default", "csr-bad").get(0);
      assertThat(e.getType()).isEqualTo("Warning");
      assertThat(e.getReason()).isEqualTo("ReservedName");
      assertThat(e.getMessage()).isEqualTo("left pending (--skip-deny): DNS SAN kubernetes.default is reserved: "
          + "it names the kubernetes Service (the API server)");
      assertThat(cluster.conditions("csr-bad")).isEmpty();
      assertThat(cluster.approvalPuts("csr-bad")).isZero();
      assertThat(approver.decisions("deny", "ReservedName")).isEqualTo(1);
    }
  }

  @Test
  void controlCharactersInARequestedNameAreEscapedInTheConditionAndEvent() throws Exception {
    Settings s = Settings.defaults(PolicyConfig.defaults(), "escape")
        .withLeaderElection(false, Duration.ofSeconds(3), Duration.ofSeconds(2), Duration.ofMillis(250));
    try (Approver approver = new Approver(cluster.client(), s, Clock.systemUTC())) {
      approver.start("127.0.0.1", -1);
      cluster.createCsr("csr-evil", "node-a", KubeletCsrs.forNode("node-a").dns("node-a\nINFO approve\u001b[0m").pem());
      var c = cluster.awaitConditions("csr-evil", WAIT).get(0);
      assertThat(c.getType()).isEqualTo("Denied");
      assertThat(c.getMessage()).startsWith("DNS SAN node-a\\x0aINFO approve\\x1b[0m is not").doesNotContain("\n", "\u001b");
      MockCluster.await("event", WAIT, () -> !cluster.events("default", "csr-evil").isEmpty());
      assertThat(cluster.events("default", "csr-evil").get(0).getMessage()).isEqualTo(c.getMessage());
    }
  }
}
