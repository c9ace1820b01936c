package dev.kcert.approver;

import dev.kcert.core.approval.ApprovalPolicy;
import io.fabric8.kubernetes.api.model.NodeAddress;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequest;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequestBuilder;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequestCondition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;

/**
 * The fabric8 mock API server in CRUD mode, taught the CSR {@code approval} subresource.
 *
 * <p>The CRUD mock serves only the {@code status} and {@code scale} subresources, so a PUT to
 * {@code .../approval} would never be answered. This dispatcher stores such a PUT through the
 * mock's own update path, which keeps the real API server's rules that matter here: the body's
 * conditions are stored, and a stale resourceVersion is answered with 409.
 */
public final class MockCluster implements AutoCloseable {
  private static final Pattern APPROVAL =
      Pattern.compile("^/apis/certificates\\.k8s\\.io/v1/certificatesigningrequests/[^/?]+/approval(\\?.*)?$");

  /** The mock logs every request through java.util.logging; kept at warnings. */
  private static final java.util.logging.Logger MOCK_LOG = java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");

  static {
    MOCK_LOG.setLevel(java.util.logging.Level.WARNING);
  }

  /** Counts approval PUTs, to show who wrote. */
  public final AtomicInteger approvalPuts = new AtomicInteger();

  /** CSR names whose next approval PUT finds the object changed underneath it. */
  private final Set<String> changeBeforeNextApproval = ConcurrentHashMap.newKeySet();

  /** How many of the next approval PUTs are refused with {@link #failCode}, storing nothing. */
  private final AtomicInteger failNext = new AtomicInteger();

  private volatile int failCode = 500;

  /** When the first approval PUT for each CSR name arrived ({@link System#nanoTime()}). */
  public final java.util.Map<String, Long> firstApprovalNanos = new java.util.concurrent.ConcurrentHashMap<>();

  /** Approval PUTs by CSR name. */
  public final java.util.Map<String, AtomicInteger> approvalPutsByName = new java.util.concurrent.ConcurrentHashMap<>();

  private final KubernetesMockServer server;
  private final KubernetesClient client;

