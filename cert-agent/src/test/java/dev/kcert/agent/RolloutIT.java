package dev.kcert.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kcert.agent.metrics.X509Metrics;
import dev.kcert.core.kubeapi.RenewalLease;
import dev.kcert.core.node.Component;
import dev.kcert.core.node.NodeEndpoints;
import dev.kcert.core.node.ServedCheck;
import dev.kcert.core.node.TlsProbe;
import dev.kcert.core.pki.PkiLayout;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The coordinated renewal on control-plane nodes stood in for by {@link Cluster}. */
@ExtendWith(KubeletJournals.class)
class RolloutIT {
  private static final List<String> ORDER =
      List.of("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler");

  @TempDir Path tmp;

  private static Agent agent(Cluster cluster, AgentSettings settings, PrometheusRegistry registry) {
    return new Agent(cluster.client, settings, Cluster.CLOCK, new AgentMetrics(registry));
  }

  private static Lease lease(Cluster cluster) {
    return cluster.client.leases().inNamespace("kube-system").withName("kcert-renewal").get();
  }

  private static void assertServesDisk(Cluster cluster, String node) {
    var n = cluster.node(node);
    for (ServedCheck.Result r :
        ServedCheck.check(NodeEndpoints.read(n.layout(), n.kubeletConfig()).endpoints(),
            TlsProbe.withTimeout(Duration.ofSeconds(5)))) {
      assertThat(r.status()).as(node + " " + r.endpoint().describe()).isIn(ServedCheck.Status.MATCH,
          ServedCheck.Status.NO_FILE);
    }
  }

