package dev.kcert.approver;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kcert.core.csr.KubeletCsrs;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequestCondition;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Outages, as Kubernetes would see them: the packaged jar runs as its own process (one or two
 * replicas) and reaches the mock API server only through a loopback TCP proxy the test controls.
 */
class ProcessIT {
  /** Short lease settings so that take-overs happen within seconds. */
  static final String[] LEASE = {"--lease-duration", "6s", "--renew-deadline", "4s", "--retry-period", "1s",
      "--retry-base-delay", "PT0.2S", "--retry-max-delay", "2s"};

  @TempDir Path dir;
  MockCluster cluster;
  final List<ApproverProcess> processes = new ArrayList<>();
  final List<TcpProxy> proxies = new ArrayList<>();

  @BeforeEach
  void start() {
    cluster = new MockCluster();
  }

  @AfterEach
  void stop() throws Exception {
    for (ApproverProcess p : processes) {
      p.close();
    }
    for (TcpProxy p : proxies) {
      p.close();
    }
    cluster.close();
  }

  TcpProxy proxy() throws Exception {
    TcpProxy p = new TcpProxy(URI.create(cluster.url()).getPort());
    proxies.add(p);
    return p;
  }

  ApproverProcess approver(String name, TcpProxy proxy, String... options) throws Exception {
    List<String> all = new ArrayList<>(List.of(LEASE));
    all.addAll(List.of(options));
    ApproverProcess p = ApproverProcess.start(name, dir, proxy.url(), all.toArray(String[]::new));
    processes.add(p);
    return p;
  }

  void await(String what, Duration timeout, ApproverProcess[] show, java.util.function.BooleanSupplier ok) {
    try {
      MockCluster.await(what, timeout, () -> {
        for (ApproverProcess p : show) {
          if (!p.alive()) {
            throw new AssertionError(p.name + " exited while waiting for " + what);
          }
        }
        return ok.getAsBoolean();
      });
    } catch (AssertionError e) {
      StringBuilder sb = new StringBuilder(e.getMessage());
      for (ApproverProcess p : show) {
        sb.append("\n--- log of ").append(p.name).append(":\n").append(p.logText());
      }
      throw new AssertionError(sb.toString(), e);
    }
  }

  /** Every named request carries exactly one condition: decided, and only once. */
  void decidedOnce(List<String> names) {
    for (String n : names) {
      List<CertificateSigningRequestCondition> c = cluster.conditions(n);
      assertThat(c).as(n).hasSize(1);
      assertThat(c.get(0).getType()).as(n).isEqualTo("Approved");
    }
  }

  @Test
  void apiUnreachableAtStartThenReachable() throws Exception {
    cluster.createNode("node-a", "Hostname", "node-a", "InternalIP", "10.0.0.11");
    cluster.createCsr("csr-early", "node-a", KubeletCsrs.forNode("node-a").dns("node-a").pem());
    TcpProxy proxy = proxy(); // not listening: connection refused
    ApproverProcess a = approver("unreachable", proxy);
    ApproverProcess[] show = {a};
    await("HTTP up", Duration.ofSeconds(30), show, () -> a.status("/readyz") == 503);
    Thread.sleep(6000); // several failed attempts at listing, watching and electing
    assertThat(a.alive()).isTrue();
    assertThat(a.status("/healthz")).as("retrying is healthy").isEqualTo(200);
    assertThat(a.status("/readyz")).isEqualTo(503);

    proxy.open();
    long reachable = System.nanoTime();
    await("approved after the API became reachable", Duration.ofSeconds(30), show,
        () -> !cluster.conditions("csr-early").isEmpty());
    double seconds = (System.nanoTime() - reachable) / 1e9;
    System.out.printf("approved %.1f s after the API server became reachable%n", seconds);
    assertThat(seconds).isLessThan(30);
    await("ready", Duration.ofSeconds(10), show, () -> a.status("/readyz") == 200);
    decidedOnce(List.of("csr-early"));
  }

