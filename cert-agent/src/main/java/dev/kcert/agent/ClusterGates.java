package dev.kcert.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What the cluster must look like before a node starts renewing, read from the API server (and
 * Prometheus when configured). Every check returns why the run must wait, or {@code null}.
 *
 * <p>What each input can influence: Node conditions and mirror pods are written by kubelets, so a
 * compromised node can make the gates think the cluster is less healthy (the run waits, nothing
 * worse) or that its own etcd member is Ready; the quorum gate therefore counts members against
 * the control-plane Nodes, not against what the pods claim to be. The alerts come from the
 * configured Prometheus only and can only hold runs back.
 */
final class ClusterGates {
  static final String CONTROL_PLANE_LABEL = "node-role.kubernetes.io/control-plane";
  static final String SYSTEM_NAMESPACE = "kube-system";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final KubernetesClient client;
  private final String node;

  ClusterGates(KubernetesClient client, String node) {
    this.client = client;
    this.node = node;
  }

  static boolean ready(Node n) {
    return n.getStatus() != null
        && n.getStatus().getConditions() != null
        && n.getStatus().getConditions().stream()
            .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  static boolean ready(Pod p) {
    return p != null
        && p.getStatus() != null
        && p.getStatus().getConditions() != null
        && p.getStatus().getConditions().stream()
            .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  List<Node> controlPlaneNodes() {
    return client.nodes().withLabel(CONTROL_PLANE_LABEL).list().getItems();
  }

  /** Every other control-plane node is Ready. */
  String othersReady(List<Node> nodes) {
    List<String> notReady = new ArrayList<>();
    for (Node n : nodes) {
      if (!n.getMetadata().getName().equals(node) && !ready(n)) {
        notReady.add(n.getMetadata().getName());
      }
    }
    return notReady.isEmpty() ? null : "control-plane nodes not Ready: " + String.join(", ", notReady);
  }

  /**
   * Stacked etcd keeps quorum while this node's member is down: the members Ready, less this one,
   * are at least a majority of the members (one member per control-plane node).
   */
  String etcdQuorum(List<Node> nodes) {
    int members = nodes.size();
    int ready = 0;
    for (Node n : nodes) {
      Pod p = client.pods().inNamespace(SYSTEM_NAMESPACE).withName("etcd-" + n.getMetadata().getName()).get();
      if (ready(p)) {
        ready++;
      }
    }
    int majority = members / 2 + 1;
    return ready - 1 >= majority
        ? null
        : "etcd has no quorum to spare: " + ready + " of " + members + " members Ready, " + majority
            + " needed while this node's member restarts";
  }

  /** No pod in {@code namespace} on this node matches the selector. */
  String blockingPods(String namespace, String selector) {
    if (selector == null || selector.isBlank()) {
      return null;
    }
    List<String> names = new ArrayList<>();
    for (Pod p : client.pods().inNamespace(namespace).withLabelSelector(selector).list().getItems()) {
      if (p.getSpec() != null && node.equals(p.getSpec().getNodeName())) {
        names.add(p.getMetadata().getName());
      }
    }
    return names.isEmpty() ? null : "blocking pods on this node: " + String.join(", ", names);
  }

  /**
   * No alert firing in Prometheus, except those whose name matches {@code filter} (kured's
   * {@code --alert-filter-regexp}). An unreachable Prometheus blocks too: it cannot vouch.
   */
  static String firingAlerts(HttpClient http, URI prometheus, Pattern filter) {
    if (prometheus == null) {
      return null;
    }
    URI uri = URI.create(prometheus.toString().replaceAll("/+$", "") + "/api/v1/alerts");
    try {
      HttpResponse<byte[]> r =
          http.send(
              HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build(),
              HttpResponse.BodyHandlers.ofByteArray());
      if (r.statusCode() != 200) {
        return "Prometheus answered " + r.statusCode() + " for its alerts";
      }
      JsonNode alerts = JSON.readTree(r.body()).path("data").path("alerts");
      List<String> firing = new ArrayList<>();
      for (JsonNode a : alerts) {
        String name = a.path("labels").path("alertname").asText("");
        if ("firing".equals(a.path("state").asText()) && (filter == null || !filter.matcher(name).matches())) {
          firing.add(name);
        }
      }
      return firing.isEmpty() ? null : "alerts firing: " + String.join(", ", firing.stream().distinct().toList());
    } catch (IOException e) {
      return "Prometheus unreachable: " + e.getMessage();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted";
    }
  }

  /** The config hash the kubelet gave the mirror pod, or null. */
  static String configHash(Pod p) {
    if (p == null || p.getMetadata().getAnnotations() == null) {
      return null;
    }
    Map<String, String> a = p.getMetadata().getAnnotations();
    return a.getOrDefault("kubernetes.io/config.hash", a.get("kubernetes.io/config.mirror"));
  }
}
