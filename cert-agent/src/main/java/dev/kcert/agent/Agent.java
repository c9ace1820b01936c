package dev.kcert.agent;

import dev.kcert.core.model.CatalogueEntry;
import dev.kcert.core.kubeapi.RenewalLease;
import dev.kcert.core.model.KcertException;
import dev.kcert.core.node.Component;
import dev.kcert.core.node.NodeEndpoints;
import dev.kcert.core.node.ServedCheck;
import dev.kcert.core.node.StaticPodRestarter;
import dev.kcert.core.node.TlsProbe;
import dev.kcert.core.pem.Pem;
import dev.kcert.core.pki.AtomicFiles;
import dev.kcert.core.pki.PkiLayout;
import dev.kcert.core.renewal.FileOps;
import dev.kcert.core.renewal.Installer;
import dev.kcert.core.renewal.RenewalPlanner;
import dev.kcert.core.renewal.Renewer;
import dev.kcert.core.renewal.RunLock;
import dev.kcert.kube.EventRecorder;
import dev.kcert.kube.LeaseLock;
import dev.kcert.kube.Log;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node's side of the coordinated renewal. Each {@link #cycle()} looks at the node (what is
 * due within {@code --renew-before}, what each port serves) and, when something is to do and every
 * gate passes, takes a slot of the cluster-wide Lease, renews with cert-core's engine (backup,
 * crash-safe writes, verification), restarts the static pods whose certificates changed or whose
 * ports serve another certificate, one at a time in the order etcd, kube-apiserver,
 * kube-controller-manager, kube-scheduler, and gates each restart on its ports (health endpoint and
 * served certificate) and on its mirror pod (config hash changed, Ready).
 *
 * <p>The Lease records the phase and the backup folder. A successor on the same node that finds
 * its node's run in the Lease rolls it back (PKI files, then the manifests from the backup one at a
 * time, latest first, each waited for until its ports serve the files on disk) and starts afresh;
 * another node takes the Lease over only when its holder's Node is gone or the holder
 * has not renewed it within the TTL. A run that fails a gate is rolled back by the restarter, and
 * the node is marked failed on the Lease, on its Node and by an Event: no node starts while the
 * mark is there. An operator clears it by removing the Lease annotation {@value #LEASE_FAILED}.
 *
 * <p>Inputs and what they can influence: the PKI and manifests on disk are this node's own (root
 * only); ports are probed on the addresses the manifests name; Node, Pod and Lease objects come
 * from the API server and only decide whether and when to run, never what is written.
 */
public final class Agent implements AutoCloseable {
  public static final String LEASE_PHASE = "kcert.dev/phase";
  public static final String LEASE_BACKUP = "kcert.dev/backup";
  public static final String LEASE_FAILED = "kcert.dev/failed";
  public static final String NODE_LAST_RENEWAL = "kcert.dev/last-renewal";
  public static final String NODE_LAST_RESULT = "kcert.dev/last-renewal-result";
  public static final String NODE_FAILED = "kcert.dev/renewal-failed";
  public static final String COMPONENT = "kcert-agent";
  /** Events about cluster-scoped Nodes go to this namespace. */
  public static final String EVENT_NAMESPACE = "default";

  private static final Logger LOG = LoggerFactory.getLogger(Agent.class);

  /** What one cycle did. */
  public enum Kind {
    IDLE, DEFERRED, DRY_RUN, RENEWED, FAILED
  }

  /** What one cycle did and why. */
  public record Outcome(Kind kind, String message) {}