  @Test
  void aLeaderCutOffFor25SecondsStopsWritingAndTheOtherTakesOver() throws Exception {
    cluster.createNode("node-a", "Hostname", "node-a", "InternalIP", "10.0.0.11");
    byte[] pem = KubeletCsrs.forNode("node-a").dns("node-a").pem();
    TcpProxy pa = proxy();
    TcpProxy pb = proxy();
    pa.open();
    pb.open();
    ApproverProcess a = approver("replica-a", pa);
    ApproverProcess b = approver("replica-b", pb);
    ApproverProcess[] show = {a, b};
    await("a leader", Duration.ofSeconds(40), show, () -> a.leads() || b.leads());
    ApproverProcess leader = a.leads() ? a : b;
    ApproverProcess other = leader == a ? b : a;
    TcpProxy cut = leader == a ? pa : pb;
    List<String> before = IntStream.range(0, 3).mapToObj(i -> "csr-before-" + i).toList();
    before.forEach(n -> cluster.createCsr(n, "node-a", pem));
    await("approved before the cut", Duration.ofSeconds(20), show,
        () -> before.stream().allMatch(n -> !cluster.conditions(n).isEmpty()));

    cut.cut();
    long cutAt = System.nanoTime();
    await("the cut-off leader reports leader=0", Duration.ofSeconds(6), show, () -> !leader.leads());
    double stoppedAfter = (System.nanoTime() - cutAt) / 1e9;
    assertThat(leader.metric("kcert_approver_leader")).hasValue(0);
    await("the other replica takes over", Duration.ofSeconds(20), show, other::leads);
    double tookOverAfter = (System.nanoTime() - cutAt) / 1e9;
    List<String> during = IntStream.range(0, 3).mapToObj(i -> "csr-during-" + i).toList();
    during.forEach(n -> cluster.createCsr(n, "node-a", pem));
    await("approved during the cut", Duration.ofSeconds(20), show,
        () -> during.stream().allMatch(n -> !cluster.conditions(n).isEmpty()));
    long left = Duration.ofSeconds(25).toNanos() - (System.nanoTime() - cutAt);
    if (left > 0) {
      Thread.sleep(left / 1_000_000);
    }
    assertThat(leader.leads()).as("still cut off").isFalse();
    cut.open();
    List<String> after = IntStream.range(0, 3).mapToObj(i -> "csr-after-" + i).toList();
    after.forEach(n -> cluster.createCsr(n, "node-a", pem));
    await("approved after the cut", Duration.ofSeconds(20), show,
        () -> after.stream().allMatch(n -> !cluster.conditions(n).isEmpty()));
    Thread.sleep(3000); // the reconnected replica catches up; it must not write anything
    System.out.printf("cut-off leader stopped writing after %.1f s; the other led after %.1f s%n",
        stoppedAfter, tookOverAfter);
    assertThat(stoppedAfter).as("within the renew deadline (4 s) plus one check").isLessThan(5.0);
    assertThat(a.leads() && b.leads()).as("never two leaders").isFalse();
    List<String> all = new ArrayList<>(before);
    all.addAll(during);
    all.addAll(after);
    decidedOnce(all);
    assertThat(a.alive() && b.alive()).isTrue();
  }

  @Test
  void aLeaderKilledMidBacklogLosesNothingAndNothingIsDecidedTwice() throws Exception {
    int nodes = 40;
    int perNode = 10;
    List<String> names = new ArrayList<>();
    for (int n = 0; n < nodes; n++) {
      String node = "node-k" + n;
      cluster.createNode(node, "Hostname", node, "InternalIP", "10.0.3." + (n + 1));
      byte[] pem = KubeletCsrs.forNode(node).dns(node).pem();
      for (int k = 0; k < perNode; k++) {
        String name = "csr-" + node + "-" + k;
        cluster.createCsr(name, node, pem);
        names.add(name);
      }
    }
    TcpProxy pa = proxy();
    TcpProxy pb = proxy();
    pa.open();
    pb.open();
    ApproverProcess a = approver("kill-a", pa);
    ApproverProcess b = approver("kill-b", pb);
    ApproverProcess[] show = {a, b};
    await("some of the backlog decided", Duration.ofSeconds(60), show, () -> cluster.approvalPuts.get() >= 40);
    ApproverProcess leader = a.leads() ? a : b;
    ApproverProcess other = leader == a ? b : a;
    leader.kill();
    int atKill = cluster.approvalPuts.get();
    System.out.printf("killed the leader after %d of %d approvals%n", atKill, names.size());
    assertThat(atKill).as("killed mid-backlog").isLessThan(names.size());
    await("the whole backlog decided", Duration.ofSeconds(90), new ApproverProcess[] {other},
        () -> names.stream().allMatch(n -> !cluster.conditions(n).isEmpty()));
    decidedOnce(names);
    assertThat(cluster.approvalPuts.get()).as("one write per request").isEqualTo(names.size());
  }

  @Test
  void repeated409sAndRunsOf500sOnTheApprovalWrite() throws Exception {
    cluster.createNode("node-a", "Hostname", "node-a", "InternalIP", "10.0.0.11");
    byte[] pem = KubeletCsrs.forNode("node-a").dns("node-a").pem();
    TcpProxy proxy = proxy();
    proxy.open();
    ApproverProcess a = approver("errors", proxy, "--leader-elect=false");
    ApproverProcess[] show = {a};
    await("ready", Duration.ofSeconds(30), show, () -> a.status("/readyz") == 200);

    cluster.failNextApprovals(6, 409);
    cluster.createCsr("csr-conflicts", "node-a", pem);
    await("approved through 409s", Duration.ofSeconds(30), show, () -> !cluster.conditions("csr-conflicts").isEmpty());
    assertThat(cluster.failuresLeft()).isZero();

    cluster.failNextApprovals(8, 500);
    cluster.createCsr("csr-errors", "node-a", pem);
    await("approved through 500s", Duration.ofSeconds(30), show, () -> !cluster.conditions("csr-errors").isEmpty());
    assertThat(cluster.failuresLeft()).isZero();
    decidedOnce(List.of("csr-conflicts", "csr-errors"));
    assertThat(a.metric("kcert_approver_write_errors_total")).hasValue(8);
    assertThat(a.metric("workqueue_retries_total{name=\"certificatesigningrequests\"}").orElse(0)).isGreaterThan(0);
    String log = a.logText();
    assertThat(log.lines().filter(l -> l.contains("csr=csr-errors") && l.contains("decision=error"))).hasSize(8);
    assertThat(log.lines()).allMatch(l -> l.matches("^\\d{4}-\\d\\d-\\d\\dT[^ ]+ (INFO|WARN|ERROR|DEBUG) .*")
        || l.isBlank(), "every line is one event");
    Files.writeString(dir.resolve("keep.txt"), log);
  }
}
