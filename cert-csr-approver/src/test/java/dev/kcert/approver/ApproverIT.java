package dev.kcert.approver;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kcert.core.approval.PolicyConfig;
import dev.kcert.core.csr.KubeletCsrs;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequest;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequestCondition;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The real controller loop against the mock API server: one approver, many requests. */
class ApproverIT {
  static final Duration WAIT = Duration.ofSeconds(15);
  static final List<String> USAGES = List.of("digital signature", "server auth");
  static final List<String> GROUPS = List.of("system:nodes", "system:authenticated");
  static MockCluster cluster;
  static Approver approver;

  @BeforeAll
  static void start() throws Exception {
    cluster = new MockCluster();
    cluster.createNode("node-a", "Hostname", "node-a", "InternalIP", "10.0.0.11", "InternalIP", "fd00::11");
    cluster.createNode("node-b", "Hostname", "node-b", "InternalIP", "10.0.0.12");
    Settings settings =
        Settings.defaults(PolicyConfig.defaults(), "approver-it")
            .withLeaderElection(true, Duration.ofSeconds(4), Duration.ofSeconds(3), Duration.ofMillis(500))
            .withRetryDelays(Duration.ofMillis(100), Duration.ofSeconds(1));
    approver = new Approver(cluster.client(), settings, Clock.systemUTC());
    approver.start("127.0.0.1", 0);
    MockCluster.await("readiness", WAIT, () -> approver.notReadyBecause() == null);
  }