  private final KubernetesClient client;
  private final AgentSettings settings;
  private final Clock clock;
  private final AgentMetrics metrics;
  private final EventRecorder events;
  private final Notifier notifier;
  private final ClusterGates gates;
  private final List<LeaseLock> slots = new ArrayList<>();
  private final Installer installer = new Installer(FileOps.system());
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "lease-renewer");
            t.setDaemon(true);
            return t;
          });
  private volatile List<ServedCheck.Result> served = List.of();
  /** The failed mark that holds every node back is this node's own (its phase stays failed). */
  private volatile boolean failedHere;
  /** Told of each phase as it is recorded in the Lease (tests stop the agent there). */
  private volatile Consumer<String> phaseObserver = p -> {};

  public Agent(KubernetesClient client, AgentSettings settings, Clock clock, AgentMetrics metrics) {
    this.client = client;
    this.settings = settings;
    this.clock = clock;
    this.metrics = metrics;
    this.events = new EventRecorder(client, EVENT_NAMESPACE, COMPONENT, settings.node(), clock, () -> {});
    this.notifier = new Notifier(settings.notifyUrl(), settings.node(), clock);
    this.gates = new ClusterGates(client, settings.node());
    for (int i = 0; i < settings.concurrency(); i++) {
      slots.add(
          new LeaseLock(client, settings.leaseNamespace(), i == 0 ? settings.leaseName() : settings.leaseName() + "-" + i,
              settings.leaseTtl(), clock));
    }
  }

  void observePhases(Consumer<String> observer) {
    this.phaseObserver = observer;
  }

  /** The latest served-certificate check, for the metrics. */
  public List<ServedCheck.Result> served() {
    return served;
  }

  /** Looks at the node and the cluster once, and renews when it is due and allowed. */
  public Outcome cycle() {
    PkiLayout layout = settings.layout();
    // 0. a `kcert ca` phase holds the Lease for this node: it is writing this node's PKI
    for (LeaseLock slot : slots) {
      LeaseLock.State s = slot.read();
      if (rotationHolds(slot, s)) {
        return deferred("a CA rotation phase (" + s.annotation(RenewalLease.CA_ROTATION).get()
            + ") holds the renewal Lease " + slot.describe() + " for this node");
      }
    }
    // 1. a run of this node's that a predecessor left in the Lease: roll it back first
    for (LeaseLock slot : slots) {
      LeaseLock.State s = slot.read();
      if (s.held() && s.holder().equals(settings.node()) && s.annotation(LEASE_PHASE).isPresent()) {
        if (settings.dryRun()) {
          return deferred("would roll back the run left at phase " + s.annotation(LEASE_PHASE).get());
        }
        rollBackInterrupted(slot, s);
      }
    }
    // 2. what the node needs
    RenewalPlanner.Plan plan = plan(true);
    served = ServedCheck.check(endpoints(), TlsProbe.withTimeout(Duration.ofSeconds(5)));
    List<Component> stale = staleComponents();
    List<CatalogueEntry> due = plan.renewals().stream().map(RenewalPlanner.Item::entry).toList();
    if (due.isEmpty() && stale.isEmpty()) {
      ownSlot().ifPresent(slot -> slot.release(settings.node(), Map.of())); // taken, then stopped before a phase
      metrics.set(AgentMetrics.Phase.IDLE);
      return new Outcome(Kind.IDLE, "nothing due within " + settings.renewBefore().toDays() + "d; every port serves its file");
    }
    String what =
        (due.isEmpty() ? "" : "renew " + String.join(", ", due.stream().map(CatalogueEntry::name).toList()))
            + (stale.isEmpty() ? "" : (due.isEmpty() ? "" : "; ") + "restart for a served/disk mismatch "
                + String.join(", ", stale.stream().map(Component::podName).toList()));
    // 3. gates
    String wait = gate();
    if (wait != null) {
      return deferred(wait + " (would " + what + ")");
    }
    if (settings.dryRun()) {
      metrics.set(AgentMetrics.Phase.IDLE);
      LOG.info("dry_run=true node={} would={}", Log.q(settings.node()), Log.q(what));
      return new Outcome(Kind.DRY_RUN, "would " + what);
    }
    // 4. the lock
    Optional<LeaseLock> slot = acquire();
    if (slot.isEmpty()) {
      return deferred("the renewal Lease is held by " + holders() + " (would " + what + ")");
    }
    return run(slot.get(), what);
  }

  /**
   * Whether `kcert ca` works on this node under the Lease: it holds it under this node's name, as
   * the agent does, and marks it with its own annotation while its hold is live.
   */
  private boolean rotationHolds(LeaseLock slot, LeaseLock.State s) {
    return s.held() && s.holder().equals(settings.node()) && s.annotation(RenewalLease.CA_ROTATION).isPresent()
        && !slot.expired(s);
  }

  private Optional<LeaseLock> ownSlot() {
    for (LeaseLock slot : slots) {
      LeaseLock.State s = slot.read();
      if (s.held() && s.holder().equals(settings.node()) && !rotationHolds(slot, s)) {
        return Optional.of(slot);
      }
    }
    return Optional.empty();
  }

  private Outcome deferred(String why) {
    metrics.set(failedHere ? AgentMetrics.Phase.FAILED : AgentMetrics.Phase.WAITING);
    LOG.info("renewal=deferred node={} reason={}", Log.q(settings.node()), Log.q(why));
    return new Outcome(Kind.DEFERRED, why);
  }

  /** Why a run may not start now, or null. */
  String gate() {
    failedHere = false;
    for (LeaseLock slot : slots) {
      Optional<String> failed = slot.read().annotation(LEASE_FAILED);
      if (failed.isPresent()) {
        failedHere = failed.get().startsWith(settings.node() + ": ");
        return "an unresolved failed run (" + failed.get() + "); remove the annotation " + LEASE_FAILED
            + " from Lease " + slot.describe() + " once it is dealt with";
      }
    }
    if (!settings.window().contains(clock.instant())) {
      return "outside the window " + settings.window();
    }
    String why = gates.blockingPods(settings.blockingPodNamespace(), settings.blockingPodSelector());
    if (why != null) {
      return why;
    }
    why = ClusterGates.firingAlerts(http, settings.prometheus(), settings.alertFilter());
    if (why != null) {
      return why;
    }
    List<Node> nodes = gates.controlPlaneNodes();
    why = gates.othersReady(nodes);
    if (why != null) {
      return why;
    }
    if (Files.exists(NodeEndpoints.manifestFile(settings.layout().kubeconfigDir(), Component.ETCD))) {
      return gates.etcdQuorum(nodes);
    }
    return null;
  }

  private String holders() {
    List<String> h = new ArrayList<>();
    for (LeaseLock slot : slots) {
      LeaseLock.State s = slot.read();
      if (s.held()) {
        h.add(s.holder());
      }
    }
    return String.join(", ", h);
  }

  private Optional<LeaseLock> acquire() {
    for (LeaseLock slot : slots) {
      Optional<LeaseLock.State> before = slot.acquire(settings.node(), this::nodeGone);
      if (before.isPresent()) {
        LeaseLock.State b = before.get();
        if (b.annotation(RenewalLease.CA_ROTATION).isPresent()) {
          // left by a CA rotation phase whose hold lapsed (its process ended without releasing)
          slot.renew(settings.node(), java.util.Collections.singletonMap(RenewalLease.CA_ROTATION, null));
        }
        if (b.held() && !b.holder().equals(settings.node())) {
          String msg = "took the renewal Lease " + slot.describe() + " over from " + b.holder() + " (its Node is gone"
              + " or it did not renew the Lease within " + settings.leaseTtl().toSeconds() + "s), which was at phase "
              + b.annotation(LEASE_PHASE).orElse("none");
          LOG.warn("renewal=takeover node={} previous={} phase={}", Log.q(settings.node()), Log.q(b.holder()),
              Log.q(b.annotation(LEASE_PHASE).orElse("none")));
          event(false, "KcertRenewalLeaseTakenOver", msg);
        }
        return Optional.of(slot);
      }
    }
    return Optional.empty();
  }

  private boolean nodeGone(String holder) {
    try {
      return client.nodes().withName(holder).get() == null;
    } catch (KubernetesClientException e) {
      return false;
    }
  }

  private RenewalPlanner.Plan plan(boolean dryRun) {
    PkiLayout layout = settings.layout();
    return RenewalPlanner.plan(
        layout,
        RenewalPlanner.select(RenewalPlanner.ALL, layout.etcdLooksExternal()),
        new RenewalPlanner.Options(Renewer.DEFAULT_VALIDITY, null, false, settings.renewBefore(), dryRun, clock));
  }

  private List<dev.kcert.core.node.ServingEndpoint> endpoints() {
    return NodeEndpoints.read(settings.layout(), settings.kubeletConfig()).endpoints();
  }

  private List<Component> staleComponents() {
    Set<Component> out = new LinkedHashSet<>();
    for (ServedCheck.Result r : served) {
      if (r.status() == ServedCheck.Status.DIFFERS && r.endpoint().component().isStaticPod()) {
        out.add(r.endpoint().component());
      }
    }
    return List.copyOf(out);
  }

  /** Renews and restarts under the Lease; releases it at the end, or marks the run failed. */
  private Outcome run(LeaseLock slot, String what) {
    PkiLayout layout = settings.layout();
    AtomicBoolean lost = new AtomicBoolean();
    long every = Math.max(1000, settings.leaseTtl().toMillis() / 3);
    ScheduledFuture<?> heartbeat =
        timer.scheduleWithFixedDelay(
            () -> {
              try {
                if (!slot.renew(settings.node(), Map.of())) {
                  lost.set(true);
                }
              } catch (RuntimeException e) {
                LOG.warn("lease=renew_failed error={}", Log.q(Log.oneLine(e)));
              }
            },
            every, every, TimeUnit.MILLISECONDS);
    try {
      LOG.info("renewal=started node={} what={}", Log.q(settings.node()), Log.q(what));
      event(false, "KcertRenewalStarted", "Renewal started: " + what);
      notifier.send("started", what);
      metrics.set(AgentMetrics.Phase.RENEWING);
      Path backup;
      List<Component> restart = new ArrayList<>();
      Runnable rollBack = () -> {};
      try (RunLock lock = RunLock.acquire(Installer.backupParent(layout))) {
        installer.recover(layout);
        record(slot, "renewing", null);
        RenewalPlanner.Plan plan = plan(false);
        List<CatalogueEntry> renewed = plan.renewals().stream().map(RenewalPlanner.Item::entry).toList();
        if (!renewed.isEmpty()) {
          Installer.Result result = installer.install(layout, clock.instant(), plan.changes());
          backup = result.backupDir();
          Path b = backup;
          rollBack = () -> installer.rollBack(layout, b);
          restart.addAll(Component.readers(renewed).stream().filter(Component::isStaticPod).toList());
        } else {
          backup = Installer.backupParent(layout).resolve(
              Installer.BACKUP_PREFIX + clock.instant().toString().replace(':', '-') + "-restart");
          AtomicFiles.createDirectories(backup, AtomicFiles.PRIVATE_DIR);
        }
        for (Component c : staleComponents()) {
          if (!restart.contains(c)) {
            restart.add(c);
          }
        }
        record(slot, "restarting", backup.toString());
        metrics.set(AgentMetrics.Phase.RESTARTING);
        StaticPodRestarter restarter = restarter(slot, true);
        try {
          restarter.restart(restart, backup, rollBack);
        } catch (StaticPodRestarter.GateFailure e) {
          return fail(slot, AgentMetrics.Reason.GATE, e.getMessage());
        }
      } catch (KcertException e) {
        return fail(slot, AgentMetrics.Reason.RENEW, Log.oneLine(e));
      }
      if (lost.get()) {
        return fail(slot, AgentMetrics.Reason.LOST_LOCK, "the renewal Lease was taken over while this node worked");
      }
      record(slot, "verifying", null);
      metrics.set(AgentMetrics.Phase.VERIFYING);
      served = ServedCheck.check(endpoints(), TlsProbe.withTimeout(Duration.ofSeconds(5)));
      List<Component> still = staleComponents();
      if (!still.isEmpty()) {
        return fail(slot, AgentMetrics.Reason.SERVED_MISMATCH, "still serving another certificate than on disk: "
            + String.join(", ", still.stream().map(Component::podName).toList()));
      }
      heartbeat.cancel(false);
      String msg = "Renewal succeeded: " + what + "; backup in " + backup;
      annotateNode(Map.of(NODE_LAST_RENEWAL, clock.instant().toString(), NODE_LAST_RESULT, "succeeded"));
      Map<String, String> clear = new HashMap<>();
      clear.put(LEASE_PHASE, null);
      clear.put(LEASE_BACKUP, null);
      slot.release(settings.node(), clear);
      metrics.succeeded(clock.instant());
      metrics.set(AgentMetrics.Phase.IDLE);
      event(false, "KcertRenewalSucceeded", msg);
      notifier.send("succeeded", msg);
      LOG.info("renewal=succeeded node={} backup={}", Log.q(settings.node()), Log.q(backup.toString()));
      return new Outcome(Kind.RENEWED, msg);
    } finally {
      heartbeat.cancel(false);
    }
  }

  /** Marks the run failed everywhere and frees the Lease, keeping the mark that stops the others. */
  private Outcome fail(LeaseLock slot, AgentMetrics.Reason reason, String message) {
    String mark = settings.node() + ": " + (message.length() > 500 ? message.substring(0, 500) : message);
    LOG.error("renewal=failed node={} reason={} error={}", Log.q(settings.node()), reason.label(), Log.q(message));
    metrics.failed(reason);
    metrics.set(AgentMetrics.Phase.FAILED);
    try {
      Map<String, String> a = new HashMap<>();
      a.put(LEASE_FAILED, mark);
      a.put(LEASE_PHASE, null);
      a.put(LEASE_BACKUP, null);
      slot.release(settings.node(), a);
    } catch (KubernetesClientException e) {
      LOG.error("lease=release_failed error={}", Log.q(Log.oneLine(e)));
    }
    annotateNode(Map.of(NODE_LAST_RENEWAL, clock.instant().toString(), NODE_LAST_RESULT, "failed: " + reason.label(),
        NODE_FAILED, mark));
    event(true, "KcertRenewalFailed", message);
    notifier.send("failed", message);
    return new Outcome(Kind.FAILED, message);
  }

  private void record(LeaseLock slot, String phase, String backup) {
    Map<String, String> a = new HashMap<>();
    a.put(LEASE_PHASE, phase);
    if (backup != null) {
      a.put(LEASE_BACKUP, backup);
    }
    if (!slot.renew(settings.node(), a)) {
      throw KcertException.about(Path.of(settings.leaseName()), "lost the renewal Lease at phase " + phase);
    }
    phaseObserver.accept(phase);
  }

  /**
   * A predecessor on this node stopped at {@code s}'s phase: puts the PKI files and the manifests
   * back from the recorded backup (the kubelet restarts what changed: one manifest at a time, each
   * waited for, see {@link StaticPodRestarter#putBack}), then clears the phase; the cycle goes on
   * and starts a fresh run if one is still due.
   */
  private void rollBackInterrupted(LeaseLock slot, LeaseLock.State s) {
    PkiLayout layout = settings.layout();
    String phase = s.annotation(LEASE_PHASE).orElse("");
    List<String> notes = new ArrayList<>();
    try (RunLock lock = RunLock.acquire(Installer.backupParent(layout))) {
      installer.recover(layout).forEach(r -> notes.add("recovered " + r.filesRestored() + " files from " + r.backupDir()));
      Optional<Path> backup = s.annotation(LEASE_BACKUP).map(Path::of)
          .filter(p -> p.startsWith(Installer.backupParent(layout)) && Files.isDirectory(p));
      if (backup.isPresent()) {
        if (!phase.equals("renewing") && Files.exists(backup.get().resolve("kcert-journal"))) {
          try {
            notes.add("restored " + installer.rollBack(layout, backup.get()) + " files from " + backup.get());
          } catch (KcertException e) {
            notes.add("files not restored: " + e.getMessage());
          }
        }
        Path saved = backup.get().resolve("manifests");
        if (Files.isDirectory(saved)) {
          // one at a time, latest first, each waited for: a fresh run must not start while the
          // kubelet is still restarting what was put back, or its gates could be passed by those
          // restarts instead of its own
          Map<Component, byte[]> originals = new EnumMap<>(Component.class);
          try (var files = Files.list(saved)) {
            for (Path f : files.toList()) {
              String name = f.getFileName().toString();
              Optional<Component> c = name.endsWith(".yaml")
                  ? Component.byPodName(name.substring(0, name.length() - 5)) : Optional.empty();
              if (c.isPresent() && c.get().isStaticPod()) {
                originals.put(c.get(), Pem.readFile(f));
              } else {
                notes.add("left " + name + " in " + saved + " (not a static pod manifest kcert restarts)");
              }
            }
            notes.addAll(restarter(slot, false).putBack(originals));
          } catch (java.io.IOException e) {
            notes.add("manifests not restored: " + e.getMessage());
          }
        }
      }
    }
    metrics.failed(AgentMetrics.Reason.INTERRUPTED);
    String msg = "A run on this node stopped at phase " + phase + "; rolled back: "
        + (notes.isEmpty() ? "nothing had changed" : String.join("; ", notes));
    LOG.warn("renewal=rolled_back_interrupted node={} phase={} detail={}", Log.q(settings.node()), Log.q(phase),
        Log.q(msg));
    event(true, "KcertRenewalRolledBack", msg);
    Map<String, String> clear = new HashMap<>();
    clear.put(LEASE_PHASE, null);
    clear.put(LEASE_BACKUP, null);
    slot.renew(settings.node(), clear);
  }

  /** The restarter of this node's static pods; with the mirror pod gate for a run's own restarts. */
  private StaticPodRestarter restarter(LeaseLock slot, boolean mirrorPodGate) {
    StaticPodRestarter.Options options = new StaticPodRestarter.Options(settings.restartTimeout(),
        settings.pollInterval(), Duration.ofSeconds(5), clock);
    java.util.function.Consumer<String> progress =
        line -> LOG.info("restart node={} step={}", Log.q(settings.node()), Log.q(line));
    return mirrorPodGate
        ? new StaticPodRestarter(settings.layout(), options, progress, new MirrorPodGate(slot))
        : new StaticPodRestarter(settings.layout(), options, progress);
  }

  private void annotateNode(Map<String, String> annotations) {
    try {
      client.nodes().withName(settings.node()).edit(n -> {
        Node copy = new NodeBuilder(n).build();
        Map<String, String> a = copy.getMetadata().getAnnotations() == null
            ? new HashMap<>() : new HashMap<>(copy.getMetadata().getAnnotations());
        a.putAll(annotations);
        copy.getMetadata().setAnnotations(a);
        return copy;
      });
    } catch (KubernetesClientException e) {
      LOG.warn("node=annotate_failed node={} error={}", Log.q(settings.node()), Log.q(Log.oneLine(e)));
    }
  }

  private void event(boolean warning, String reason, String message) {
    try {
      Node n = client.nodes().withName(settings.node()).get();
      if (n != null) {
        events.record(n, warning, reason, message);
      }
    } catch (KubernetesClientException e) {
      LOG.warn("event=skipped reason={} error={}", reason, Log.q(Log.oneLine(e)));
    }
  }

  /**
   * The API server's view of each restart: the mirror pod's config hash changed from what it was
   * before, and the pod is Ready. Also renews the Lease with the component being restarted.
   */
  private final class MirrorPodGate implements StaticPodRestarter.Gate {
    private final LeaseLock slot;
    private final Map<Component, String> before = new ConcurrentHashMap<>();
    private final Set<Component> seen = EnumSet.noneOf(Component.class);

    MirrorPodGate(LeaseLock slot) {
      this.slot = slot;
    }

    private Pod pod(Component c) {
      return client.pods().inNamespace(ClusterGates.SYSTEM_NAMESPACE).withName(c.podName() + "-" + settings.node()).get();
    }

    @Override
    public void beforeRestart(Component c) {
      record(slot, "restarting/" + c.podName(), null);
      try {
        String h = ClusterGates.configHash(pod(c));
        before.put(c, h == null ? "" : h);
      } catch (KubernetesClientException e) {
        before.put(c, "");
      }
      seen.add(c);
    }

    @Override
    public String check(Component c) {
      Pod p;
      try {
        p = pod(c);
      } catch (KubernetesClientException e) {
        return "mirror pod " + c.podName() + "-" + settings.node() + ": API server: " + Log.oneLine(e);
      }
      if (p == null) {
        return "mirror pod " + c.podName() + "-" + settings.node() + " not found";
      }
      String h = ClusterGates.configHash(p);
      if (h == null || h.equals(before.get(c))) {
        return "mirror pod " + p.getMetadata().getName() + ": config hash unchanged";
      }
      return ClusterGates.ready(p) ? null : "mirror pod " + p.getMetadata().getName() + ": not Ready";
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
    events.close();
  }
}
