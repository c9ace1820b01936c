package dev.kcert.core.rotation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kcert.core.kubeapi.ApiClient;
import dev.kcert.core.model.KcertException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The pods that started before the trust changed, grouped by the workload that owns them, and the
 * rollout restart of those workloads: the pod template annotation {@code
 * kubectl.kubernetes.io/restartedAt} that {@code kubectl rollout restart} sets, one workload at a
 * time, waiting for each rollout, never one that a PodDisruptionBudget forbids to disrupt now.
 *
 * <p>What the input can influence: pod and owner names and times come from the API server and
 * decide which workloads are listed and restarted; a restart only sets the annotation (the same
 * change kubectl makes) on a Deployment, DaemonSet or StatefulSet that owns a listed pod. Label
 * selectors of PodDisruptionBudgets are matched here only to decide whether to hold back.
 */
public final class Workloads {
  /** The annotation kubectl's rollout restart sets on the pod template. */
  public static final String RESTARTED_AT = "kubectl.kubernetes.io/restartedAt";

  private Workloads() {}

  /**
   * Pods of one owner that started before the trust change.
   *
   * @param namespace the namespace
   * @param kind the owning workload's kind ({@code Deployment}, {@code DaemonSet}, {@code
   *     StatefulSet}, or what owns the pod otherwise: {@code Node} for static pods, {@code Job},
   *     {@code ReplicaSet}, {@code Pod} for a pod nothing owns)
   * @param name the owner's name
   * @param pods the pods' names, sorted
   */
  public record Group(String namespace, String kind, String name, List<String> pods) {
    /** Whether a rollout restart applies to it. */
    public boolean restartable() {
      return kind.equals("Deployment") || kind.equals("DaemonSet") || kind.equals("StatefulSet");
    }

    public String where() {
      return namespace + "/" + name;
    }
  }

  /** What happened to one workload. */
  public enum Result {
    RESTARTED,
    /** A PodDisruptionBudget covering its pods allows no disruption now. */
    HELD_BY_PDB,
    /** The rollout did not complete within the timeout. */
    TIMED_OUT
  }

  /** The restart of one workload: what happened and a line that says it. */
  public record Restart(Group group, Result result, String detail) {}

  /**
   * The pods that started before {@code since} (see {@link #started}), grouped by owner. Pods that are finished ({@code Succeeded}, {@code Failed}) are
   * left out: they hold no connection.
   */
  public static List<Group> startedBefore(ApiClient api, Instant since) throws ApiClient.Unreachable {
    JsonNode pods = api.getJson("/api/v1/pods");
    Map<String, List<String>> groups = new LinkedHashMap<>();
    Map<String, String> replicaSetOwners = new LinkedHashMap<>();
    if (pods == null) {
      return List.of();
    }
    for (JsonNode pod : pods.path("items")) {
      String phase = pod.path("status").path("phase").asText("");
      if (phase.equals("Succeeded") || phase.equals("Failed")) {
        continue;
      }
      Instant started = started(pod);
      if (started == null || !started.isBefore(since)) {
        continue;
      }
      String ns = pod.path("metadata").path("namespace").asText("");
      String podName = pod.path("metadata").path("name").asText("");
      String kind = "Pod";
      String owner = podName;
      JsonNode ref = controller(pod);
      if (ref != null) {
        kind = ref.path("kind").asText("");
        owner = ref.path("name").asText("");
        if (kind.equals("ReplicaSet")) {
          String key = ns + "/" + owner;
          String dep = replicaSetOwners.computeIfAbsent(key, k -> deploymentOf(api, ns, k));
          if (!dep.isEmpty()) {
            kind = "Deployment";
            owner = dep;
          }
        }
      }
      groups.computeIfAbsent(ns + "\t" + kind + "\t" + owner, k -> new ArrayList<>()).add(podName);
    }
    List<Group> out = new ArrayList<>();
    for (Map.Entry<String, List<String>> e : groups.entrySet()) {
      String[] k = e.getKey().split("\t", 3);
      List<String> names = new ArrayList<>(e.getValue());
      names.sort(null);
      out.add(new Group(k[0], k[1], k[2], List.copyOf(names)));
    }
    out.sort(Comparator.comparing(Group::namespace).thenComparing(Group::kind)
        .thenComparing(Group::name));
    return out;
  }

