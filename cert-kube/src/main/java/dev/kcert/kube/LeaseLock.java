package dev.kcert.kube;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * A cluster-wide lock on one {@code coordination.k8s.io/v1} Lease that a holder keeps for as long
 * as a piece of work takes (minutes), renews while it works, and annotates with where the work
 * stands, so that a successor can pick up from there.
 *
 * <p>Unlike leader election, holding is not the normal state: the Lease is free most of the time.
 * A holder counts as gone when its {@code renewTime} is older than the TTL, or when the caller
 * says so (its Node was deleted). Every write is a compare-and-swap on the Lease's
 * resourceVersion, so two candidates never both win: the loser gets a conflict and reads again.
 *
 * <p>Annotations survive a release: a mark that must stop everyone (a failed run) stays on the
 * free Lease until an operator removes it.
 */
public final class LeaseLock {
  /** What a read of the Lease found. */
  public record State(String holder, Instant renewed, Map<String, String> annotations, boolean exists) {
    public boolean held() {
      return holder != null && !holder.isEmpty();
    }

    public Optional<String> annotation(String key) {
      return Optional.ofNullable(annotations.get(key));
    }
  }

  private final KubernetesClient client;
  private final String namespace;
  private final String name;
  private final Duration ttl;
  private final Clock clock;

  public LeaseLock(KubernetesClient client, String namespace, String name, Duration ttl, Clock clock) {
    this.client = client;
    this.namespace = namespace;
    this.name = name;
    this.ttl = ttl;
    this.clock = clock;
  }

  public String describe() {
    return namespace + "/" + name;
  }

  public State read() {
    return state(get());
  }

  private Lease get() {
    return client.leases().inNamespace(namespace).withName(name).get();
  }

  private static State state(Lease l) {
    if (l == null) {
      return new State(null, null, Map.of(), false);
    }
    Map<String, String> a = l.getMetadata().getAnnotations() == null ? Map.of() : l.getMetadata().getAnnotations();
    Instant renewed = null;
    if (l.getSpec() != null && l.getSpec().getRenewTime() != null) {
      renewed = l.getSpec().getRenewTime().toInstant();
    }
    return new State(l.getSpec() == null ? null : l.getSpec().getHolderIdentity(), renewed, Map.copyOf(a), true);
  }

  /** Whether a holder that last renewed at {@code renewed} has let its hold lapse. */
  public boolean expired(State s) {
    return s.renewed() == null || s.renewed().plus(ttl).isBefore(clock.instant());
  }

  /**
   * Takes the Lease for {@code holder} when it is free, already this holder's, expired, or its
   * holder is gone by the caller's judgement.
   *
   * @param gone whether a holder (another than {@code holder}) is known to be gone
   * @return the state before taking it, or empty when another holder keeps it or a concurrent
   *     candidate won the race
   */
  public Optional<State> acquire(String holder, Predicate<String> gone) {
    Lease current = get();
    State before = state(current);
    if (before.held() && !before.holder().equals(holder) && !expired(before) && !gone.test(before.holder())) {
      return Optional.empty();
    }
    ZonedDateTime now = micro(clock.instant());
    try {
      if (current == null) {
        client
            .leases()
            .inNamespace(namespace)
            .resource(
                new LeaseBuilder()
                    .withNewMetadata()
                    .withName(name)
                    .withNamespace(namespace)
                    .endMetadata()
                    .withNewSpec()
                    .withHolderIdentity(holder)
                    .withLeaseDurationSeconds((int) ttl.toSeconds())
                    .withAcquireTime(now)
                    .withRenewTime(now)
                    .endSpec()
                    .build())
            .create();
      } else {
        Lease next = new LeaseBuilder(current).build();
        next.getSpec().setHolderIdentity(holder);
        next.getSpec().setLeaseDurationSeconds((int) ttl.toSeconds());
        if (!holder.equals(before.holder())) {
          next.getSpec().setAcquireTime(now);
          int transitions = next.getSpec().getLeaseTransitions() == null ? 0 : next.getSpec().getLeaseTransitions();
          next.getSpec().setLeaseTransitions(transitions + 1);
        }
        next.getSpec().setRenewTime(now);
        client.leases().inNamespace(namespace).resource(next).update(); // fails on a stale resourceVersion
      }
    } catch (KubernetesClientException e) {
      if (e.getCode() == 409) {
        return Optional.empty();
      }
      throw e;
    }
    return Optional.of(before);
  }

  /**
   * Renews the hold and sets annotations ({@code null} values remove them), only while
   * {@code holder} holds the Lease.
   *
   * @return false when another holder has it now (this one lost it)
   */
  public boolean renew(String holder, Map<String, String> annotations) {
    for (int attempt = 0; attempt < 5; attempt++) {
      Lease current = get();
      if (current == null || current.getSpec() == null || !holder.equals(current.getSpec().getHolderIdentity())) {
        return false;
      }
      Lease next = new LeaseBuilder(current).build();
      next.getSpec().setRenewTime(micro(clock.instant()));
      annotate(next, annotations);
      try {
        client.leases().inNamespace(namespace).resource(next).update();
        return true;
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409) {
          throw e;
        }
      }
    }
    return false;
  }

  /**
   * Frees the Lease if {@code holder} holds it, setting annotations on the way ({@code null}
   * values remove them).
   */
  public void release(String holder, Map<String, String> annotations) {
    for (int attempt = 0; attempt < 5; attempt++) {
      Lease current = get();
      if (current == null || current.getSpec() == null || !holder.equals(current.getSpec().getHolderIdentity())) {
        return;
      }
      Lease next = new LeaseBuilder(current).build();
      next.getSpec().setHolderIdentity(null);
      next.getSpec().setRenewTime(null);
      next.getSpec().setAcquireTime(null);
      annotate(next, annotations);
      try {
        client.leases().inNamespace(namespace).resource(next).update();
        return;
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409) {
          throw e;
        }
      }
    }
  }

  private static void annotate(Lease l, Map<String, String> annotations) {
    Map<String, String> a =
        l.getMetadata().getAnnotations() == null
            ? new LinkedHashMap<>()
            : new LinkedHashMap<>(l.getMetadata().getAnnotations());
    annotations.forEach(
        (k, v) -> {
          if (v == null) {
            a.remove(k);
          } else {
            a.put(k, v);
          }
        });
    l.getMetadata().setAnnotations(a);
  }

  /** A Lease's MicroTime: microseconds, UTC. */
  static ZonedDateTime micro(Instant t) {
    return t.truncatedTo(ChronoUnit.MICROS).atZone(java.time.ZoneOffset.UTC);
  }
}
