package dev.kcert.approver;

import dev.kcert.kube.EventRecorder;
import dev.kcert.kube.Leadership;
import dev.kcert.kube.Log;
import dev.kcert.core.approval.ApprovalPolicy;
import dev.kcert.core.approval.CsrRequest;
import dev.kcert.core.approval.CsrRequest.CsrState;
import dev.kcert.core.approval.Decision;
import dev.kcert.core.approval.DnsAnswer;
import dev.kcert.core.approval.FloodGuard;
import dev.kcert.core.approval.PolicyConfig;
import dev.kcert.core.approval.ReservedNames;
import dev.kcert.core.approval.IgnoreReason;
import dev.kcert.core.approval.NodeInfo;
import dev.kcert.core.approval.RetryReason;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequest;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control loop: informers on kubelet-serving CSRs and on Nodes feed a work queue; workers judge
 * each pending CSR with {@link ApprovalPolicy} and write approvals and denials.
 */
final class Controller implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Controller.class);
  private static final String NODE_INDEX = "node";
  private static final int MAX_CONFLICT_RETRIES = 3;
  private static final Duration UNSYNCED_RETRY = Duration.ofMillis(200);
  /** A write is sent only with at least this much of the lease left. */
  private static final Duration MIN_WRITE_BUDGET = Duration.ofMillis(500);

  private final KubernetesClient client;
  private volatile ApprovalPolicy policy;
  private final Settings settings;
  private final Metrics metrics;
  private final EventRecorder events;
  private final ApprovalWriter writer;
  private final Clock clock;
  private final Leadership fence;
  private final ClusterNames names;
  private final Function<String, DnsAnswer> dns;
  private final WorkQueue queue;
  private final List<Thread> workers = new ArrayList<>();
  /** Names logged once per resourceVersion (dry-run decisions, ignored non-node requests, skipped denials). */
  private final Map<String, String> judgedOnce = new ConcurrentHashMap<>();
  /** Names a flood-guard event was written for. */
  private final Set<String> floodNoticed = ConcurrentHashMap.newKeySet();
  /** Nodes whose approvals are held back by the flood guard now. */
  private final Set<String> heldBackNodes = ConcurrentHashMap.newKeySet();
  /** Requests of held-back nodes sent behind every other request once, before they are judged. */
  private final Set<String> deferred = ConcurrentHashMap.newKeySet();
  /** The flood guard's last view of each node, dropped whenever that node's requests change. */
  private final Map<String, Flood> floodCache = new ConcurrentHashMap<>();

  private record Flood(FloodGuard.Status status, long atNanos) {}

  /** How long a node's flood-guard view is reused while none of its requests changes. */
  static final Duration FLOOD_REFRESH = Duration.ofSeconds(1);
  /** Held-back requests are judged again after this at the latest (a deletion wakes them sooner). */
  static final Duration FLOOD_RETRY = Duration.ofMinutes(1);
  private volatile boolean closing;
  private volatile boolean started;

  /**
   * Requests this instance wrote a decision for. Until the cache shows that decision, an update
   * event may hand the worker the same request still pending; it is not judged and written again.
   */
  private final Set<String> decided = ConcurrentHashMap.newKeySet();

  private SharedIndexInformer<CertificateSigningRequest> csrInformer;
  private SharedIndexInformer<Node> nodeInformer;

  Controller(
      KubernetesClient client,
      Settings settings,
      Metrics metrics,
      EventRecorder events,
      ApprovalWriter writer,
      Clock clock,
      Leadership fence,
      ClusterNames names,
      Function<String, DnsAnswer> dns) {
    this.client = client;
    this.policy = new ApprovalPolicy(settings.policy().withReserved(names.current()));
    this.settings = settings;
    this.metrics = metrics;
    this.events = events;
    this.writer = writer;
    this.clock = clock;
    this.fence = fence;
    this.names = names;
    this.dns = dns;
    this.queue = new WorkQueue(settings.retryBaseDelay(), settings.retryMaxDelay(), metrics.queueObserver());
  }

  /** The cluster's own names changed: judge every pending request again under the new rules. */
  void reservedNamesChanged(ReservedNames reserved) {
    policy = new ApprovalPolicy(settings.policy().withReserved(reserved));
    enqueueAll();
  }

  /**
   * Retries a failed list or watch for as long as the process runs: the informer backs off on
   * its own, and {@link #stoppedForGood()} tells the health check if it ever gives up.
   */
  private static boolean retryForever(String what, boolean started, Throwable t) {
    LOG.warn("informer={} started={} action=retry error={}", what, started, Log.q(Log.oneLine(t)));
    return true;
  }

  void start() {
    long resync = settings.resync().toMillis();
    nodeInformer = client.nodes().runnableInformer(resync);
    nodeInformer.addEventHandler(
        new ResourceEventHandler<>() {
          @Override
          public void onAdd(Node node) {
            enqueueForNode(node.getMetadata().getName());
          }

          @Override
          public void onUpdate(Node oldNode, Node newNode) {
            enqueueForNode(newNode.getMetadata().getName());
          }

          @Override
          public void onDelete(Node node, boolean deletedFinalStateUnknown) {
            // its pending requests now wait for the grace period, then are denied
            enqueueForNode(node.getMetadata().getName());
          }
        });
    nodeInformer.exceptionHandler((started, t) -> retryForever("nodes", started, t));

    // filtered on the server; a server that ignores the selector is filtered again in shouldJudge
    csrInformer =
        client.certificates().v1().certificateSigningRequests()
            .withField("spec.signerName", ApprovalPolicy.KUBELET_SERVING_SIGNER)
            .runnableInformer(resync);
    csrInformer.addIndexers(Map.of(NODE_INDEX, csr -> nodeNameOf(csr).map(List::of).orElse(List.of())));
    csrInformer.addEventHandler(
        new ResourceEventHandler<>() {
          @Override
          public void onAdd(CertificateSigningRequest csr) {
            nodeNameOf(csr).ifPresent(floodCache::remove);
            enqueue(csr);
          }

          @Override
          public void onUpdate(CertificateSigningRequest oldCsr, CertificateSigningRequest newCsr) {
            nodeNameOf(newCsr).ifPresent(floodCache::remove);
            enqueue(newCsr);
          }

          @Override
          public void onDelete(CertificateSigningRequest csr, boolean deletedFinalStateUnknown) {
            String name = csr.getMetadata().getName();
            judgedOnce.remove(name);
            decided.remove(name);
            floodNoticed.remove(name);
            deferred.remove(name);
            queue.forget(name);
            nodeNameOf(csr).ifPresent(floodCache::remove);
            // a node held back has one request fewer: its others may be under the limit now
            nodeNameOf(csr).filter(heldBackNodes::contains).ifPresent(Controller.this::enqueueForNode);
          }
        });
    csrInformer.exceptionHandler((started, t) -> retryForever("certificatesigningrequests", started, t));
    metrics.registerGauges(this::pendingCount, queue::size, heldBackNodes::size, fence::mayWrite, settings.leaseName());
    nodeInformer.start();
    csrInformer.start();
    started = true;
    for (int i = 0; i < settings.workers(); i++) {
      Thread t = new Thread(this::work, "approver-worker-" + i);
      t.setDaemon(true);
      t.start();
      workers.add(t);
    }
  }

  /** Whether both informers have listed their objects once and the cluster's names are known. */
  boolean hasSynced() {
    return csrInformer != null && nodeInformer != null && csrInformer.hasSynced() && nodeInformer.hasSynced()
        && names.known();
  }

  /** Why the controller cannot go on, or null: an informer that stopped and will not restart. */
  String stoppedForGood() {
    if (closing || !started) {
      return null;
    }
    for (SharedIndexInformer<?> i : new SharedIndexInformer<?>[] {csrInformer, nodeInformer}) {
      if (i != null && i.stopped().toCompletableFuture().isDone()) {
        String why = "informer for " + i.getApiTypeClass().getSimpleName() + " stopped";
        try {
          i.stopped().toCompletableFuture().getNow(null);
        } catch (RuntimeException e) {
          why += ": " + Log.oneLine(e);
        }
        return why;
      }
    }
    return null;
  }

  /** Queues every pending kubelet-serving CSR; called when this replica becomes the leader. */
  void enqueueAll() {
    if (csrInformer == null) {
      return;
    }
    for (CertificateSigningRequest csr : csrInformer.getStore().list()) {
      enqueue(csr);
    }
  }

  private void enqueue(CertificateSigningRequest csr) {
    if (isPendingKubeletServing(csr)) {
      queue.add(csr.getMetadata().getName());
    }
  }

  private void enqueueForNode(String node) {
    if (csrInformer == null) {
      return;
    }
    for (CertificateSigningRequest csr : csrInformer.getIndexer().byIndex(NODE_INDEX, node)) {
      enqueue(csr);
    }
  }

  private static boolean isPendingKubeletServing(CertificateSigningRequest csr) {
    return csr.getSpec() != null
        && ApprovalPolicy.KUBELET_SERVING_SIGNER.equals(csr.getSpec().getSignerName())
        && CsrMapping.state(csr) == CsrState.PENDING;
  }

  private static Optional<String> nodeNameOf(CertificateSigningRequest csr) {
    return csr.getSpec() == null ? Optional.empty() : ApprovalPolicy.nodeName(csr.getSpec().getUsername());
  }

  private int pendingCount() {
    if (csrInformer == null) {
      return 0;
    }
    return (int) csrInformer.getStore().list().stream().filter(Controller::isPendingKubeletServing).count();
  }

  /**
   * The flood guard's view of one node: its pending and approved requests in the window, found
   * through the informer's node index (a node with n requests costs n per decision).
   */
  private FloodGuard.Status flood(String node, Instant now) {
    Flood cached = floodCache.get(node);
    long t = System.nanoTime();
    if (cached != null && t - cached.atNanos() < FLOOD_REFRESH.toNanos()) {
      return cached.status();
    }
    List<Instant> created = new ArrayList<>();
    for (CertificateSigningRequest csr : csrInformer.getIndexer().byIndex(NODE_INDEX, node)) {
      CsrState state = CsrMapping.state(csr);
      if (state == CsrState.PENDING || state == CsrState.APPROVED || state == CsrState.ISSUED) {
        created.add(CsrMapping.created(csr, now));
      }
    }
    PolicyConfig p = settings.policy();
    FloodGuard.Status status = FloodGuard.evaluate(node, created, p.nodeRequestLimit(), p.floodWindow(), now);
    floodCache.put(node, new Flood(status, t));
    if (status.active()) {
      if (heldBackNodes.add(node)) {
        LOG.warn("flood_guard=on node={} message={}", node, Log.q(status.describe()));
      }
    } else if (heldBackNodes.remove(node)) {
      LOG.info("flood_guard=off node={} message={}", node, Log.q(status.describe()));
      floodNoticed.removeIf(n -> true);
      enqueueForNode(node);
    }
    return status;
  }

  private void work() {
    while (true) {
      Optional<String> key;
      try {
        key = queue.take();
      } catch (InterruptedException e) {
        return;
      }
      if (key.isEmpty()) {
        return;
      }
      String name = key.get();
      try {
        process(name);
      } catch (RuntimeException e) {
        Duration delay = queue.addRateLimited(name);
        LOG.warn("csr={} decision=error error={} retry_in={}", name, Log.q(Log.oneLine(e)), delay);
      } finally {
        queue.done(name);
      }
    }
  }

  private void process(String name) {
    if (!fence.mayWrite()) {
      // followers only keep their caches warm; a new leader queues every pending request
      queue.forget(name);
      return;
    }
    if (!hasSynced()) {
      // a Node missing from a cache still filling is not a missing Node: wait for the full picture
      queue.addAfter(name, UNSYNCED_RETRY);
      return;
    }
    CertificateSigningRequest csr = csrInformer.getStore().getByKey(name);
    if (decided.contains(name)) {
      queue.forget(name); // written already; the cache has not caught up yet
      return;
    }
    Optional<String> node = csr == null ? Optional.empty() : nodeNameOf(csr);
    if (node.isPresent() && heldBackNodes.contains(node.get())
        && flood(node.get(), clock.instant()).active() && deferred.add(name)) {
      // a flooding node's pile waits behind every other node's requests, then is judged
      queue.addLater(name);
      return;
    }
    deferred.remove(name);
    for (int attempt = 0; csr != null && isPendingKubeletServing(csr); attempt++) {
      Optional<Conflict> conflict = handle(csr);
      if (conflict.isEmpty()) {
        return;
      }
      if (attempt >= MAX_CONFLICT_RETRIES) {
        queue.addRateLimited(name);
        return;
      }
      csr = conflict.get().fresh();
    }
    queue.forget(name);
  }

  /** A write refused because the object changed; {@code fresh} is its current state, null if gone. */
  private record Conflict(CertificateSigningRequest fresh) {}

  /**
   * Judges one CSR and acts on the decision.
   *
   * @return empty when done; a conflict when the object changed since it was read
   */
  private Optional<Conflict> handle(CertificateSigningRequest csr) {
    long start = System.nanoTime();
    Instant now = clock.instant();
    String name = csr.getMetadata().getName();
    CsrRequest request = CsrMapping.toRequest(csr, now);
    Optional<String> nodeName = ApprovalPolicy.nodeName(request.username());
    Optional<NodeInfo> node =
        nodeName.map(n -> nodeInformer.getStore().getByKey(n)).map(CsrMapping::toNode);
    FloodGuard.Status flood = nodeName.map(n -> flood(n, now)).orElse(FloodGuard.Status.OFF);
    Decision decision = policy.judge(request, node, flood, dns, now);
    String nodeLabel = nodeName.orElse("-");

    if (decision instanceof Decision.Ignore ignore) {
      queue.forget(name);
      if (ignore.why() == IgnoreReason.NOT_A_NODE && firstSight(csr)) {
        report(name, nodeLabel, decision, "", settings.dryRun(), start);
      }
      return Optional.empty();
    }
    if (decision instanceof Decision.Retry retry) {
      Duration delay = queue.nextDelay(name);
      if (retry.why() == RetryReason.FLOOD_GUARD && delay.compareTo(FLOOD_RETRY) < 0) {
        delay = FLOOD_RETRY;
      }
      if (retry.until().isPresent()) {
        Duration untilEnd = Duration.between(now, retry.until().get()).plusSeconds(1);
        if (untilEnd.compareTo(delay) < 0) {
          delay = untilEnd;
        }
      }
      queue.addAfter(name, delay);
      report(name, nodeLabel, decision, " retry_in=" + delay, settings.dryRun(), start);
      if (retry.why() == RetryReason.FLOOD_GUARD) {
        metrics.heldBack();
        if (!settings.dryRun() && fence.mayWrite() && floodNoticed.add(name)) {
          events.record(csr, true, decision.reason(), decision.message());
        }
      }
      return Optional.empty();
    }
    return write(csr, decision, nodeLabel, start);
  }

  private Optional<Conflict> write(
      CertificateSigningRequest csr, Decision decision, String node, long start) {
    String name = csr.getMetadata().getName();
    if (!fence.mayWrite()) {
      // the leader decides (and, in dry-run, reports); the others only keep their caches warm
      LOG.debug("csr={} decision={} not_leader=true", name, decision.result());
      return Optional.empty();
    }
    if (settings.dryRun()) {
      if (firstSight(csr)) {
        report(name, node, decision, " dry_run=true", true, start);
      }
      return Optional.empty();
    }
    if (decision instanceof Decision.Deny && settings.skipDeny()) {
      // left pending for whoever manages these requests; said once per version of the request
      queue.forget(name);
      if (firstSight(csr)) {
        report(name, node, decision, " skip_deny=true", false, start);
        events.record(csr, true, decision.reason(), "left pending (--skip-deny): " + decision.message());
      }
      return Optional.empty();
    }
    Duration budget = fence.remaining();
    if (!fence.mayWrite() || budget.compareTo(MIN_WRITE_BUDGET) < 0) {
      // the lease may lapse before the write lands: another replica may be deciding by then
      LOG.info("csr={} decision={} fenced=true", name, decision.result());
      queue.addAfter(name, Duration.ofSeconds(1));
      return Optional.empty();
    }
    ApprovalWriter.Outcome outcome;
    try {
      outcome = writer.write(csr, decision, budget);
    } catch (ApprovalWriter.WriteException e) {
      metrics.writeError();
      throw e;
    }
    switch (outcome) {
      case WRITTEN -> {
        report(name, node, decision, "", false, start);
        events.record(csr, decision instanceof Decision.Deny, decision.reason(), decision.message());
        decided.add(name);
        return Optional.empty();
      }
      case GONE -> {
        LOG.info("csr={} node={} decision={} gone=true", name, node, decision.result());
        return Optional.empty();
      }
      case CONFLICT -> {
        LOG.info("csr={} node={} conflict=true resource_version={} action=reread", name, node, rv(csr));
        try {
          return Optional.of(new Conflict(
              client.certificates().v1().certificateSigningRequests().withName(name).get()));
        } catch (KubernetesClientException e) {
          throw new ApprovalWriter.WriteException("cannot re-read " + name + ": " + Log.oneLine(e), e);
        }
      }
    }
    throw new IllegalStateException("unreachable");
  }

  /** Logs a decision as one key=value line ({@code extra} before the message) and counts it. */
  private void report(String csr, String node, Decision decision, String extra, boolean dryRun, long start) {
    LOG.info("csr={} node={} decision={} reason={}{} message={}", csr, node, decision.result(),
        decision.reason(), extra, Log.q(decision.message()));
    metrics.decided(decision.result(), decision.reason(), dryRun, seconds(start));
  }

  /** Whether this resourceVersion of the request is seen for the first time (logged once). */
  private boolean firstSight(CertificateSigningRequest csr) {
    String rv = rv(csr);
    return !rv.equals(judgedOnce.put(csr.getMetadata().getName(), rv));
  }

  private static String rv(CertificateSigningRequest csr) {
    String rv = csr.getMetadata().getResourceVersion();
    return rv == null ? "" : rv;
  }

  private static double seconds(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e9;
  }

  @Override
  public void close() {
    closing = true;
    // let a worker finish the object it holds (its write and event), then stop the stragglers
    queue.close();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    for (Thread t : workers) {
      try {
        t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      t.interrupt();
    }
    if (csrInformer != null) {
      csrInformer.stop();
    }
    if (nodeInformer != null) {
      nodeInformer.stop();
    }
  }
}