  /** The Deployment owning a ReplicaSet ({@code ns/name}), or empty. */
  private static String deploymentOf(ApiClient api, String ns, String key) {
    String rs = key.substring(ns.length() + 1);
    try {
      JsonNode obj = api.getJson("/apis/apps/v1/namespaces/" + ns + "/replicasets/" + rs);
      JsonNode ref = obj == null ? null : controller(obj);
      return ref != null && ref.path("kind").asText().equals("Deployment")
          ? ref.path("name").asText("") : "";
    } catch (ApiClient.Unreachable e) {
      throw new KcertException("ReplicaSet " + key + ": the API server stopped answering ("
          + e.getMessage() + ")", e);
    }
  }

  private static JsonNode controller(JsonNode obj) {
    for (JsonNode ref : obj.path("metadata").path("ownerReferences")) {
      if (ref.path("controller").asBoolean(false)) {
        return ref;
      }
    }
    return null;
  }

  /**
   * When the oldest running container of a pod started (a container restarted since has loaded the
   * trust again); else the pod's start, else its creation.
   */
  static Instant started(JsonNode pod) {
    Instant oldest = null;
    for (JsonNode cs : pod.path("status").path("containerStatuses")) {
      Instant t = time(cs.path("state").path("running").path("startedAt"));
      if (t != null && (oldest == null || t.isBefore(oldest))) {
        oldest = t;
      }
    }
    if (oldest != null) {
      return oldest;
    }
    Instant t = time(pod.path("status").path("startTime"));
    return t != null ? t : time(pod.path("metadata").path("creationTimestamp"));
  }

