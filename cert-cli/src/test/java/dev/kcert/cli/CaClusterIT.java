package dev.kcert.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kcert.core.kubeapi.ApiClient;
import dev.kcert.core.pem.Certificates;
import dev.kcert.core.rotation.Rotation;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cluster side of {@code kcert ca} against the fabric8 mock API server in CRUD mode over TLS:
 * the inventory of cluster-info, kube-root-ca.crt, token Secrets and caBundles; their updates at
 * trust-both, trust-new, finish and abort; an unreachable API server; the pods from before the
 * trust change and their rollout restart.
 */
class CaClusterIT {
  private static final Logger MOCK_LOG = Logger.getLogger("io.fabric8.mockwebserver");
  private static final ObjectMapper JSON = new ObjectMapper();

  static {
    MOCK_LOG.setLevel(Level.WARNING);
  }

  /** The mock's first answer can take seconds on a loaded machine. */
  private static final String PATIENT = "--api-timeout=30s";

  @TempDir Path root;
  private MockApi api;
  private KubernetesClient client;
  private Path kubeconfig;
  /** The kubeconfig of the mock, for the test's own reads. */
  private Path reachable;
  private String[] dirs;
  private X509Certificate oldCa;
  private X509Certificate otherCa;

  @BeforeEach
  void start() throws Exception {
    dirs = Cli.controlPlane(root);
    oldCa = Certificates.readBundle(root.resolve("pki/ca.crt")).get(0);
    otherCa = Certificates.readBundle(root.resolve("pki/front-proxy-ca.crt")).get(0);
    api = MockApi.crud();
    client = api.client();
    kubeconfig = api.adminConf(root);
    reachable = root.resolveSibling(root.getFileName() + "-mock.conf");
    Files.copy(kubeconfig, reachable);
  }

  @AfterEach
  void stop() {
    api.close();
  }

  private Path adminConf(String url, byte[] caPem) throws IOException {
    return MockApi.adminConf(root, url, caPem);
  }

  private Cli.Run ca(String verb, String... more) {
    return ca(Cli.CLOCK, verb, more);
  }

  private Cli.Run ca(Clock clock, String verb, String... more) {
    String[] head = verb.equals("prepare") ? new String[] {"ca", verb}
        : new String[] {"ca", verb, "--kubeconfig", kubeconfig.toString(), PATIENT};
    return Cli.run(clock, Cli.args(Cli.args(head, dirs), more));
  }

  // ------------------------------------------------------------ the mock's objects

  private static ResourceDefinitionContext ctx(String group, String version, String kind,
      String plural, boolean namespaced) {
    return new ResourceDefinitionContext.Builder().withGroup(group).withVersion(version)
        .withKind(kind).withPlural(plural).withNamespaced(namespaced).build();
  }

  private static final ResourceDefinitionContext CONFIGMAPS = ctx("", "v1", "ConfigMap", "configmaps", true);
  private static final ResourceDefinitionContext SECRETS = ctx("", "v1", "Secret", "secrets", true);
  private static final ResourceDefinitionContext PODS = ctx("", "v1", "Pod", "pods", true);
  private static final ResourceDefinitionContext MUTATING = ctx("admissionregistration.k8s.io", "v1",
      "MutatingWebhookConfiguration", "mutatingwebhookconfigurations", false);
  private static final ResourceDefinitionContext VALIDATING = ctx("admissionregistration.k8s.io",
      "v1", "ValidatingWebhookConfiguration", "validatingwebhookconfigurations", false);
  private static final ResourceDefinitionContext APISERVICES = ctx("apiregistration.k8s.io", "v1",
      "APIService", "apiservices", false);
  private static final ResourceDefinitionContext CRDS = ctx("apiextensions.k8s.io", "v1",
      "CustomResourceDefinition", "customresourcedefinitions", false);
  private static final ResourceDefinitionContext DEPLOYMENTS = ctx("apps", "v1", "Deployment", "deployments", true);
  private static final ResourceDefinitionContext REPLICASETS = ctx("apps", "v1", "ReplicaSet", "replicasets", true);
  private static final ResourceDefinitionContext DAEMONSETS = ctx("apps", "v1", "DaemonSet", "daemonsets", true);
  private static final ResourceDefinitionContext STATEFULSETS = ctx("apps", "v1", "StatefulSet", "statefulsets", true);
  private static final ResourceDefinitionContext PDBS = ctx("policy", "v1", "PodDisruptionBudget",
      "poddisruptionbudgets", true);