  @AfterAll
  static void stop() {
    if (approver != null) {
      approver.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void approvesARealKubeletRequestThroughTheApprovalSubresource() {
    cluster.createCsr("csr-good", "node-a",
        KubeletCsrs.forNode("node-a").key("EC-256").dns("node-a").ip("10.0.0.11", "fd00::11").pem());
    List<CertificateSigningRequestCondition> conditions = cluster.awaitConditions("csr-good", WAIT);
    assertThat(conditions).hasSize(1);
    CertificateSigningRequestCondition c = conditions.get(0);
    assertThat(c.getType()).isEqualTo("Approved");
    assertThat(c.getStatus()).isEqualTo("True");
    assertThat(c.getReason()).isEqualTo("KcertApproved");
    assertThat(c.getMessage())
        .isEqualTo("node node-a owns SANs [node-a, 10.0.0.11, fd00::11]; key ECDSA P-256; "
            + "usages [digital signature, server auth]");
    assertThat(c.getLastUpdateTime()).isNotBlank();
    assertThat(c.getLastTransitionTime()).isNotBlank();
    MockCluster.await("approve event", WAIT, () -> !cluster.events("default", "csr-good").isEmpty());
    assertThat(cluster.events("default", "csr-good").get(0).getReason()).isEqualTo("KcertApproved");
    assertThat(cluster.events("default", "csr-good").get(0).getType()).isEqualTo("Normal");
  }

  @Test
  void deniesANodeAskingForAnotherNodesName() {
    cluster.createCsr("csr-steal", "node-a", KubeletCsrs.forNode("node-a").dns("node-a", "node-b").pem());
    CertificateSigningRequestCondition c = cluster.awaitConditions("csr-steal", WAIT).get(0);
    assertThat(c.getType()).isEqualTo("Denied");
    assertThat(c.getReason()).isEqualTo("SanNotOwnedByNode");
    assertThat(c.getMessage()).startsWith("DNS SAN node-b is not a Hostname, InternalDNS or ExternalDNS address of node node-a");
    MockCluster.await("deny event", WAIT, () -> !cluster.events("default", "csr-steal").isEmpty());
    assertThat(cluster.events("default", "csr-steal").get(0).getType()).isEqualTo("Warning");
  }

  @Test
  void deniesANonNodeRequester() {
    cluster.createCsr("csr-alice", dev.kcert.core.approval.ApprovalPolicy.KUBELET_SERVING_SIGNER, "alice",
        List.of("system:authenticated"), USAGES, KubeletCsrs.forNode("node-a").dns("node-a").pem());
    CertificateSigningRequestCondition c = cluster.awaitConditions("csr-alice", WAIT).get(0);
    assertThat(c.getType()).isEqualTo("Denied");
    assertThat(c.getReason()).isEqualTo("NotANode");
  }

  @Test
  void leavesOtherSignersAlone() throws Exception {
    cluster.createCsr("csr-client", "kubernetes.io/kube-apiserver-client-kubelet", "system:node:node-a", GROUPS,
        List.of("digital signature", "client auth"), KubeletCsrs.forNode("node-a").pem());
    // a kubelet-serving request created afterwards is decided, so the worker has seen both
    cluster.createCsr("csr-after-client", "node-b", KubeletCsrs.forNode("node-b").dns("node-b").pem());
    cluster.awaitConditions("csr-after-client", WAIT);
    Thread.sleep(300);
    assertThat(cluster.conditions("csr-client")).isEmpty();
    assertThat(cluster.events("default", "csr-client")).isEmpty();
  }

  @Test
  void garbageIsDeniedAndNeverStopsTheLoop() {
    String notBase64 = "%%% not base64 %%%";
    String wrongType = Base64.getEncoder().encodeToString(
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".getBytes(StandardCharsets.US_ASCII));
    byte[] mib = new byte[1024 * 1024];
    Arrays.fill(mib, (byte) 'x');
    String badPem = Base64.getEncoder().encodeToString(
        "-----BEGIN CERTIFICATE REQUEST-----\nA\n-----END CERTIFICATE REQUEST-----\n".getBytes(StandardCharsets.US_ASCII));
    cluster.createCsrRaw("csr-garbage-1", dev.kcert.core.approval.ApprovalPolicy.KUBELET_SERVING_SIGNER,
        "system:node:node-b", GROUPS, USAGES, notBase64);
    cluster.createCsrRaw("csr-garbage-2", dev.kcert.core.approval.ApprovalPolicy.KUBELET_SERVING_SIGNER,
        "system:node:node-b", GROUPS, USAGES, wrongType);
    cluster.createCsrRaw("csr-garbage-3", dev.kcert.core.approval.ApprovalPolicy.KUBELET_SERVING_SIGNER,
        "system:node:node-b", GROUPS, USAGES, Base64.getEncoder().encodeToString(mib));
    cluster.createCsrRaw("csr-garbage-4", dev.kcert.core.approval.ApprovalPolicy.KUBELET_SERVING_SIGNER,
        "system:node:node-b", GROUPS, USAGES, badPem);
    assertThat(cluster.awaitConditions("csr-garbage-1", WAIT).get(0).getMessage())
        .isEqualTo("spec.request: no PEM block found");
    assertThat(cluster.awaitConditions("csr-garbage-2", WAIT).get(0).getMessage())
        .isEqualTo("spec.request: PEM block is CERTIFICATE, expected CERTIFICATE REQUEST");
    assertThat(cluster.awaitConditions("csr-garbage-3", WAIT).get(0).getMessage())
        .isEqualTo("spec.request: request is 1048576 bytes, more than the limit of 65536");
    assertThat(cluster.awaitConditions("csr-garbage-4", WAIT).get(0).getMessage())
        .isEqualTo("spec.request: invalid base64 in PEM block CERTIFICATE REQUEST");
    for (int i = 1; i <= 4; i++) {
      assertThat(cluster.conditions("csr-garbage-" + i).get(0).getReason()).isEqualTo("InvalidRequest");
    }
    // still alive
    cluster.createCsr("csr-after-garbage", "node-b", KubeletCsrs.forNode("node-b").dns("node-b").pem());
    assertThat(cluster.awaitConditions("csr-after-garbage", WAIT).get(0).getType()).isEqualTo("Approved");
  }

  @Test
  void approvesOnceTheNodeRegisters() throws Exception {
    cluster.createCsr("csr-early", "node-late", KubeletCsrs.forNode("node-late").dns("node-late").pem());
    Thread.sleep(400);
    assertThat(cluster.conditions("csr-early")).isEmpty();
    cluster.createNode("node-late", "Hostname", "node-late", "InternalIP", "10.0.0.99");
    CertificateSigningRequestCondition c = cluster.awaitConditions("csr-early", WAIT).get(0);
    assertThat(c.getType()).isEqualTo("Approved");
  }

  @Test
  void approvesOnceTheNodeReportsItsAddresses() throws Exception {
    cluster.createNode("node-bare");
    cluster.createCsr("csr-bare", "node-bare", KubeletCsrs.forNode("node-bare").dns("node-bare").ip("10.0.0.77").pem());
    MockCluster.await("retry while the node has no addresses", WAIT,
        () -> approver.decisions("retry", "NodeWithoutAddresses") >= 1);
    assertThat(cluster.conditions("csr-bare")).isEmpty();
    cluster.client().nodes().withName("node-bare").edit(n -> {
      n.getStatus().setAddresses(List.of(
          new io.fabric8.kubernetes.api.model.NodeAddress("node-bare", "Hostname"),
          new io.fabric8.kubernetes.api.model.NodeAddress("10.0.0.77", "InternalIP")));
      return n;
    });
    assertThat(cluster.awaitConditions("csr-bare", WAIT).get(0).getType()).isEqualTo("Approved");
  }

  @Test
  void anApprovalWrittenOnAStaleResourceVersionIsRefusedWith409() {
    CertificateSigningRequest judged =
        cluster.createCsr("csr-stale", "kcert.dev/other-signer", "system:node:node-a", GROUPS, USAGES,
            KubeletCsrs.forNode("node-a").dns("node-a").pem());
    cluster.client().certificates().v1().certificateSigningRequests().withName("csr-stale")
        .edit(c -> { c.getMetadata().setLabels(java.util.Map.of("touched", "yes")); return c; });
    ApprovalWriter writer = new ApprovalWriter(cluster.client(), Clock.systemUTC());
    assertThat(writer.write(judged, new dev.kcert.core.approval.Decision.Approve("x"), Duration.ofSeconds(10)))
        .isEqualTo(ApprovalWriter.Outcome.CONFLICT);
    assertThat(cluster.conditions("csr-stale")).isEmpty();
    CertificateSigningRequest fresh = cluster.csr("csr-stale");
    assertThat(writer.write(fresh, new dev.kcert.core.approval.Decision.Approve("x"), Duration.ofSeconds(10)))
        .isEqualTo(ApprovalWriter.Outcome.WRITTEN);
    assertThat(cluster.conditions("csr-stale")).extracting(CertificateSigningRequestCondition::getType)
        .containsExactly("Approved");
  }

  @Test
  void aDecisionThatLosesARaceIsJudgedAgainOnTheFreshObject() {
    cluster.changeBeforeNextApproval("csr-race");
    cluster.createCsr("csr-race", "node-a", KubeletCsrs.forNode("node-a").dns("node-a").pem());
    List<CertificateSigningRequestCondition> conditions = cluster.awaitConditions("csr-race", WAIT);
    assertThat(conditions).extracting(CertificateSigningRequestCondition::getType).containsExactly("Approved");
    assertThat(cluster.approvalPuts("csr-race")).as("first PUT refused with 409, second accepted").isEqualTo(2);
    assertThat(cluster.csr("csr-race").getMetadata().getLabels())
        .as("the second write was made on the re-read object, keeping the other writer's change")
        .containsEntry("touched-by", "someone-else");
  }

  @Test
  void servesHealthReadinessAndMetrics() throws Exception {
    cluster.createCsr("csr-metrics", "node-a", KubeletCsrs.forNode("node-a").dns("node-a").pem());
    cluster.awaitConditions("csr-metrics", WAIT);
    HttpClient http = HttpClient.newHttpClient();
    String base = "http://127.0.0.1:" + approver.httpPort();
    assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/healthz")).build(),
        HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
    assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/readyz")).build(),
        HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
    MockCluster.await("metric", WAIT, () -> approver.decisions("approve", "KcertApproved") >= 1);
    String metrics = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    assertThat(metrics)
        .containsPattern("kcert_approver_decisions_total\\{dry_run=\"false\",reason=\"KcertApproved\",result=\"approve\"} [1-9]")
        .contains("kcert_approver_decision_duration_seconds_bucket")
        .contains("kcert_approver_pending_csrs ")
        .contains("kcert_approver_flood_guard_nodes 0")
        .contains("kcert_approver_leader 1")
        .contains("leader_election_master_status{name=\"kcert-csr-approver\"} 1")
        .contains("workqueue_depth{name=\"certificatesigningrequests\"} ")
        .contains("workqueue_adds_total{name=\"certificatesigningrequests\"} ")
        .contains("kcert_approver_build_info{")
        .contains("jvm_threads_current ");
  }
}
