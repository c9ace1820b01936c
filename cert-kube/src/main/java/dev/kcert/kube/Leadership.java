package dev.kcert.kube;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElector;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaderElectionRecord;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.Lock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Leader election on a {@code coordination.k8s.io/v1} Lease, with writes fenced on this replica's
 * own renewals. Only the leader writes; the others keep their caches warm and stand for election.
 *
 * <p>fabric8's elector decides who leads, but a leader cut off from the API server may go on
 * believing it leads while its renew requests hang. So every successful create or update of the
 * Lease that names this replica is timed here ({@link FencedLock}), and {@link #mayWrite()} holds
 * only while the last one is younger than the renew deadline: past it, the replica stops writing
 * at once and reports {@code leader=0}, whatever the elector still thinks, well before the lease
 * duration lets another replica take over. A write's own timeout is cut to what is left of the
 * lease ({@link #remaining()}).
 *
 * <p>Serves any in-cluster component that runs as several replicas with one writer.
 */
public final class Leadership implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Leadership.class);
  private static final long WATCH_MILLIS = 100;

  /** How leadership is configured. */
  public record Config(boolean enabled, String namespace, String name, String identity, Duration leaseDuration,
      Duration renewDeadline, Duration retryPeriod) {}

  private final KubernetesClient client;
  private final Config config;
  private final Runnable onStartWriting;
  private final LongSupplier nanos;
  private final AtomicBoolean elected = new AtomicBoolean();
  private final AtomicBoolean known = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();
  /** When the last renewal that named this replica was sent; Long.MIN_VALUE when none. */
  private final AtomicLong renewedAt = new AtomicLong(Long.MIN_VALUE);
  private final AtomicReference<CompletableFuture<?>> running = new AtomicReference<>();
  private volatile boolean writing;
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "leader-election");
            t.setDaemon(true);
            return t;
          });

  /**
   * @param onStartWriting called each time this replica starts (or resumes) writing
   */
  public Leadership(KubernetesClient client, Config config, Runnable onStartWriting, LongSupplier nanos) {
    this.client = client;
    this.config = config;
    this.onStartWriting = onStartWriting;
    this.nanos = nanos;
  }

  public void start() {
    if (!config.enabled()) {
      known.set(true);
      LOG.info("leader_election=disabled identity={}", config.identity());
    } else {
      elect();
    }
    timer.scheduleWithFixedDelay(this::watchFence, 0, WATCH_MILLIS, TimeUnit.MILLISECONDS);
  }

  /** Notices the moment writing starts or stops, and says so once. */
  private synchronized void watchFence() {
    boolean now = mayWrite();
    if (now == writing) {
      return;
    }
    writing = now;
    if (now) {
      LOG.info("leader_election=writing identity={}", config.identity());
      try {
        onStartWriting.run();
      } catch (RuntimeException e) {
        LOG.warn("leader_election=callback_failed error={}", Log.q(Log.oneLine(e)));
      }
    } else if (!closed.get()) {
      LOG.warn("leader_election=stopped_writing identity={} reason={}", config.identity(),
          elected.get() ? "renew_deadline_passed" : "not_leader");
    }
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
                    .withName(config.name())
                    .withLock(new FencedLock(new LeaseLock(config.namespace(), config.name(), config.identity())))
                    .withLeaseDuration(config.leaseDuration())
                    .withRenewDeadline(config.renewDeadline())
                    .withRetryPeriod(config.retryPeriod())
                    .withReleaseOnCancel(true)
                    .withLeaderCallbacks(
                        new LeaderCallbacks(this::startedLeading, this::stoppedLeading, this::newLeader))
                    .build())
            .build();
    CompletableFuture<?> future = elector.start();
    running.set(future);
    future.whenComplete(
        (ok, error) -> {
          elected.set(false);
          if (!closed.get()) {
            LOG.info("leader_election=restart identity={} lease={}/{}", config.identity(), config.namespace(),
                config.name());
            timer.schedule(this::elect, config.retryPeriod().toMillis(), TimeUnit.MILLISECONDS);
          }
        });
  }

  private void startedLeading() {
    elected.set(true);
    known.set(true);
    LOG.info("leader_election=acquired identity={} lease={}/{}", config.identity(), config.namespace(),
        config.name());
    watchFence();
  }

  private void stoppedLeading() {
    elected.set(false);
    LOG.info("leader_election=lost identity={}", config.identity());
    watchFence();
  }

  private void newLeader(String identity) {
    known.set(true);
    LOG.info("leader_election=observed leader={} identity={}", identity == null ? "none" : identity,
        config.identity());
  }

  /**
   * Whether this replica may write now: elected, and its last renewal younger than the renew
   * deadline (always, without leader election).
   */
  public boolean mayWrite() {
    if (closed.get()) {
      return false;
    }
    if (!config.enabled()) {
      return true;
    }
    long at = renewedAt.get();
    return elected.get() && at != Long.MIN_VALUE && nanos.getAsLong() - at < config.renewDeadline().toNanos();
  }

  /** How long a write started now may take: what is left of the lease since the last renewal. */
  public Duration remaining() {
    if (!config.enabled()) {
      return Duration.ofSeconds(30);
    }
    long at = renewedAt.get();
    if (at == Long.MIN_VALUE) {
      return Duration.ZERO;
    }
    long left = config.leaseDuration().toNanos() - (nanos.getAsLong() - at);
    return Duration.ofNanos(Math.max(0, left));
  }

  /** Whether a leader, this replica or another, has been seen. */
  public boolean isKnown() {
    return known.get();
  }

  /** Times the Lease writes that name this replica as holder. */
  private final class FencedLock implements Lock {
    private final Lock delegate;

    FencedLock(Lock delegate) {
      this.delegate = delegate;
    }

    @Override
    public LeaderElectionRecord get(KubernetesClient c) {
      return delegate.get(c);
    }

    @Override
    public void create(KubernetesClient c, LeaderElectionRecord record) {
      long sent = nanos.getAsLong();
      delegate.create(c, record);
      renewed(record, sent);
    }

    @Override
    public void update(KubernetesClient c, LeaderElectionRecord record) {
      long sent = nanos.getAsLong();
      delegate.update(c, record);
      renewed(record, sent);
    }

    private void renewed(LeaderElectionRecord record, long sent) {
      if (config.identity().equals(record.getHolderIdentity())) {
        renewedAt.accumulateAndGet(sent, Math::max);
      } else {
        renewedAt.set(Long.MIN_VALUE); // released
      }
    }

    @Override
    public String identity() {
      return delegate.identity();
    }

    @Override
    public String describe() {
      return delegate.describe();
    }
  }

  @Override
  public void close() {
    if (closed.getAndSet(true)) {
      return;
    }
    elected.set(false);
    writing = false;
    timer.shutdownNow();
    CompletableFuture<?> f = running.get();
    if (f != null) {
      f.cancel(true);
    }
  }
}
