package dev.kcert.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kcert.core.node.Component;
import dev.kcert.core.testing.FakeNode;
import dev.kcert.core.testing.TestPki;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code kcert ca <phase> --restart} on a fake node: restarts, their order, the served proof. */
class CaRestartIT {
  @TempDir Path tmp;
  Path etc;
  FakeNode node;
  /** The kubelet's health endpoint, for the restart of the kubelet a ca phase now includes. */
  KubeletHealthz healthz;

  @BeforeEach
  void node() {
    etc = tmp.resolve("etc");
    node = FakeNode.create(etc).start();
    node.kubelet().clearEvents();
    healthz = KubeletHealthz.start();
  }

  @AfterEach
  void stop() {
    healthz.close();
    node.close();
  }

  Cli.Run ca(String verb, String caName, String... more) {
    List<String> a = new ArrayList<>(List.of("ca", verb, "--ca", caName));
    a.addAll(List.of(more));
    a.addAll(List.of(Cli.dirs(etc)));
    a.addAll(List.of("--manifest-dir", etc.resolve("manifests").toString(),
        "--kubelet-config", node.kubeletConfig().toString()));
    if (!List.of("prepare", "status", "plan").contains(verb)) {
      a.addAll(List.of("--kubelet-restart-command", "true", "--kubelet-healthz", healthz.url()));
    }
    return Cli.run(TestPki.CLOCK, a.toArray(String[]::new));
  }