  private void create(ResourceDefinitionContext c, String ns, String json) {
    GenericKubernetesResource r = Serialization.unmarshal(json, GenericKubernetesResource.class);
    if (ns == null) {
      client.genericKubernetesResources(c).resource(r).create();
    } else {
      client.genericKubernetesResources(c).inNamespace(ns).resource(r).create();
    }
  }

  private JsonNode get(String path) throws Exception {
    return api().getJson(path);
  }

  private ApiClient api() {
    return ApiClient.connect(reachable, null, Duration.ofSeconds(30));
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

  private static String q(String s) {
    try {
      return JSON.writeValueAsString(s);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String clusterInfoKubeconfig(X509Certificate... cas) {
    return "apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: " + b64(cas)
        + "\n    server: https://10.0.0.10:6443\n  name: \"\"\ncontexts: null\n"
        + "current-context: \"\"\nkind: Config\npreferences: {}\nusers: null\n";
  }

  private void rootCaConfigMap(String ns, X509Certificate... cas) {
    create(CONFIGMAPS, ns, "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":"
        + "\"kube-root-ca.crt\",\"namespace\":\"" + ns + "\"},\"data\":{\"ca.crt\":" + q(pem(cas)) + "}}");
  }

  /** A cluster as kubeadm leaves it, with a webhook, an APIService and a CRD that trust the CA. */
  private void seed() {
    create(CONFIGMAPS, "kube-public", "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":"
        + "{\"name\":\"cluster-info\",\"namespace\":\"kube-public\"},\"data\":{\"kubeconfig\":"
        + q(clusterInfoKubeconfig(oldCa)) + "}}");
    rootCaConfigMap("default", oldCa);
    rootCaConfigMap("kube-system", oldCa);
    create(SECRETS, "legacy", "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":"
        + "\"builder-token\",\"namespace\":\"legacy\"},\"type\":\"kubernetes.io/service-account-token\","
        + "\"data\":{\"ca.crt\":\"" + b64(oldCa) + "\"}}");
    create(SECRETS, "legacy", "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":"
        + "\"opaque\",\"namespace\":\"legacy\"},\"type\":\"Opaque\",\"data\":{\"ca.crt\":\""
        + b64(otherCa) + "\"}}");
    create(MUTATING, null, "{\"apiVersion\":\"admissionregistration.k8s.io/v1\",\"kind\":"
        + "\"MutatingWebhookConfiguration\",\"metadata\":{\"name\":\"policy\"},\"webhooks\":["
        + "{\"name\":\"a.policy.example\",\"clientConfig\":{\"caBundle\":\"" + b64(oldCa) + "\"}},"
        + "{\"name\":\"b.policy.example\",\"clientConfig\":{\"caBundle\":\"" + b64(otherCa, oldCa) + "\"}}]}");
    create(VALIDATING, null, "{\"apiVersion\":\"admissionregistration.k8s.io/v1\",\"kind\":"
        + "\"ValidatingWebhookConfiguration\",\"metadata\":{\"name\":\"theirs\"},\"webhooks\":["
        + "{\"name\":\"c.theirs.example\",\"clientConfig\":{\"caBundle\":\"" + b64(otherCa) + "\"}}]}");
    create(APISERVICES, null, "{\"apiVersion\":\"apiregistration.k8s.io/v1\",\"kind\":\"APIService\","
        + "\"metadata\":{\"name\":\"v1beta1.metrics.k8s.io\"},\"spec\":{\"group\":\"metrics.k8s.io\","
        + "\"version\":\"v1beta1\",\"caBundle\":\"" + b64(oldCa) + "\"}}");
    create(CRDS, null, "{\"apiVersion\":\"apiextensions.k8s.io/v1\",\"kind\":\"CustomResourceDefinition\","
        + "\"metadata\":{\"name\":\"widgets.example.com\"},\"spec\":{\"group\":\"example.com\","
        + "\"names\":{\"plural\":\"widgets\",\"singular\":\"widget\",\"kind\":\"Widget\"},"
        + "\"scope\":\"Namespaced\",\"versions\":[{\"name\":\"v1\",\"served\":true,\"storage\":true}],"
        + "\"conversion\":{\"strategy\":\"Webhook\",\"webhook\":{\"clientConfig\":{\"caBundle\":\""
        + b64(oldCa) + "\"}}}}}");
  }

  private List<X509Certificate> bundle(String base64) {
    return Certificates.parseBundle(Base64.getDecoder().decode(base64), "caBundle");
  }

  private List<X509Certificate> clusterInfoCas() throws Exception {
    String kc = get("/api/v1/namespaces/kube-public/configmaps/cluster-info").path("data")
        .path("kubeconfig").asText();
    String data = kc.lines().filter(l -> l.trim().startsWith("certificate-authority-data:"))
        .findFirst().orElseThrow().trim().substring("certificate-authority-data:".length()).trim();
    return bundle(data);
  }

  private List<X509Certificate> webhook(int i) throws Exception {
    return bundle(get("/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/policy")
        .path("webhooks").get(i).path("clientConfig").path("caBundle").asText());
  }

  private List<X509Certificate> apiService() throws Exception {
    return bundle(get("/apis/apiregistration.k8s.io/v1/apiservices/v1beta1.metrics.k8s.io")
        .path("spec").path("caBundle").asText());
  }

  private List<X509Certificate> crd() throws Exception {
    return bundle(get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com")
        .path("spec").path("conversion").path("webhook").path("clientConfig").path("caBundle").asText());
  }

  private X509Certificate newCa() {
    return Certificates.readBundle(root.resolve("pki/kcert-rotation/ca/new.crt")).get(0);
  }

  // ------------------------------------------------------------ tests

  @Test
  void planListsEveryClusterPlaceMarkedForTheCa() throws Exception {
    seed();
    assertThat(ca("prepare", "--key-algorithm", "ECDSA-P256").code()).isZero();
    Cli.Run r = ca("plan");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.err()).isEmpty();
    assertThat(r.out())
        .contains("Cluster places (" + api.url() + "):\n")
        .containsPattern("\ncluster-info +kube-public/cluster-info +old-only +old\n")
        .containsPattern("\nkube-root-ca.crt +default/kube-root-ca.crt +old-only +old\n")
        .containsPattern("\nkube-root-ca.crt +kube-system/kube-root-ca.crt +old-only +old\n")
        .containsPattern("\nsa-token-secret +legacy/builder-token +old-only +old\n")
        .containsPattern("\nmutating-webhook +policy/a.policy.example +old-only +old\n")
        .containsPattern("\nmutating-webhook +policy/b.policy.example +old-only +other,old\n")
        .containsPattern("\napiservice +v1beta1.metrics.k8s.io +old-only +old\n")
        .containsPattern("\ncrd-conversion +widgets.example.com +old-only +old\n")
        // reported even when absent (a row, never written by kcert)
        .containsPattern("\nextension-apiserver-authentication +kube-system/extension-apiserver-"
            + "authentication/client-ca-file +missing +no such ConfigMap\n")
        .doesNotContain("theirs") // a webhook that trusts another CA only is not this rotation's
        .doesNotContain("opaque");

    JsonNode doc = JSON.readTree(ca("plan", "-o", "json").out());
    JsonNode cluster = doc.path("cluster");
    assertThat(cluster.path("reachable").asBoolean()).isTrue();
    assertThat(cluster.path("places")).hasSize(9);
    JsonNode first = cluster.path("places").get(0);
    assertThat(first.path("kind").asText()).isEqualTo("cluster-info");
    assertThat(first.path("namespace").asText()).isEqualTo("kube-public");
    assertThat(first.path("trust").asText()).isEqualTo("old-only");
    // nothing is behind before trust-both
    assertThat(cluster.path("behind")).isEmpty();
  }

  @Test
  void thePhasesCarryTheClusterPlacesAlongAndFinishPrintsTheHashOfClusterInfo() throws Exception {
    seed();
    assertThat(ca("prepare", "--key-algorithm", "ECDSA-P256").code()).isZero();
    X509Certificate neu = newCa();

    Cli.Run dry = ca("trust-both", "--dry-run");
    assertThat(dry.code()).as(dry.err()).isZero();
    assertThat(dry.out()).contains("cluster: would update cluster-info kube-public/cluster-info: old -> old,new\n");
    assertThat(clusterInfoCas()).containsExactly(oldCa);

    Cli.Run both = ca("trust-both");
    assertThat(both.code()).as(both.err()).isZero();
    assertThat(both.err()).isEmpty();
    assertThat(both.out())
        .contains("cluster: updated cluster-info kube-public/cluster-info: old -> old,new\n")
        .contains("cluster: updated mutating-webhook policy/a.policy.example: old -> old,new\n")
        .contains("cluster: updated mutating-webhook policy/b.policy.example: other,old -> other,old,new\n")
        .contains("cluster: updated apiservice v1beta1.metrics.k8s.io: old -> old,new\n")
        .contains("cluster: updated crd-conversion widgets.example.com: old -> old,new\n")
        .contains("behind in 3 namespace(s): default, kube-system, legacy\n")
        .contains("then restart the pods that started before " + Cli.NOW);
    assertThat(clusterInfoCas()).containsExactly(oldCa, neu);
    assertThat(webhook(0)).containsExactly(oldCa, neu);
    assertThat(webhook(1)).containsExactly(otherCa, oldCa, neu);
    assertThat(apiService()).containsExactly(oldCa, neu);
    assertThat(crd()).containsExactly(oldCa, neu);
    assertThat(bundle(get("/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/theirs")
        .path("webhooks").get(0).path("clientConfig").path("caBundle").asText())).containsExactly(otherCa);

    // again: nothing to write on the cluster side either
    Cli.Run again = ca("trust-both");
    assertThat(again.out()).contains("cluster: every cluster place kcert writes holds what trust-both wants");

    // the controller manager re-publishes kube-root-ca.crt in two of the three namespaces
    client.genericKubernetesResources(CONFIGMAPS).inNamespace("default").withName("kube-root-ca.crt").delete();
    client.genericKubernetesResources(CONFIGMAPS).inNamespace("kube-system").withName("kube-root-ca.crt").delete();
    rootCaConfigMap("default", oldCa, neu);
    rootCaConfigMap("kube-system", oldCa, neu);
    Cli.Run status = ca("status");
    assertThat(status.code()).isZero();
    assertThat(status.out()).isEqualTo("ca: phase trust-both, proven on disk\n"
        + "cluster: 1 cluster place(s) behind trust-both:\n"
        + "  sa-token-secret legacy/builder-token (holds old)\n"
        + "  namespaces whose kube-root-ca.crt or token Secrets are not re-published yet: legacy\n"
        + "cluster: 0 pod(s) started before the trust change at " + Cli.NOW + "\n"
        + "next: kcert ca reissue --ca ca\n");

    assertThat(ca("reissue").code()).isZero();
    assertThat(clusterInfoCas()).containsExactly(oldCa, neu); // reissue keeps both

    Cli.Run tn = ca("trust-new");
    assertThat(tn.code()).as(tn.err()).isZero();
    assertThat(tn.out())
        .contains("cluster: updated cluster-info kube-public/cluster-info: old,new -> new\n")
        .contains("cluster: updated mutating-webhook policy/b.policy.example: other,old,new -> other,new\n");
    assertThat(webhook(0)).containsExactly(neu);
    assertThat(webhook(1)).containsExactly(otherCa, neu);
    assertThat(apiService()).containsExactly(neu);
    assertThat(crd()).containsExactly(neu);

    Cli.Run fin = ca("finish");
    assertThat(fin.code()).as(fin.err()).isZero();
    List<X509Certificate> published = clusterInfoCas();
    assertThat(published).containsExactly(neu);
    assertThat(fin.out()).contains("join commands now need --discovery-token-ca-cert-hash "
        + Rotation.discoveryHash(published.get(0)) + "\n");
  }

  private static final String EXTENSION_AUTH =
      "/api/v1/namespaces/kube-system/configmaps/extension-apiserver-authentication";

  private void extensionAuth(String clientCas, String requestHeaderCas) {
    create(CONFIGMAPS, "kube-system", "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":"
        + "{\"name\":\"extension-apiserver-authentication\",\"namespace\":\"kube-system\"},\"data\":"
        + "{\"client-ca-file\":" + q(clientCas) + ",\"requestheader-client-ca-file\":"
        + q(requestHeaderCas) + ",\"requestheader-username-headers\":\"[\\\"X-Remote-User\\\"]\"}}");
  }

  @Test
  void extensionApiserverAuthenticationIsInventoriedNeverWrittenAndStatusSaysWhenItLags() throws Exception {
    seed();
    extensionAuth(pem(oldCa), pem(otherCa));
    assertThat(ca("prepare", "--key-algorithm", "ECDSA-P256").code()).isZero();
    X509Certificate neu = newCa();

    Cli.Run plan = ca("plan");
    assertThat(plan.code()).as(plan.err()).isZero();
    assertThat(plan.out()).containsPattern("\nextension-apiserver-authentication +kube-system/"
        + "extension-apiserver-authentication/client-ca-file +old-only +old\n");
    Cli.Run frontProxy = ca("plan", "--ca", "front-proxy-ca", "-o", "json");
    assertThat(frontProxy.code()).as(frontProxy.err()).isZero();
    JsonNode row = null;
    for (JsonNode p : JSON.readTree(frontProxy.out()).path("cluster").path("places")) {
      if (p.path("kind").asText().equals("extension-apiserver-authentication")) {
        row = p;
      }
    }
    assertThat(row).isNotNull();
    assertThat(row.path("name").asText()).isEqualTo("extension-apiserver-authentication/requestheader-client-ca-file");
    assertThat(row.path("trust").asText()).isEqualTo("old-only");

    assertThat(ca("trust-both").code()).isZero();
    // never written by kcert: the API servers publish it
    assertThat(get(EXTENSION_AUTH).path("data").path("client-ca-file").asText()).isEqualTo(pem(oldCa));
    Cli.Run status = ca("status");
    assertThat(status.out())
        .contains("  extension-apiserver-authentication kube-system/extension-apiserver-authentication/"
            + "client-ca-file (holds old)\n")
        .contains("cluster: kube-system/extension-apiserver-authentication/client-ca-file holds the old"
            + " CA alone: kcert does not write it; every kube-apiserver publishes it from"
            + " --client-ca-file once it restarts with the trust-both bundle (kcert ca trust-both --ca ca"
            + " --restart restarts this node's)\n");

    // the API server restarted after the trust change, and the ConfigMap still holds the old CA alone
    pod("kube-system", "kube-apiserver-cp-1", Cli.NOW.plus(Duration.ofMinutes(5)), "Node", "cp-1");
    Cli.Run lagging = ca("status");
    assertThat(lagging.out()).contains("cluster: kube-system/extension-apiserver-authentication/"
        + "client-ca-file still holds the old CA alone although every kube-apiserver pod started after"
        + " the trust change at " + Cli.NOW + ": an API server runs with an old-only --client-ca-file");
    JsonNode json = JSON.readTree(ca("status", "-o", "json").out()).path("cluster");
    assertThat(json.path("extensionAuthenticationOldOnly").path("apiServersRestarted").asBoolean()).isTrue();
    assertThat(json.path("behind").toString()).contains("extension-apiserver-authentication");

    // the API servers merge the bundle into it: no longer behind
    client.genericKubernetesResources(CONFIGMAPS).inNamespace("kube-system")
        .withName("extension-apiserver-authentication").delete();
    extensionAuth(pem(oldCa, neu), pem(otherCa));
    Cli.Run caughtUp = ca("status");
    assertThat(caughtUp.out()).doesNotContain("extension-apiserver-authentication/client-ca-file (holds")
        .doesNotContain("holds the old CA alone");
    JsonNode places = JSON.readTree(ca("status", "-o", "json").out()).path("cluster").path("places");
    boolean both = false;
    for (JsonNode p : places) {
      if (p.path("kind").asText().equals("extension-apiserver-authentication")) {
        both = p.path("trust").asText().equals("both");
      }
    }
    assertThat(both).isTrue();
  }

  @Test
  void abortPutsTheOldCaAloneBackInTheClusterPlaces() throws Exception {
    seed();
    ca("prepare", "--key-algorithm", "ECDSA-P256");
    assertThat(ca("trust-both").code()).isZero();
    assertThat(webhook(1)).hasSize(3);
    Cli.Run abort = ca("abort");
    assertThat(abort.code()).as(abort.err()).isZero();
    assertThat(abort.out()).contains("cluster: updated cluster-info kube-public/cluster-info: old,new -> old\n");
    assertThat(clusterInfoCas()).containsExactly(oldCa);
    assertThat(webhook(0)).containsExactly(oldCa);
    assertThat(webhook(1)).containsExactly(otherCa, oldCa);
    assertThat(apiService()).containsExactly(oldCa);
    assertThat(crd()).containsExactly(oldCa);
  }

  @Test
  void anUnreachableApiServerIsOneWarningAndThePhaseIsPendingUntilRunAgain() throws Exception {
    seed();
    ca("prepare", "--key-algorithm", "ECDSA-P256");
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    kubeconfig = adminConf("https://localhost:" + port, Files.readAllBytes(root.resolve("pki/ca.crt")));
    Cli.Run both = ca("trust-both");
    assertThat(both.code()).as(both.err()).isZero();
    assertThat(both.out()).startsWith("ca: trust-both done: ");
    assertThat(both.err()).isEqualTo("warning: the API server at https://localhost:" + port
        + " is unreachable (connection refused); the cluster side of trust-both is pending: run"
        + " this command again once it answers; the renewal Lease kube-system/kcert-renewal is not"
        + " taken: make sure the agent does not work on this node meanwhile\n");
    assertThat(clusterInfoCas()).containsExactly(oldCa);

    Cli.Run status = ca("status");
    assertThat(status.code()).isZero();
    assertThat(status.out()).contains("cluster: the cluster side of trust-both is pending (the API"
        + " server did not answer): run kcert ca trust-both --ca ca again\n");

    kubeconfig = api.adminConf(root);
    Cli.Run again = ca("trust-both");
    assertThat(again.code()).isZero();
    assertThat(again.out()).startsWith("ca: trust-both is done already; nothing was written\n")
        .contains("cluster: updated cluster-info kube-public/cluster-info: old -> old,new\n");
    assertThat(ca("status").out()).doesNotContain("pending");
  }

  // ------------------------------------------------------------ workloads

  private void pod(String ns, String name, Instant startedAt, String ownerKind, String owner) {
    String ref = ownerKind == null ? "" : ",\"ownerReferences\":[{\"apiVersion\":\"apps/v1\",\"kind\":\""
        + ownerKind + "\",\"name\":\"" + owner + "\",\"uid\":\"u-" + owner + "\",\"controller\":true}]";
    create(PODS, ns, "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"" + name
        + "\",\"namespace\":\"" + ns + "\"" + ref + "},\"spec\":{\"containers\":[{\"name\":\"c\","
        + "\"image\":\"x\"}]},\"status\":{\"phase\":\"Running\",\"startTime\":\"" + startedAt
        + "\",\"containerStatuses\":[{\"name\":\"c\",\"state\":{\"running\":{\"startedAt\":\""
        + startedAt + "\"}}}]}}");
  }

  private static final String READY_DEPLOY_STATUS =
      "\"status\":{\"observedGeneration\":1,\"replicas\":1,\"updatedReplicas\":1,\"availableReplicas\":1}";

  private void workloads() {
    Instant before = Cli.NOW.minus(Duration.ofDays(3));
    Instant after = Cli.NOW.plus(Duration.ofMinutes(5));
    create(DEPLOYMENTS, "web", "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":"
        + "{\"name\":\"shop\",\"namespace\":\"web\",\"generation\":1},\"spec\":{\"replicas\":1,"
        + "\"template\":{\"metadata\":{\"labels\":{\"app\":\"shop\"}}}}," + READY_DEPLOY_STATUS + "}");
    create(REPLICASETS, "web", "{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\",\"metadata\":"
        + "{\"name\":\"shop-5d8f\",\"namespace\":\"web\",\"ownerReferences\":[{\"apiVersion\":"
        + "\"apps/v1\",\"kind\":\"Deployment\",\"name\":\"shop\",\"uid\":\"u-shop\",\"controller\":true}]}}");
    pod("web", "shop-5d8f-a", before, "ReplicaSet", "shop-5d8f");
    pod("web", "shop-5d8f-b", before, "ReplicaSet", "shop-5d8f");
    create(DAEMONSETS, "kube-system", "{\"apiVersion\":\"apps/v1\",\"kind\":\"DaemonSet\",\"metadata\":"
        + "{\"name\":\"proxy\",\"namespace\":\"kube-system\"},\"spec\":{\"template\":{\"metadata\":"
        + "{\"labels\":{\"k8s-app\":\"proxy\"}}}},\"status\":{\"desiredNumberScheduled\":1,"
        + "\"updatedNumberScheduled\":1,\"numberAvailable\":1}}");
    pod("kube-system", "proxy-x1", before, "DaemonSet", "proxy");
    create(PDBS, "kube-system", "{\"apiVersion\":\"policy/v1\",\"kind\":\"PodDisruptionBudget\","
        + "\"metadata\":{\"name\":\"proxy-pdb\",\"namespace\":\"kube-system\"},\"spec\":{\"selector\":"
        + "{\"matchLabels\":{\"k8s-app\":\"proxy\"}}},\"status\":{\"disruptionsAllowed\":0}}");
    create(STATEFULSETS, "data", "{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"metadata\":"
        + "{\"name\":\"db\",\"namespace\":\"data\"},\"spec\":{\"replicas\":1,\"template\":{\"metadata\":"
        + "{\"labels\":{\"app\":\"db\"}}}},\"status\":{\"replicas\":1,\"updatedReplicas\":1,"
        + "\"readyReplicas\":1,\"currentRevision\":\"db-1\",\"updateRevision\":\"db-1\"}}");
    pod("data", "db-0", before, "StatefulSet", "db");
    pod("kube-system", "kube-apiserver-cp-1", before, "Node", "cp-1");
    pod("web", "fresh-1", after, "ReplicaSet", "shop-5d8f");
  }

  @Test
  void workloadsListsThePodsFromBeforeTheTrustChangeAndTrustNewRefusesWhileTheyRun() throws Exception {
    seed();
    workloads();
    ca("prepare", "--key-algorithm", "ECDSA-P256");
    assertThat(ca("trust-both").code()).isZero();
    Cli.Run list = ca("workloads");
    assertThat(list.code()).isEqualTo(ExitCodes.ERROR);
    assertThat(list.out()).containsPattern("NAMESPACE +OWNER +PODS +RESTART\n")
        .containsPattern("\ndata +StatefulSet/db +1 +rollout\n")
        .containsPattern("\nkube-system +DaemonSet/proxy +1 +rollout\n")
        .containsPattern("\nkube-system +Node/cp-1 +1 +by hand\n")
        .containsPattern("\nweb +Deployment/shop +2 +rollout\n")
        .contains("ca: 5 pod(s) of 4 owner(s) started before the trust change at " + Cli.NOW)
        .doesNotContain("fresh-1");
    JsonNode doc = JSON.readTree(ca("workloads", "-o", "json").out());
    assertThat(doc.path("kind").asText()).isEqualTo("CaRotationWorkloads");
    assertThat(doc.path("owners").get(3).path("pods").toString()).isEqualTo("[\"shop-5d8f-a\",\"shop-5d8f-b\"]");

    assertThat(ca("reissue").code()).isZero();
    Cli.Run refused = ca("trust-new");
    assertThat(refused.code()).isEqualTo(ExitCodes.ERROR);
    assertThat(refused.err()).isEqualTo("error: ca: trust-new refused: 5 pod(s) of 4 owner(s) started"
        + " before the trust change at " + Cli.NOW + " and may trust the old CA alone (kcert ca"
        + " workloads lists them, --restart-workloads restarts them; --force goes on)\n");
    assertThat(webhook(0)).hasSize(2); // nothing written
    Cli.Run forced = ca("trust-new", "--force");
    assertThat(forced.code()).as(forced.err()).isZero();
    assertThat(webhook(0)).containsExactly(newCa());
  }

  @Test
  void restartRollsOneWorkloadAtATimeAndHoldsBackWhatAPdbProtects() throws Exception {
    seed();
    workloads();
    ca("prepare", "--key-algorithm", "ECDSA-P256");
    assertThat(ca("trust-both").code()).isZero();

    // a controller: once the restart annotation appears, the rollout completes a moment later
    List<String> seen = new ArrayList<>();
    Thread controller = new Thread(() -> rollOut(seen));
    controller.setDaemon(true);
    controller.start();
    Cli.Run r = ca(Clock.systemUTC(), "workloads", "--restart-workloads", "--poll", "1s",
        "--rollout-timeout", "60s");
    controller.interrupt();
    assertThat(r.code()).as(r.out() + r.err()).isEqualTo(ExitCodes.ERROR); // held back, and a static pod
    assertThat(r.out())
        .contains("StatefulSet data/db: restarting\nStatefulSet data/db: rolled out\n")
        .contains("DaemonSet kube-system/proxy: not restarted: PodDisruptionBudget"
            + " kube-system/proxy-pdb allows no disruption now\n")
        .contains("Deployment web/shop: restarting\nDeployment web/shop: rolled out\n");
    // one at a time: the StatefulSet's rollout was complete before the Deployment was touched
    assertThat(r.out().indexOf("StatefulSet data/db: rolled out"))
        .isLessThan(r.out().indexOf("Deployment web/shop: restarting"));
    assertThat(get("/apis/apps/v1/namespaces/web/deployments/shop").path("spec").path("template")
        .path("metadata").path("annotations").path("kubectl.kubernetes.io/restartedAt").asText()).isNotEmpty();
    assertThat(get("/apis/apps/v1/namespaces/kube-system/daemonsets/proxy").path("spec").path("template")
        .path("metadata").path("annotations").isMissingNode()).isTrue();
    assertThat(seen).containsExactly("data/db", "web/shop");
  }

  @Test
  void aRolloutThatNeverCompletesStopsTheRun() throws Exception {
    seed();
    workloads();
    ca("prepare", "--key-algorithm", "ECDSA-P256");
    assertThat(ca("trust-both").code()).isZero();
    Cli.Run r = ca(Clock.systemUTC(), "workloads", "--restart-workloads", "--poll", "1s",
        "--rollout-timeout", "1s");
    assertThat(r.code()).isEqualTo(ExitCodes.ERROR);
    assertThat(r.out()).contains("StatefulSet data/db: rollout not complete after 1s; stopping here\n")
        .doesNotContain("Deployment web/shop: restarting");
  }

  /** Plays the workload controllers for the restarts: marks each rollout complete. */
  private void rollOut(List<String> seen) {
    ApiClient api = api();
    String[][] watched = {
      {"/apis/apps/v1/namespaces/data/statefulsets/db", "data/db"},
      {"/apis/apps/v1/namespaces/web/deployments/shop", "web/shop"},
    };
    try {
      while (!Thread.currentThread().isInterrupted()) {
        for (String[] w : watched) {
          JsonNode obj = api.getJson(w[0]);
          boolean annotated = obj.path("spec").path("template").path("metadata").path("annotations")
              .has("kubectl.kubernetes.io/restartedAt");
          if (annotated && !seen.contains(w[1])) {
            com.fasterxml.jackson.databind.node.ObjectNode o = obj.deepCopy();
            long gen = o.path("metadata").path("generation").asLong(1);
            com.fasterxml.jackson.databind.node.ObjectNode st = (com.fasterxml.jackson.databind.node.ObjectNode) o.get("status");
            // first the controller notices the new template: not rolled out yet
            st.put("observedGeneration", gen + 1);
            ((com.fasterxml.jackson.databind.node.ObjectNode) o.path("metadata")).put("generation", gen + 1);
            st.put("updatedReplicas", 0);
            api.put(w[0], o);
            Thread.sleep(300);
            JsonNode now = api.getJson(w[0]);
            com.fasterxml.jackson.databind.node.ObjectNode done = now.deepCopy();
            ((com.fasterxml.jackson.databind.node.ObjectNode) done.get("status")).put("updatedReplicas", 1);
            api.put(w[0], done);
            seen.add(w[1]);
          }
        }
        Thread.sleep(50);
      }
    } catch (Exception e) {
      // the test is over
    }
  }
}
