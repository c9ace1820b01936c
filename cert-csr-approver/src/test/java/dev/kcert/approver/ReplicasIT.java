package dev.kcert.approver;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kcert.core.approval.PolicyConfig;
import dev.kcert.core.csr.KubeletCsrs;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Restarts and several replicas under leader election, against the mock API server. */
class ReplicasIT {
  static final Duration WAIT = Duration.ofSeconds(20);
  MockCluster cluster;
  KubernetesClient clientA;
  KubernetesClient clientB;

  @BeforeEach
  void start() {
    cluster = new MockCluster();
    cluster.createNode("node-a", "Hostname", "node-a", "InternalIP", "10.0.0.11");
    clientA = cluster.newClient();
    clientB = cluster.newClient();
  }

  @AfterEach
  void stop() {
    clientA.close();
    clientB.close();
    cluster.close();
  }

  static Settings settings(String identity) {
    return Settings.defaults(PolicyConfig.defaults(), identity)
        .withLeaderElection(true, Duration.ofSeconds(3), Duration.ofSeconds(2), Duration.ofMillis(250))
        .withRetryDelays(Duration.ofMillis(100), Duration.ofSeconds(1));
  }

  static Approver started(KubernetesClient client, String identity) throws Exception {
    Approver a = new Approver(client, settings(identity), Clock.systemUTC());
    a.start("127.0.0.1", -1);
    return a;
  }

  @Test
  void aRestartedApproverDecidesNothingTwice() throws Exception {
    try (Approver first = started(clientA, "first")) {
      MockCluster.await("first leads", WAIT, first::isLeader);
      cluster.createCsr("csr-1", "node-a", KubeletCsrs.forNode("node-a").dns("node-a").pem());
      cluster.createCsr("csr-2", "node-a", KubeletCsrs.forNode("node-a").dns("node-b").pem());
      cluster.awaitConditions("csr-1", WAIT);
      cluster.awaitConditions("csr-2", WAIT);
    }
    try (Approver second = started(clientB, "second")) {
      MockCluster.await("second leads", WAIT, second::isLeader);
      MockCluster.await("second ready", WAIT, () -> second.notReadyBecause() == null);
      cluster.createCsr("csr-3", "node-a", KubeletCsrs.forNode("node-a").dns("node-a").pem());
      cluster.awaitConditions("csr-3", WAIT);
      assertThat(second.decisions("approve", "KcertApproved")).isEqualTo(1);
      assertThat(second.decisions("deny", "SanNotOwnedByNode")).isZero();
    }
    assertThat(cluster.conditions("csr-1")).hasSize(1);
    assertThat(cluster.conditions("csr-2")).hasSize(1);
    assertThat(cluster.approvalPuts("csr-1")).isEqualTo(1);
    assertThat(cluster.approvalPuts("csr-2")).isEqualTo(1);
    assertThat(cluster.events("default", "csr-1")).hasSize(1);
  }

  @Test
  void onlyTheLeaderWritesAndTheOtherTakesOverWhenItStops() throws Exception {
    Approver a = started(clientA, "replica-a");
    Approver b = started(clientB, "replica-b");
    try {
      MockCluster.await("a leader", WAIT, () -> a.isLeader() || b.isLeader());
      MockCluster.await("both ready", WAIT, () -> a.notReadyBecause() == null && b.notReadyBecause() == null);
      Approver leader = a.isLeader() ? a : b;
      Approver follower = leader == a ? b : a;
      assertThat(follower.isLeader()).isFalse();

      for (int i = 0; i < 3; i++) {
        cluster.createCsr("csr-lead-" + i, "node-a", KubeletCsrs.forNode("node-a").dns("node-a").pem());
      }
      for (int i = 0; i < 3; i++) {
        assertThat(cluster.awaitConditions("csr-lead-" + i, WAIT)).hasSize(1);
      }
      assertThat(leader.decisions("approve", "KcertApproved")).isEqualTo(3);
      assertThat(follower.decisions("approve", "KcertApproved")).isZero();

      leader.close();
      MockCluster.await("follower takes over", WAIT, follower::isLeader);
      cluster.createCsr("csr-after", "node-a", KubeletCsrs.forNode("node-a").dns("node-a").pem());
      assertThat(cluster.awaitConditions("csr-after", WAIT).get(0).getType()).isEqualTo("Approved");
      assertThat(follower.decisions("approve", "KcertApproved")).isEqualTo(1);
      for (int i = 0; i < 3; i++) {
        assertThat(cluster.approvalPuts("csr-lead-" + i)).isEqualTo(1);
      }
    } finally {
      a.close();
      b.close();
    }
  }
}
