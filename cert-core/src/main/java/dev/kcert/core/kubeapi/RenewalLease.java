package dev.kcert.core.kubeapi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kcert.core.model.KcertException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The cluster-wide renewal lock, a {@code coordination.k8s.io/v1} Lease that the in-cluster agent
 * also takes, read and written over {@link ApiClient}: free, or held by one node's name until its
 * {@code renewTime} is older than the TTL. Every write carries the resourceVersion it read, so of
 * two candidates only one wins; the loser reads again.
 *
 * <p>The agent keeps a run it was doing in the annotation {@value #AGENT_PHASE} while it holds the
 * Lease; a Lease of this node that carries it is an agent run (in progress or interrupted) that
 * the agent itself rolls back, so it is not taken from it.
 *
 * <p>What the input can influence: the Lease is written by anyone allowed to update Leases in its
 * namespace; its holder, times and annotations decide only whether this node waits, never what it
 * writes on disk.
 */
public final class RenewalLease {
  /** The agent's annotation for the phase of its run. */
  public static final String AGENT_PHASE = "kcert.dev/phase";
  /** The annotation a CA rotation phase sets while it holds the Lease. */
  public static final String CA_ROTATION = "kcert.dev/ca-rotation";

  private static final String API = "/apis/coordination.k8s.io/v1/namespaces/";

  private final ApiClient api;
  private final String namespace;
  private final String name;
  private final Duration ttl;
  private final Clock clock;

  public RenewalLease(ApiClient api, String namespace, String name, Duration ttl, Clock clock) {
    this.api = api;
    this.namespace = namespace;
    this.name = name;
    this.ttl = ttl;
    this.clock = clock;
  }

  /** What a read of the Lease found. */
  public record State(String holder, Instant renewed, Duration duration, Map<String, String> annotations) {
    public boolean held() {
      return holder != null && !holder.isEmpty();
    }
  }

  /** The answer of {@link #acquire}: taken, or who keeps it and why. */
  public record Attempt(boolean taken, State before, String refusal) {}

  public String describe() {
    return "Lease " + namespace + "/" + name;
  }

  private String path() {
    return API + namespace + "/leases/" + name;
  }

  /** Reads the Lease; {@code null} when there is none. */
  public State read() throws ApiClient.Unreachable {
    JsonNode l = api.getJson(path());
    return l == null ? null : state(l);
  }

  private State state(JsonNode l) {
    JsonNode spec = l.path("spec");
    Instant renewed = null;
    String r = spec.path("renewTime").asText("");
    if (!r.isEmpty()) {
      try {
        renewed = Instant.parse(r);
      } catch (DateTimeParseException e) {
        renewed = null; // an unreadable time counts as lapsed
      }
    }
    Duration d = spec.path("leaseDurationSeconds").canConvertToInt()
        ? Duration.ofSeconds(spec.path("leaseDurationSeconds").asInt()) : null;
    Map<String, String> a = new LinkedHashMap<>();
    Iterator<Map.Entry<String, JsonNode>> it = l.path("metadata").path("annotations").fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      a.put(e.getKey(), e.getValue().asText(""));
    }
    String holder = spec.path("holderIdentity").isTextual() ? spec.path("holderIdentity").asText() : null;
    return new State(holder, renewed, d, Map.copyOf(a));
  }

  /** Whether the holder of {@code s} has let its hold lapse (by this lock's TTL, as the agent counts). */
  public boolean expired(State s) {
    return s.renewed() == null || s.renewed().plus(ttl).isBefore(clock.instant());
  }

  /**
   * Takes the Lease for {@code holder} when there is none, it is free, already this holder's
   * (and no agent run of this node is recorded in it), or its holder's hold has lapsed.
   */
  public Attempt acquire(String holder, Map<String, String> annotations) throws ApiClient.Unreachable {
    ApiClient.Response got = api.get(path());
    if (got.status() == 404) {
      ObjectNode lease = JsonNodeFactory.instance.objectNode();
      lease.put("apiVersion", "coordination.k8s.io/v1");
      lease.put("kind", "Lease");
      ObjectNode meta = lease.putObject("metadata");
      meta.put("name", name);
      meta.put("namespace", namespace);
      annotate(meta, annotations);
      ObjectNode spec = lease.putObject("spec");
      spec.put("holderIdentity", holder);
      spec.put("leaseDurationSeconds", (int) ttl.toSeconds());
      spec.put("acquireTime", micro(clock.instant()));
      spec.put("renewTime", micro(clock.instant()));
      spec.put("leaseTransitions", 0);
      ApiClient.Response r = api.post(API + namespace + "/leases", lease);
      if (r.status() == 409) {
        return new Attempt(false, null, describe() + " was created by another candidate at the same time");
      }
      api.check(r, "POST", API + namespace + "/leases");
      return new Attempt(true, null, null);
    }
    api.check(got, "GET", path());
    JsonNode current = api.parse(got, path());
    State before = state(current);
    if (before.held() && holder.equals(before.holder()) && before.annotations().containsKey(AGENT_PHASE)) {
      return new Attempt(false, before, describe() + " records an agent run of this node at phase "
          + before.annotations().get(AGENT_PHASE) + "; the agent rolls it back first");
    }
    if (before.held() && !holder.equals(before.holder()) && !expired(before)) {
      return new Attempt(false, before, describe() + " is held by " + before.holder()
          + " (renewed " + before.renewed() + ", TTL " + ttl.toSeconds() + "s)");
    }
    ObjectNode next = current.deepCopy();
    ObjectNode spec = next.has("spec") && next.get("spec").isObject()
        ? (ObjectNode) next.get("spec") : next.putObject("spec");
    String now = micro(clock.instant());
    if (!holder.equals(before.holder())) {
      spec.put("acquireTime", now);
      spec.put("leaseTransitions", spec.path("leaseTransitions").asInt(0) + 1);
    }
    spec.put("holderIdentity", holder);
    spec.put("leaseDurationSeconds", (int) ttl.toSeconds());
    spec.put("renewTime", now);
    annotate(metadata(next), annotations);
    ApiClient.Response r = api.put(path(), next);
    if (r.status() == 409) {
      return new Attempt(false, before, describe() + " changed while it was being taken");
    }
    api.check(r, "PUT", path());
    return new Attempt(true, before, null);
  }

  /** Renews the hold of {@code holder}; false when another holder has it now. */
  public boolean renew(String holder) throws ApiClient.Unreachable {
    return write(holder, spec -> spec.put("renewTime", micro(clock.instant())), Map.of());
  }

  /** Frees the Lease if {@code holder} holds it, removing or setting {@code annotations} (null removes). */
  public void release(String holder, Map<String, String> annotations) throws ApiClient.Unreachable {
    write(holder, spec -> {
      spec.putNull("holderIdentity");
      spec.remove("renewTime");
      spec.remove("acquireTime");
    }, annotations);
  }

  private boolean write(String holder, java.util.function.Consumer<ObjectNode> change,
      Map<String, String> annotations) throws ApiClient.Unreachable {
    for (int attempt = 0; attempt < 5; attempt++) {
      JsonNode current = api.getJson(path());
      if (current == null || !holder.equals(state(current).holder())) {
        return false;
      }
      ObjectNode next = current.deepCopy();
      change.accept(next.has("spec") && next.get("spec").isObject()
          ? (ObjectNode) next.get("spec") : next.putObject("spec"));
      annotate(metadata(next), annotations);
      ApiClient.Response r = api.put(path(), next);
      if (r.status() != 409) {
        api.check(r, "PUT", path());
        return true;
      }
    }
    throw new KcertException(describe() + ": five conflicting writes in a row; giving up");
  }

  private static ObjectNode metadata(ObjectNode lease) {
    return lease.has("metadata") && lease.get("metadata").isObject()
        ? (ObjectNode) lease.get("metadata") : lease.putObject("metadata");
  }

  private static void annotate(ObjectNode meta, Map<String, String> annotations) {
    if (annotations.isEmpty()) {
      return;
    }
    ObjectNode a = meta.has("annotations") && meta.get("annotations").isObject()
        ? (ObjectNode) meta.get("annotations") : meta.putObject("annotations");
    annotations.forEach((k, v) -> {
      if (v == null) {
        a.remove(k);
      } else {
        a.put(k, v);
      }
    });
  }

  /** A Lease's MicroTime: microseconds, UTC, as the API server writes it. */
  static String micro(Instant t) {
    Instant m = t.truncatedTo(ChronoUnit.MICROS);
    String s = java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'")
        .withZone(java.time.ZoneOffset.UTC).format(m);
    return s;
  }
}
