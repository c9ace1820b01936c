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
  void anAbortWhoseRestartFailsIsRetriedByAbortRestart() throws Exception {
    assertThat(ca("prepare", "ca").code()).isZero();
    assertThat(ca("trust-both", "ca", "--restart").code()).isZero();
    assertThat(ca("reissue", "ca", "--restart").code()).isZero();
    node.kubelet().failNextStarts(Component.KUBE_APISERVER, 1);
    Cli.Run a = ca("abort", "ca", "--restart", "--restart-timeout", "3s");
    assertThat(a.code()).as(a.out() + a.err()).isEqualTo(ExitCodes.ERROR);
    assertThat(a.err().lines()).hasSize(1);
    assertThat(a.err()).startsWith("error: ca: abort is not proven: kube-apiserver did not come back"
        + " within 3s after its restart");
    Path record = etc.resolve("pki/kcert-rotation/ca/restarts");
    assertThat(record).exists();
    assertThat(etc.resolve("pki/kcert-rotation/ca/state")).doesNotExist();

    Cli.Run status = ca("status", "ca");
    assertThat(status.code()).isEqualTo(ExitCodes.ERROR);
    assertThat(status.out()).contains("NOT proven by its restarts and served proof yet: run kcert ca"
        + " abort --ca ca --restart again");
    Cli.Run prepare = ca("prepare", "ca");
    assertThat(prepare.code()).isEqualTo(ExitCodes.ERROR);
    assertThat(prepare.err()).isEqualTo("error: ca: abort is not proven (its restarts or served proof"
        + " failed; " + record + "), so prepare will not start: run kcert ca abort --ca ca --restart again\n");

    node.kubelet().clearEvents();
    Cli.Run again = ca("abort", "ca", "--restart");
    assertThat(again.code()).as(again.out() + again.err()).isZero();
    assertThat(again.out()).startsWith("ca: abort is done already; nothing was written\n")
        .contains("ca: abort proven: restarted kube-apiserver, kube-controller-manager and"
            + " kube-scheduler;");
    assertThat(node.kubelet().starts()).containsExactly("kube-apiserver", "kube-controller-manager",
        "kube-scheduler");
    assertThat(record).doesNotExist();
    assertThat(served("ca")).allSatisfy(row -> assertThat(row.get("servedBy").asText()).isEqualTo("old"));
    assertThat(ca("status", "ca").code()).isZero();
    assertThat(ca("prepare", "ca").code()).isZero();
  }

  @Test
  void jsonCarriesEachRestartAndTheServedProofAndStatusTheUnprovenRecord() throws Exception {
    ObjectMapper json = new ObjectMapper();
    assertThat(ca("prepare", "etcd-ca").code()).isZero();
    Cli.Run ok = ca("trust-both", "etcd-ca", "--restart", "-o", "json");
    assertThat(ok.code()).as(ok.out() + ok.err()).isZero();
    JsonNode doc = json.readTree(ok.out());
    assertThat(doc.get("kind").asText()).isEqualTo("CaRotationPhase");
    JsonNode restarts = doc.get("restarts");
    assertThat(restarts.get("proven").asBoolean()).isTrue();
    assertThat(restarts.get("failure").isNull()).isTrue();
    assertThat(restarts.get("components").toString()).isEqualTo("[{\"component\":\"etcd\","
        + "\"result\":\"restarted\",\"detail\":\"\"},{\"component\":\"kube-apiserver\","
        + "\"result\":\"restarted\",\"detail\":\"\"}]");
    List<JsonNode> counted = new ArrayList<>();
    restarts.get("served").forEach(r -> {
      if (r.get("counts").asBoolean()) {
        counted.add(r);
      }
    });
    assertThat(counted).isNotEmpty().allSatisfy(r -> assertThat(r.get("ok").asBoolean()).isTrue());

    node.kubelet().failNextStarts(Component.KUBE_APISERVER, 1);
    Cli.Run failed = ca("reissue", "etcd-ca", "--restart", "--restart-timeout", "3s", "-o", "json");
    assertThat(failed.code()).isEqualTo(ExitCodes.ERROR);
    assertThat(failed.err().lines()).hasSize(1);
    JsonNode f = json.readTree(failed.out()).get("restarts");
    assertThat(f.get("proven").asBoolean()).isFalse();
    assertThat(f.get("failure").asText()).startsWith("etcd-ca: reissue is not proven: kube-apiserver");
    assertThat(f.get("components").get(0).get("result").asText()).isEqualTo("restarted");
    assertThat(f.get("components").get(1).get("component").asText()).isEqualTo("kube-apiserver");
    assertThat(f.get("components").get(1).get("result").asText()).isEqualTo("failed");
    assertThat(f.get("components").get(1).get("detail").asText()).contains("did not come back within 3s");
    assertThat(f.get("served")).isEmpty();

    Cli.Run status = ca("status", "etcd-ca", "-o", "json");
    assertThat(status.code()).isEqualTo(ExitCodes.ERROR);
    JsonNode u = json.readTree(status.out()).get("unproven");
    assertThat(u.get("phase").asText()).isEqualTo("reissue");
    assertThat(u.get("phaseDone").asBoolean()).isTrue();
    assertThat(u.get("pods").toString()).isEqualTo("[\"etcd\",\"kube-apiserver\"]");
    assertThat(u.get("retry").asText()).isEqualTo("kcert ca reissue --ca etcd-ca --restart");

    Cli.Run retried = ca("reissue", "etcd-ca", "--restart", "-o", "json");
    assertThat(retried.code()).as(retried.out() + retried.err()).isZero();
    JsonNode r = json.readTree(retried.out());
    assertThat(r.get("alreadyDone").asBoolean()).isTrue();
    assertThat(r.get("restarts").get("proven").asBoolean()).isTrue();
    assertThat(json.readTree(ca("status", "etcd-ca", "-o", "json").out()).get("unproven").isNull()).isTrue();
  }

  @Test
  void restartTimeoutWithoutRestartIsBadUsage() {
    assertThat(ca("prepare", "ca").code()).isZero();
    Cli.Run r = ca("trust-both", "ca", "--restart-timeout", "3s");
    assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(r.err()).startsWith("--restart-timeout is only used with --restart");
  }
}