  private static Instant time(JsonNode n) {
    if (!n.isTextual()) {
      return null;
    }
    try {
      return Instant.parse(n.asText());
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  // ---------------------------------------------------------------- rollout restart

  /**
   * Restarts the restartable groups one at a time: a workload whose pods a PodDisruptionBudget
   * with {@code status.disruptionsAllowed} 0 covers is reported and left alone; the others get the
   * restart annotation and are waited for until their rollout completes or {@code timeout} passes.
   * A rollout that times out stops the run (the next workload is not started).
   *
   * @param progress told one line per workload as it starts and ends
   * @param poll how long to wait between two looks at a rollout
   */
  public static List<Restart> restart(ApiClient api, List<Group> groups, Clock clock,
      Duration timeout, Duration poll, Consumer<String> progress) throws ApiClient.Unreachable {
    List<Restart> out = new ArrayList<>();
    for (Group g : groups) {
      if (!g.restartable()) {
        continue;
      }
      String path = "/apis/apps/v1/namespaces/" + g.namespace() + "/" + plural(g.kind()) + "/"
          + g.name();
      JsonNode obj = api.getJson(path);
      if (obj == null) {
        progress.accept(g.kind() + " " + g.where() + ": gone; nothing to restart");
        continue;
      }
      String pdb = blockingPdb(api, g.namespace(), obj.path("spec").path("template")
          .path("metadata").path("labels"));
      if (pdb != null) {
        Restart r = new Restart(g, Result.HELD_BY_PDB, g.kind() + " " + g.where()
            + ": not restarted: PodDisruptionBudget " + pdb + " allows no disruption now");
        progress.accept(r.detail());
        out.add(r);
        continue;
      }
      ObjectNode o = (ObjectNode) obj.deepCopy();
      o.put("apiVersion", "apps/v1");
      o.put("kind", g.kind());
      ObjectNode meta = child(child(child(o, "spec"), "template"), "metadata");
      child(meta, "annotations").put(RESTARTED_AT,
          clock.instant().truncatedTo(ChronoUnit.SECONDS).toString());
      progress.accept(g.kind() + " " + g.where() + ": restarting");
      ApiClient.Response put = api.put(path, o);
      api.check(put, "PUT", path);
      long generation = api.parse(put, path).path("metadata").path("generation").asLong(0);
      Restart r = waitFor(api, g, path, generation, clock, timeout, poll);
      progress.accept(r.detail());
      out.add(r);
      if (r.result() == Result.TIMED_OUT) {
        break;
      }
    }
    return out;
  }

  private static String plural(String kind) {
    return switch (kind) {
      case "Deployment" -> "deployments";
      case "DaemonSet" -> "daemonsets";
      default -> "statefulsets";
    };
  }

  private static Restart waitFor(ApiClient api, Group g, String path, long generation, Clock clock,
      Duration timeout, Duration poll) throws ApiClient.Unreachable {
    Instant deadline = clock.instant().plus(timeout);
    while (true) {
      JsonNode obj = api.getJson(path);
      if (obj == null) {
        return new Restart(g, Result.RESTARTED, g.kind() + " " + g.where() + ": gone meanwhile");
      }
      if (rolledOut(g.kind(), obj, generation)) {
        return new Restart(g, Result.RESTARTED, g.kind() + " " + g.where() + ": rolled out");
      }
      if (!clock.instant().isBefore(deadline)) {
        return new Restart(g, Result.TIMED_OUT, g.kind() + " " + g.where()
            + ": rollout not complete after " + timeout.toSeconds() + "s; stopping here");
      }
      try {
        Thread.sleep(poll.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return new Restart(g, Result.TIMED_OUT, g.kind() + " " + g.where() + ": interrupted");
      }
    }
  }

  /** kubectl rollout status's conditions, per kind. */
  static boolean rolledOut(String kind, JsonNode obj, long generation) {
    JsonNode st = obj.path("status");
    if (st.path("observedGeneration").asLong(0) < Math.max(generation,
        obj.path("metadata").path("generation").asLong(0))) {
      return false;
    }
    return switch (kind) {
      case "Deployment" -> {
        long want = obj.path("spec").path("replicas").asLong(1);
        yield st.path("updatedReplicas").asLong(0) >= want
            && st.path("replicas").asLong(0) <= st.path("updatedReplicas").asLong(0)
            && st.path("availableReplicas").asLong(0) >= st.path("updatedReplicas").asLong(0);
      }
      case "DaemonSet" -> {
        long want = st.path("desiredNumberScheduled").asLong(0);
        yield st.path("updatedNumberScheduled").asLong(0) >= want
            && st.path("numberAvailable").asLong(0) >= want;
      }
      default -> {
        long want = obj.path("spec").path("replicas").asLong(1);
        yield st.path("updatedReplicas").asLong(0) >= want
            && st.path("readyReplicas").asLong(0) >= want
            && st.path("currentRevision").asText("").equals(st.path("updateRevision").asText(""));
      }
    };
  }

  /** The name of a PodDisruptionBudget that covers {@code labels} and allows no disruption. */
  private static String blockingPdb(ApiClient api, String ns, JsonNode labels)
      throws ApiClient.Unreachable {
    JsonNode pdbs = api.getJson("/apis/policy/v1/namespaces/" + ns + "/poddisruptionbudgets");
    if (pdbs == null) {
      return null;
    }
    for (JsonNode pdb : pdbs.path("items")) {
      if (selects(pdb.path("spec").path("selector"), labels)
          && pdb.path("status").path("disruptionsAllowed").asLong(0) <= 0) {
        return ns + "/" + pdb.path("metadata").path("name").asText();
      }
    }
    return null;
  }

  /**
   * Whether a label selector matches {@code labels}. As for PodDisruptionBudgets in policy/v1, an
   * empty selector matches every pod; a missing one matches none.
   */
  static boolean selects(JsonNode selector, JsonNode labels) {
    if (selector.isMissingNode() || selector.isNull()) {
      return false;
    }
    for (Map.Entry<String, JsonNode> e : iterable(selector.path("matchLabels"))) {
      if (!e.getValue().asText().equals(labels.path(e.getKey()).asText(null))) {
        return false;
      }
    }
    for (JsonNode req : selector.path("matchExpressions")) {
      String key = req.path("key").asText();
      String value = labels.path(key).isTextual() ? labels.path(key).asText() : null;
      List<String> values = new ArrayList<>();
      req.path("values").forEach(v -> values.add(v.asText()));
      boolean ok = switch (req.path("operator").asText()) {
        case "In" -> value != null && values.contains(value);
        case "NotIn" -> value == null || !values.contains(value);
        case "Exists" -> value != null;
        case "DoesNotExist" -> value == null;
        default -> true; // an operator this code does not know: assume it covers the pods
      };
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  private static Iterable<Map.Entry<String, JsonNode>> iterable(JsonNode n) {
    return n.properties();
  }

  /** The object field {@code name} of {@code parent}, made when absent. */
  private static ObjectNode child(ObjectNode parent, String name) {
    return parent.get(name) instanceof ObjectNode o ? o : parent.putObject(name);
  }
}