  @Test
  void threeNodesRenewOneAtATimeInOrder() throws Exception {
    try (Cluster cluster = new Cluster(tmp, "cp-1", "cp-2", "cp-3")) {
      ExecutorService pool = Executors.newFixedThreadPool(3);
      Map<String, Agent.Outcome> done = new ConcurrentHashMap<>();
      List<Future<?>> futures = new ArrayList<>();
      for (String name : cluster.nodes.keySet()) {
        futures.add(pool.submit(() -> {
          try (Agent a = agent(cluster, cluster.settings(name), new PrometheusRegistry())) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(100);
            while (System.nanoTime() < deadline) {
              Agent.Outcome o = a.cycle();
              if (o.kind() == Agent.Kind.RENEWED || o.kind() == Agent.Kind.FAILED) {
                done.put(name, o);
                return null;
              }
              Thread.sleep(100);
            }
          }
          return null;
        }));
      }
      for (Future<?> f : futures) {
        f.get(120, TimeUnit.SECONDS);
      }
      pool.shutdownNow();
      assertThat(done).hasSize(3);
      assertThat(done.values()).extracting(Agent.Outcome::kind).containsOnly(Agent.Kind.RENEWED);
      // one node at a time: the restarts come in three blocks of four, each in kcert's order
      List<String> restarts = List.copyOf(cluster.restarts);
      assertThat(restarts).hasSize(12);
      List<String> nodesInOrder = new ArrayList<>();
      for (int i = 0; i < 12; i += 4) {
        String node = restarts.get(i).split(" ")[0];
        nodesInOrder.add(node);
        for (int j = 0; j < 4; j++) {
          assertThat(restarts.get(i + j)).isEqualTo(node + " " + ORDER.get(j));
        }
      }
      assertThat(nodesInOrder).containsExactlyInAnyOrder("cp-1", "cp-2", "cp-3");
      for (String name : cluster.nodes.keySet()) {
        assertServesDisk(cluster, name);
        Node n = cluster.client.nodes().withName(name).get();
        assertThat(n.getMetadata().getAnnotations()).containsEntry(Agent.NODE_LAST_RESULT, "succeeded")
            .containsKey(Agent.NODE_LAST_RENEWAL);
      }
      Lease l = lease(cluster);
      assertThat(l.getSpec().getHolderIdentity()).isNull();
      assertThat(l.getMetadata().getAnnotations()).doesNotContainKeys(Agent.LEASE_PHASE, Agent.LEASE_FAILED);
      List<Event> events = cluster.client.v1().events().inNamespace("default").list().getItems();
      assertThat(events).extracting(Event::getReason).contains("KcertRenewalStarted", "KcertRenewalSucceeded");
    }
  }

  @Test
  void aComponentThatDoesNotComeBackIsRolledBackAndStopsTheRollout() throws Exception {
    try (Cluster cluster = new Cluster(tmp, "cp-1", "cp-2", "cp-3")) {
      PkiLayout layout = cluster.node("cp-1").layout();
      byte[] before = Files.readAllBytes(layout.certDir().resolve("apiserver.crt"));
      cluster.node("cp-1").kubelet().failNextStarts(Component.KUBE_APISERVER, 1);
      PrometheusRegistry registry = new PrometheusRegistry();
      Agent.Outcome o;
      AgentMetrics metrics = new AgentMetrics(registry);
      try (Agent a = new Agent(cluster.client, cluster.settings("cp-1"), Cluster.CLOCK, metrics)) {
        o = a.cycle();
      }
      assertThat(o.kind()).isEqualTo(Agent.Kind.FAILED);
      assertThat(o.message()).contains("kube-apiserver did not come back");
      assertThat(Files.readAllBytes(layout.certDir().resolve("apiserver.crt"))).isEqualTo(before);
      assertThat(metrics.failures(AgentMetrics.Reason.GATE)).isEqualTo(1);
      assertThat(metrics.phase()).isEqualTo(AgentMetrics.Phase.FAILED);
      Lease l = lease(cluster);
      assertThat(l.getSpec().getHolderIdentity()).isNull();
      assertThat(l.getMetadata().getAnnotations().get(Agent.LEASE_FAILED)).startsWith("cp-1: kube-apiserver");
      assertThat(cluster.client.nodes().withName("cp-1").get().getMetadata().getAnnotations())
          .containsKey(Agent.NODE_FAILED).containsEntry(Agent.NODE_LAST_RESULT, "failed: gate");
      Cluster.await("the failure event", Duration.ofSeconds(10), () ->
          cluster.client.v1().events().inNamespace("default").list().getItems().stream()
              .anyMatch(e -> "KcertRenewalFailed".equals(e.getReason()) && "Warning".equals(e.getType())));
      assertServesDisk(cluster, "cp-1");
      // no other node starts while the mark is there
      int restarts = cluster.restarts.size();
      try (Agent b = agent(cluster, cluster.settings("cp-2"), new PrometheusRegistry())) {
        Agent.Outcome o2 = b.cycle();
        assertThat(o2.kind()).isEqualTo(Agent.Kind.DEFERRED);
        assertThat(o2.message()).contains("unresolved failed run (cp-1: ").contains(Agent.LEASE_FAILED);
        assertThat(cluster.restarts).hasSize(restarts);
        // the operator clears the mark: the next node goes ahead
        cluster.client.leases().inNamespace("kube-system").withName("kcert-renewal")
            .edit(x -> new LeaseBuilder(x).editMetadata().removeFromAnnotations(Agent.LEASE_FAILED).endMetadata()
                .build());
        assertThat(b.cycle().kind()).isEqualTo(Agent.Kind.RENEWED);
      }
    }
  }

  /** Stands for the process dying: nothing below it runs, the Lease is not released. */
  private static final class Crash extends Error {
    private static final long serialVersionUID = 1L;
  }

  @Test
  void aRunStoppedMidPhaseIsRolledBackByItsSuccessorOnTheSameNode() throws Exception {
    try (Cluster cluster = new Cluster(tmp, "cp-1", "cp-2", "cp-3")) {
      PkiLayout layout = cluster.node("cp-1").layout();
      byte[] before = Files.readAllBytes(layout.certDir().resolve("apiserver.crt"));
      try (Agent first = agent(cluster, cluster.settings("cp-1"), new PrometheusRegistry())) {
        first.observePhases(p -> {
          if (p.equals("restarting/kube-apiserver")) {
            throw new Crash();
          }
        });
        assertThatThrownBy(first::cycle).isInstanceOf(Crash.class);
      }
      // etcd runs with the new files, the API server not yet: the Lease says where it stopped
      Lease l = lease(cluster);
      assertThat(l.getSpec().getHolderIdentity()).isEqualTo("cp-1");
      assertThat(l.getMetadata().getAnnotations()).containsEntry(Agent.LEASE_PHASE, "restarting/kube-apiserver")
          .containsKey(Agent.LEASE_BACKUP);
      assertThat(Files.readAllBytes(layout.certDir().resolve("apiserver.crt"))).isNotEqualTo(before);
      // another node waits: the hold is fresh
      try (Agent other = agent(cluster, cluster.settings("cp-2"), new PrometheusRegistry())) {
        assertThat(other.cycle().kind()).isEqualTo(Agent.Kind.DEFERRED);
      }
      AgentMetrics metrics = new AgentMetrics(new PrometheusRegistry());
      try (Agent successor = new Agent(cluster.client, cluster.settings("cp-1"), Cluster.CLOCK, metrics)) {
        Agent.Outcome o = successor.cycle();
        assertThat(o.kind()).isEqualTo(Agent.Kind.RENEWED);
      }
      assertThat(metrics.failures(AgentMetrics.Reason.INTERRUPTED)).isEqualTo(1);
      // etcd: once by the first run, once back to the old files, once by the fresh run
      assertThat(cluster.restarts.stream().filter(r -> r.equals("cp-1 etcd")).count()).isEqualTo(3);
      assertServesDisk(cluster, "cp-1");
      assertThat(lease(cluster).getSpec().getHolderIdentity()).isNull();
      Cluster.await("the roll-back event", Duration.ofSeconds(10), () ->
          cluster.client.v1().events().inNamespace("default").list().getItems().stream()
              .anyMatch(e -> "KcertRenewalRolledBack".equals(e.getReason())));
    }
  }

  /**
   * The agent killed right after it records each phase in the Lease, one fresh harness per phase:
   * the phases are those a clean run records, so a phase added later is covered without editing
   * this test. The successor on the same node must leave every pair verifying, every component
   * serving what is on disk, and the Lease free of its holder and its run's annotations.
   */
  @Test
  void anAgentKilledAtEveryRecordedPhaseIsRolledBackByItsSuccessor() throws Exception {
    List<String> phases = new ArrayList<>();
    try (Cluster cluster = new Cluster(tmp.resolve("clean"), "cp-1", "cp-2", "cp-3")) {
      try (Agent a = agent(cluster, cluster.settings("cp-1"), new PrometheusRegistry())) {
        a.observePhases(phases::add);
        assertThat(a.cycle().kind()).isEqualTo(Agent.Kind.RENEWED);
      }
    }
    assertThat(phases).startsWith("renewing").endsWith("verifying").contains("restarting")
        .containsSubsequence("restarting/etcd", "restarting/kube-apiserver", "restarting/kube-controller-manager",
            "restarting/kube-scheduler");
    for (int i = 0; i < phases.size(); i++) {
      String phase = phases.get(i);
      int index = i;
      try (Cluster cluster = new Cluster(tmp.resolve("phase-" + i), "cp-1", "cp-2", "cp-3")) {
        PkiLayout layout = cluster.node("cp-1").layout();
        byte[] before = Files.readAllBytes(layout.certDir().resolve("apiserver.crt"));
        try (Agent first = agent(cluster, cluster.settings("cp-1"), new PrometheusRegistry())) {
          List<String> seen = new ArrayList<>();
          first.observePhases(p -> {
            seen.add(p);
            if (seen.size() == index + 1) {
              throw new Crash();
            }
          });
          assertThatThrownBy(first::cycle).as(phase).isInstanceOf(Crash.class);
          assertThat(seen).as("phases up to the kill").isEqualTo(phases.subList(0, index + 1));
        }
        assertThat(lease(cluster).getMetadata().getAnnotations()).as(phase).containsEntry(Agent.LEASE_PHASE, phase);
        assertThat(lease(cluster).getSpec().getHolderIdentity()).as(phase).isEqualTo("cp-1");
        // the successor puts back what the first run restarted, latest first, one at a time, and
        // only then restarts each component once for its own run, in order
        List<String> putBack = new ArrayList<>();
        for (String p : phases.subList(0, index)) {
          if (p.startsWith("restarting/")) {
            putBack.add(0, "cp-1 " + p.substring("restarting/".length()));
          }
        }
        List<String> expected = new ArrayList<>(putBack);
        ORDER.forEach(c -> expected.add("cp-1 " + c));
        int mark = cluster.restarts.size();
        AgentMetrics metrics = new AgentMetrics(new PrometheusRegistry());
        try (Agent successor = new Agent(cluster.client, cluster.settings("cp-1"), Cluster.CLOCK, metrics)) {
          assertThat(successor.cycle().kind()).as(phase).isEqualTo(Agent.Kind.RENEWED);
        }
        assertThat(List.copyOf(cluster.restarts).subList(mark, cluster.restarts.size())).as(phase)
            .containsExactlyElementsOf(expected);
        assertThat(metrics.failures(AgentMetrics.Reason.INTERRUPTED)).as(phase).isEqualTo(1);
        var inventory = dev.kcert.core.inventory.PkiInventory.scan(layout,
            new dev.kcert.core.inventory.InventoryOptions(true, true));
        assertThat(inventory.problems()).as(phase).filteredOn(dev.kcert.core.inventory.Problem::isError).isEmpty();
        assertThat(Files.readAllBytes(layout.certDir().resolve("apiserver.crt"))).as(phase).isNotEqualTo(before);
        assertServesDisk(cluster, "cp-1");
        Lease l = lease(cluster);
        assertThat(l.getSpec().getHolderIdentity()).as(phase).isNull();
        assertThat(l.getMetadata().getAnnotations()).as(phase)
            .doesNotContainKeys(Agent.LEASE_PHASE, Agent.LEASE_BACKUP, Agent.LEASE_FAILED);
        assertThat(cluster.client.nodes().withName("cp-1").get().getMetadata().getAnnotations()).as(phase)
            .containsEntry(Agent.NODE_LAST_RESULT, "succeeded");
      }
    }
  }

  @Test
  void aHolderWhoseNodeIsGoneIsTakenOverAndALiveOneOnlyAfterTheTtl() throws Exception {
    try (Cluster cluster = new Cluster(tmp, "cp-1", "cp-2", "cp-3")) {
      ZonedDateTime now = Cluster.CLOCK.instant().truncatedTo(ChronoUnit.MICROS).atZone(ZoneId.of("UTC"));
      // cp-4 (a Node the gates do not count) holds it and renewed just now
      cluster.client.nodes().resource(new io.fabric8.kubernetes.api.model.NodeBuilder().withNewMetadata()
          .withName("cp-4").endMetadata().build()).create();
      cluster.client.leases().inNamespace("kube-system").resource(new LeaseBuilder().withNewMetadata()
          .withName("kcert-renewal").withNamespace("kube-system").addToAnnotations(Agent.LEASE_PHASE, "restarting/etcd")
          .endMetadata().withNewSpec().withHolderIdentity("cp-4").withLeaseDurationSeconds(6).withRenewTime(now)
          .endSpec().build()).create();
      try (Agent a = agent(cluster, cluster.settings("cp-1"), new PrometheusRegistry())) {
        Agent.Outcome o = a.cycle();
        assertThat(o.kind()).isEqualTo(Agent.Kind.DEFERRED);
        assertThat(o.message()).contains("held by cp-4");
        // cp-4's Node is deleted: its hold no longer counts
        cluster.client.nodes().withName("cp-4").delete();
        Cluster.await("cp-4 gone", Duration.ofSeconds(5), () -> cluster.client.nodes().withName("cp-4").get() == null);
        assertThat(a.cycle().kind()).isEqualTo(Agent.Kind.RENEWED);
      }
      Cluster.await("the take-over event", Duration.ofSeconds(10), () ->
          cluster.client.v1().events().inNamespace("default").list().getItems().stream()
              .anyMatch(e -> "KcertRenewalLeaseTakenOver".equals(e.getReason())));
      // a live holder (cp-3) that stopped renewing is taken over after the TTL (6s)
      cluster.client.leases().inNamespace("kube-system").withName("kcert-renewal").edit(x -> new LeaseBuilder(x)
          .editSpec().withHolderIdentity("cp-3").withRenewTime(
              Cluster.CLOCK.instant().truncatedTo(ChronoUnit.MICROS).atZone(ZoneId.of("UTC"))).endSpec().build());
      var lock = new dev.kcert.kube.LeaseLock(cluster.client, "kube-system", "kcert-renewal", Duration.ofSeconds(6),
          Cluster.CLOCK);
      assertThat(lock.acquire("cp-1", h -> false)).isEmpty();
      Thread.sleep(6500);
      assertThat(lock.acquire("cp-1", h -> false)).hasValueSatisfying(s -> assertThat(s.holder()).isEqualTo("cp-3"));
      assertThat(lease(cluster).getSpec().getHolderIdentity()).isEqualTo("cp-1");
    }
  }

  @Test
  void aCaRotationPhaseOnThisNodeKeepsTheAgentOutWhileItsHoldIsLive() throws Exception {
    try (Cluster cluster = new Cluster(tmp, "cp-1", "cp-2", "cp-3")) {
      // `kcert ca trust-both` on cp-1 holds the Lease under the node's name, as the agent would
      cluster.client.leases().inNamespace("kube-system").resource(new LeaseBuilder().withNewMetadata()
          .withName("kcert-renewal").withNamespace("kube-system")
          .addToAnnotations(RenewalLease.CA_ROTATION, "ca trust-both").endMetadata().withNewSpec()
          .withHolderIdentity("cp-1").withLeaseDurationSeconds(6)
          .withRenewTime(Cluster.CLOCK.instant().truncatedTo(ChronoUnit.MICROS).atZone(ZoneId.of("UTC")))
          .endSpec().build()).create();
      try (Agent a = agent(cluster, cluster.settings("cp-1"), new PrometheusRegistry())) {
        Agent.Outcome o = a.cycle();
        assertThat(o.kind()).isEqualTo(Agent.Kind.DEFERRED);
        assertThat(o.message()).contains("CA rotation phase (ca trust-both)");
        assertThat(lease(cluster).getSpec().getHolderIdentity()).isEqualTo("cp-1");
        assertThat(lease(cluster).getMetadata().getAnnotations()).containsKey(RenewalLease.CA_ROTATION);
        // the phase's process ended without releasing: once its hold lapses the agent goes on
        Thread.sleep(6500);
        assertThat(a.cycle().kind()).isEqualTo(Agent.Kind.RENEWED);
        assertThat(lease(cluster).getMetadata().getAnnotations()).doesNotContainKey(RenewalLease.CA_ROTATION);
      }
    }
  }

  @Test
  void aWindowOrABlockerDefersTheRun() throws Exception {
    try (Cluster cluster = new Cluster(tmp, "cp-1")) {
      LocalTime t = Cluster.CLOCK.instant().atZone(ZoneId.of("UTC")).toLocalTime();
      Window elsewhere = new Window(EnumSet.allOf(DayOfWeek.class), t.plusHours(2), t.plusHours(3), ZoneId.of("UTC"));
      try (Agent a = agent(cluster, cluster.settings("cp-1").withWindow(elsewhere), new PrometheusRegistry())) {
        Agent.Outcome o = a.cycle();
        assertThat(o.kind()).isEqualTo(Agent.Kind.DEFERRED);
        assertThat(o.message()).startsWith("outside the window");
      }
      cluster.client.pods().inNamespace("kube-system").resource(new PodBuilder().withNewMetadata()
          .withName("backup-job").withNamespace("kube-system").addToLabels("kcert.dev/block", "true").endMetadata()
          .withNewSpec().withNodeName("cp-1").endSpec().build()).create();
      try (Agent a = agent(cluster, cluster.settings("cp-1").withBlockingPods("kcert.dev/block=true"),
          new PrometheusRegistry())) {
        Agent.Outcome o = a.cycle();
        assertThat(o.kind()).isEqualTo(Agent.Kind.DEFERRED);
        assertThat(o.message()).startsWith("blocking pods on this node: backup-job");
      }
      assertThat(cluster.restarts).isEmpty();
      assertThat(lease(cluster)).isNull();
    }
  }

  @Test
  void aSingleMemberEtcdHasNoQuorumToSpare() throws Exception {
    try (Cluster cluster = new Cluster(tmp, "cp-1")) {
      try (Agent a = agent(cluster, cluster.settings("cp-1"), new PrometheusRegistry())) {
        Agent.Outcome o = a.cycle();
        assertThat(o.kind()).isEqualTo(Agent.Kind.DEFERRED);
        assertThat(o.message()).startsWith("etcd has no quorum to spare: 1 of 1 members Ready, 1 needed");
      }
    }
  }

  @Test
  void metricsCarryTheExportersAndKcertsNames() throws Exception {
    try (Cluster cluster = new Cluster(tmp, "cp-1", "cp-2", "cp-3")) {
      PrometheusRegistry registry = new PrometheusRegistry();
      try (Agent a = agent(cluster, cluster.settings("cp-1"), registry)) {
        registry.register(new X509Metrics(cluster.node("cp-1").layout(), Cluster.CLOCK, a::served));
        assertThat(a.cycle().kind()).isEqualTo(Agent.Kind.RENEWED);
        String text = X509Metrics.render(registry.scrape());
        assertThat(text)
            .contains("kcert_renewal_phase{phase=\"idle\"} 1")
            .contains("kcert_renewal_phase{phase=\"restarting\"} 0")
            .contains("kcert_renewal_failures_total{reason=\"gate\"} 0")
            .containsPattern("kcert_renewal_last_success_timestamp_seconds [0-9.E]+")
            .containsPattern("kcert_cert_served_matches_disk\\{component=\"kube-apiserver\",port=\"[0-9]+\"} 1")
            .contains("x509_cert_not_after{")
            .contains("x509_read_errors 0");
      }
    }
  }
}
