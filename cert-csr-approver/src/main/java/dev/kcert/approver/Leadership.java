package dev.kcert.approver;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElector;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Leader election on a {@code coordination.k8s.io/v1} Lease. Only the leader writes decisions;
 * the others keep their caches warm. A replica that loses the Lease stands for election again.
 */
final class Leadership implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Leadership.class);

  private final KubernetesClient client;
  private final Settings settings;
  private final Runnable onStartLeading;
  private final AtomicBoolean leader = new AtomicBoolean();
  private final AtomicBoolean known = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final AtomicReference<CompletableFuture<?>> running = new AtomicReference<>();
  private final ScheduledExecutorService restarter =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "approver-leader-election");
            t.setDaemon(true);
            return t;
          });

  Leadership(KubernetesClient client, Settings settings, Runnable onStartLeading) {
    this.client = client;
    this.settings = settings;
    this.onStartLeading = onStartLeading;
  }

  void start() {
    if (!settings.leaderElection()) {
      leader.set(true);
      known.set(true);
      LOG.info("leader_election=disabled identity={}", settings.identity());
      onStartLeading.run();
      return;
    }
    elect();
  }

  private void elect() {
    if (closed.get()) {
      return;
    }
    LeaderElector elector =
        client
            .leaderElector()
            .withConfig(
                new LeaderElectionConfigBuilder()
                    .withName(settings.leaseName())
                    .withLock(new LeaseLock(settings.leaseNamespace(), settings.leaseName(), settings.identity()))
                    .withLeaseDuration(settings.leaseDuration())
                    .withRenewDeadline(settings.renewDeadline())
                    .withRetryPeriod(settings.retryPeriod())
                    .withReleaseOnCancel(true)
                    .withLeaderCallbacks(
                        new LeaderCallbacks(this::startedLeading, this::stoppedLeading, this::newLeader))
                    .build())
            .build();
    CompletableFuture<?> future = elector.start();
    running.set(future);
    future.whenComplete(
        (ok, error) -> {
          leader.set(false);
          if (!closed.get()) {
            LOG.info("leader_election=restart identity={} lease={}/{}", settings.identity(),
                settings.leaseNamespace(), settings.leaseName());
            restarter.schedule(this::elect, settings.retryPeriod().toMillis(), TimeUnit.MILLISECONDS);
          }
        });
  }

  private void startedLeading() {
    leader.set(true);
    known.set(true);
    LOG.info("leader_election=acquired identity={} lease={}/{}", settings.identity(), settings.leaseNamespace(),
        settings.leaseName());
    onStartLeading.run();
  }

  private void stoppedLeading() {
    leader.set(false);
    LOG.info("leader_election=lost identity={}", settings.identity());
  }

  private void newLeader(String identity) {
    known.set(true);
    LOG.info("leader_election=observed leader={} identity={}", identity == null ? "none" : identity,
        settings.identity());
  }

  /** Whether this replica may write now. */
  boolean isLeader() {
    return leader.get() && !closed.get();
  }

  /** Whether a leader, this replica or another, has been seen. */
  boolean isKnown() {
    return known.get();
  }

  @Override
  public void close() {
    if (closed.getAndSet(true)) {
      return;
    }
    leader.set(false);
    restarter.shutdownNow();
    CompletableFuture<?> f = running.get();
    if (f != null) {
      f.cancel(true);
    }
  }
}