  /** The served rows of {@code ca status --served} that belong to the rotation. */
  List<JsonNode> served(String caName) throws Exception {
    Cli.Run s = ca("status", caName, "--served", "-o", "json");
    assertThat(s.code()).as(s.out() + s.err()).isZero();
    List<JsonNode> rows = new ArrayList<>();
    new ObjectMapper().readTree(s.out()).get("served").forEach(r -> {
      if (r.get("counts").asBoolean()) {
        rows.add(r);
      }
    });
    return rows;
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"ca", "etcd-ca"})
  void aWholeRotationWithRestartEndsWithEveryPortServingTheNewCa(String caName) throws Exception {
    assertThat(ca("prepare", caName).code()).isZero();
    for (String phase : List.of("trust-both", "reissue", "trust-new", "finish")) {
      Cli.Run r = ca(phase, caName, "--restart");
      assertThat(r.code()).as(phase + ": " + r.out() + r.err()).isZero();
      assertThat(r.out()).contains(caName + ": " + phase + " proven: ");
      assertThat(r.err()).isEmpty();
      assertThat(etc.resolve("pki/kcert-rotation/" + caName + "/restarts")).doesNotExist();
    }
    List<JsonNode> rows = served(caName);
    assertThat(rows).isNotEmpty();
    assertThat(rows).allSatisfy(row -> assertThat(row.get("servedBy").asText())
        .as(row.toString()).isEqualTo("new"));
  }

  @Test
  void theRestartsComeInKcertsOrderAndOnlyForWhatThePhaseChanged() {
    assertThat(ca("prepare", "etcd-ca").code()).isZero();
    Cli.Run r = ca("trust-both", "etcd-ca", "--restart");
    assertThat(r.code()).as(r.out() + r.err()).isZero();
    // etcd/ca.crt is read by etcd (--trusted-ca-file) and the API server (--etcd-cafile) alone
    assertThat(node.kubelet().starts()).containsExactly("etcd", "kube-apiserver");
    assertThat(r.out().indexOf("Restarting etcd")).isLessThan(r.out().indexOf("Restarting kube-apiserver"));
    assertThat(r.out()).contains("etcd-ca: trust-both proven: restarted etcd and kube-apiserver;");
    // etcd-ca is nothing the kubelet reads
    assertThat(r.out()).doesNotContain("Restarting the kubelet");

    Cli.Run c = ca("prepare", "ca");
    assertThat(c.code()).isZero();
    Cli.Run t = ca("trust-both", "ca", "--restart");
    assertThat(t.code()).as(t.out() + t.err()).isZero();
    int api = t.out().indexOf("Restarting kube-apiserver");
    int kcm = t.out().indexOf("Restarting kube-controller-manager");
    int sched = t.out().indexOf("Restarting kube-scheduler");
    assertThat(api).isNotNegative().isLessThan(kcm);
    assertThat(kcm).isLessThan(sched);
    assertThat(t.out()).doesNotContain("Restarting etcd");
    // ca.crt and kubelet.conf changed: the kubelet restarts last, and must answer its healthz
    int kubelet = t.out().indexOf("Restarting the kubelet (true)");
    assertThat(kubelet).isGreaterThan(sched);
    assertThat(t.out()).contains("The kubelet answers " + healthz.url());
    assertThat(healthz.asked()).isPositive();
  }

  @Test
  void withoutRestartNothingIsRestarted() {
    assertThat(ca("prepare", "etcd-ca").code()).isZero();
    Cli.Run r = ca("trust-both", "etcd-ca");
    assertThat(r.code()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).doesNotContain("Restarting").doesNotContain("proven");
    assertThat(node.kubelet().starts()).isEmpty();
    assertThat(ca("reissue", "etcd-ca").code()).isZero();
  }

  @Test
  void aComponentThatDoesNotComeBackLeavesThePhaseUnprovenAndTheNextRefuses() {
    assertThat(ca("prepare", "etcd-ca").code()).isZero();
    node.kubelet().failNextStarts(Component.KUBE_APISERVER, 1);
    Cli.Run r = ca("trust-both", "etcd-ca", "--restart", "--restart-timeout", "3s");
    assertThat(r.code()).as(r.out() + r.err()).isEqualTo(ExitCodes.ERROR);
    assertThat(r.err().lines()).hasSize(1);
    assertThat(r.err()).startsWith("error: etcd-ca: trust-both is not proven: kube-apiserver did not"
        + " come back within 3s after its restart: kube-apiserver :" + node.port("kube-apiserver"));
    assertThat(etc.resolve("pki/kcert-rotation/etcd-ca/restarts")).exists();

    Cli.Run status = ca("status", "etcd-ca");
    assertThat(status.code()).isEqualTo(ExitCodes.ERROR);
    assertThat(status.out()).contains("NOT proven by its restarts and served proof yet: run kcert ca"
        + " trust-both --ca etcd-ca --restart again");

    Cli.Run next = ca("reissue", "etcd-ca");
    assertThat(next.code()).isEqualTo(ExitCodes.ERROR);
    assertThat(next.err()).contains("etcd-ca: phase trust-both is not proven")
        .contains("run kcert ca trust-both --ca etcd-ca --restart again");
    assertThat(next.err().lines()).hasSize(1);

    node.kubelet().clearEvents();
    Cli.Run again = ca("trust-both", "etcd-ca", "--restart");
    assertThat(again.code()).as(again.out() + again.err()).isZero();
    assertThat(again.out()).contains("is done already")
        .contains("etcd-ca: trust-both proven: restarted etcd and kube-apiserver;");
    assertThat(node.kubelet().starts()).containsExactly("etcd", "kube-apiserver");
    assertThat(etc.resolve("pki/kcert-rotation/etcd-ca/restarts")).doesNotExist();
    assertThat(ca("status", "etcd-ca").code()).isZero();
    Cli.Run reissue = ca("reissue", "etcd-ca", "--restart");
    assertThat(reissue.code()).as(reissue.out() + reissue.err()).isZero();
  }

  @Test
  void abortWithRestartEndsWithEveryPortServingTheOldCa() throws Exception {
    assertThat(ca("prepare", "ca").code()).isZero();
    assertThat(ca("trust-both", "ca", "--restart").code()).isZero();
    Cli.Run re = ca("reissue", "ca", "--restart");
    assertThat(re.code()).as(re.out() + re.err()).isZero();
    assertThat(served("ca")).allSatisfy(row -> assertThat(row.get("servedBy").asText()).isEqualTo("new"));
    Cli.Run a = ca("abort", "ca", "--restart");
    assertThat(a.code()).as(a.out() + a.err()).isZero();
    assertThat(a.out()).contains("ca: abort proven: restarted kube-apiserver, kube-controller-manager"
        + " and kube-scheduler;");
    List<JsonNode> rows = served("ca");
    assertThat(rows).isNotEmpty();
    assertThat(rows).allSatisfy(row -> assertThat(row.get("servedBy").asText()).isEqualTo("old"));
  }

  @Test
  void restartTimeoutWithoutRestartIsBadUsage() {
    assertThat(ca("prepare", "ca").code()).isZero();
    Cli.Run r = ca("trust-both", "ca", "--restart-timeout", "3s");
    assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(r.err()).startsWith("--restart-timeout is only used with --restart");
  }
}