  public MockCluster() {
    AtomicInteger puts = approvalPuts;
    java.util.Map<String, AtomicInteger> byName = approvalPutsByName;
    Set<String> changeFirst = changeBeforeNextApproval;
    java.util.Map<String, Long> firstAt = firstApprovalNanos;
    AtomicInteger failing = failNext;
    KubernetesCrudDispatcher dispatcher =
        new KubernetesCrudDispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            String path = request.getPath();
            if (request.method() == HttpMethod.PUT && path != null && APPROVAL.matcher(path).matches()) {
              puts.incrementAndGet();
              String[] parts = path.replaceFirst("\\?.*$", "").split("/");
              byName.computeIfAbsent(parts[parts.length - 2], k -> new AtomicInteger()).incrementAndGet();
              String csrName = parts[parts.length - 2];
              if (failing.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                int code = failCode;
                return new MockResponse().setResponseCode(code).setBody("{\"kind\":\"Status\",\"apiVersion\":\"v1\","
                    + "\"status\":\"Failure\",\"code\":" + code + ",\"message\":\"injected by the test\"}");
              }
              firstAt.putIfAbsent(csrName, System.nanoTime());
              if (changeFirst.remove(csrName)) {
                touch(this, request, csrName);
              }
              return approve(this, request);
            }
            return super.dispatch(request);
          }
        };
    server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), dispatcher, false);
    server.init();
    client = server.createClient();
  }

  /**
   * Makes the next approval PUT for a CSR lose a race: just before it is served, another writer
   * labels the CSR, so the PUT carries a stale resourceVersion.
   */
  public void changeBeforeNextApproval(String csrName) {
    changeBeforeNextApproval.add(csrName);
  }

  /** Refuses the next {@code count} approval PUTs with HTTP {@code code}, storing nothing. */
  public void failNextApprovals(int count, int code) {
    failCode = code;
    failNext.set(count);
  }

  /** Approval PUTs still to be refused. */
  public int failuresLeft() {
    return failNext.get();
  }

  private static void touch(KubernetesCrudDispatcher crud, RecordedRequest request, String csrName) {
    String patch = "{\"metadata\":{\"labels\":{\"touched-by\":\"someone-else\"}}}";
    io.fabric8.mockwebserver.http.Headers headers = new io.fabric8.mockwebserver.http.Headers.Builder()
        .add("Content-Type", "application/merge-patch+json").build();
    crud.dispatch(new RecordedRequest(request.getHttpVersion(), HttpMethod.PATCH,
        "/apis/certificates.k8s.io/v1/certificatesigningrequests/" + csrName, headers,
        new Buffer(patch.getBytes(StandardCharsets.UTF_8))));
  }

  /**
   * Serves {@code PUT .../approval} as the API server does for what the approver relies on: the
   * body is stored through the mock's own update path, which answers 409 when the body's
   * resourceVersion is not the stored one, bumps the resourceVersion and notifies watchers. (The
   * mock's status path would ignore the body's resourceVersion.)
   */
  private static MockResponse approve(KubernetesCrudDispatcher crud, RecordedRequest request) {
    String path = request.getPath().replaceFirst("\\?.*$", "");
    String objectPath = path.substring(0, path.length() - "/approval".length());
    return crud.dispatch(new RecordedRequest(request.getHttpVersion(), HttpMethod.PUT, objectPath,
        request.getHeaders(), request.getBody()));
  }

  public KubernetesClient client() {
    return client;
  }

  /** Another client of the same server, as a second replica would have. */
  public KubernetesClient newClient() {
    return server.createClient();
  }

  /** Approval PUTs received for one CSR. */
  public int approvalPuts(String csrName) {
    AtomicInteger n = approvalPutsByName.get(csrName);
    return n == null ? 0 : n.get();
  }

  public void deleteCsr(String name) {
    client.certificates().v1().certificateSigningRequests().withName(name).delete();
  }

  /** A client URL for the approver's kubeconfig. */
  public String url() {
    return client.getMasterUrl().toString();
  }

  public void createNode(String name, String... typeAndAddress) {
    List<NodeAddress> addresses = new ArrayList<>();
    for (int i = 0; i + 1 < typeAndAddress.length; i += 2) {
      addresses.add(new NodeAddress(typeAndAddress[i + 1], typeAndAddress[i]));
    }
    client.nodes().resource(
        new NodeBuilder().withNewMetadata().withName(name).endMetadata()
            .withNewStatus().withAddresses(addresses).endStatus().build()).create();
  }

  /** Creates a kubelet-serving CSR as the node's kubelet would. */
  public CertificateSigningRequest createCsr(String name, String node, byte[] pem) {
    return createCsr(name, node, pem, Instant.now());
  }

  /** Creates a kubelet-serving CSR as the node's kubelet would have at the given time. */
  public CertificateSigningRequest createCsr(String name, String node, byte[] pem, Instant created) {
    return client.certificates().v1().certificateSigningRequests().resource(
        new CertificateSigningRequestBuilder()
            .withNewMetadata().withName(name).withCreationTimestamp(created.toString()).endMetadata()
            .withNewSpec()
            .withSignerName(ApprovalPolicy.KUBELET_SERVING_SIGNER)
            .withUsername("system:node:" + node)
            .withGroups(List.of("system:nodes", "system:authenticated"))
            .withUsages(List.of("digital signature", "server auth"))
            .withRequest(Base64.getEncoder().encodeToString(pem))
            .endSpec()
            .build()).create();
  }

  public CertificateSigningRequest createCsr(
      String name, String signer, String user, List<String> groups, List<String> usages, byte[] request) {
    return createCsrRaw(name, signer, user, groups, usages, Base64.getEncoder().encodeToString(request));
  }

  /** Creates a CSR with {@code spec.request} exactly as given (the API would require base64). */
  public CertificateSigningRequest createCsrRaw(
      String name, String signer, String user, List<String> groups, List<String> usages, String request) {
    return client.certificates().v1().certificateSigningRequests().resource(
        new CertificateSigningRequestBuilder()
            .withNewMetadata().withName(name).withCreationTimestamp(Instant.now().toString()).endMetadata()
            .withNewSpec()
            .withSignerName(signer)
            .withUsername(user)
            .withGroups(groups)
            .withUsages(usages)
            .withRequest(request)
            .endSpec()
            .build()).create();
  }

  public CertificateSigningRequest csr(String name) {
    return client.certificates().v1().certificateSigningRequests().withName(name).get();
  }

  public List<CertificateSigningRequestCondition> conditions(String name) {
    CertificateSigningRequest csr = csr(name);
    if (csr == null || csr.getStatus() == null || csr.getStatus().getConditions() == null) {
      return List.of();
    }
    return csr.getStatus().getConditions();
  }

  /** Waits until the CSR has at least one condition; returns them. */
  public List<CertificateSigningRequestCondition> awaitConditions(String name, Duration timeout) {
    await("conditions on " + name, timeout, () -> !conditions(name).isEmpty());
    return conditions(name);
  }

  /** Events about one CSR, in the given namespace. */
  public List<io.fabric8.kubernetes.api.model.Event> events(String namespace, String csrName) {
    return client.v1().events().inNamespace(namespace).list().getItems().stream()
        .filter(e -> e.getInvolvedObject() != null && csrName.equals(e.getInvolvedObject().getName()))
        .toList();
  }

  /** Polls until the condition holds, or fails after the timeout. */
  public static void await(String what, Duration timeout, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + timeout.toMillis() + " ms waiting for " + what);
      }
      try {
        Thread.sleep(25);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted waiting for " + what, e);
      }
    }
  }

  @Override
  public void close() {
    client.close();
    server.destroy();
  }
}
