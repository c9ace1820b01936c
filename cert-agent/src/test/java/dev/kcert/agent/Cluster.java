package dev.kcert.agent;

import dev.kcert.core.node.Component;
import dev.kcert.core.testing.FakeKubelet;
import dev.kcert.core.testing.FakeNode;
import dev.kcert.core.testing.TestPki;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * Control-plane nodes without a cluster: the fabric8 mock API server in CRUD mode holding one Node
 * per node (labelled control-plane, Ready) and its static pods' mirror pods, and per node a
 * {@link FakeNode} (its own temporary {@code /etc/kubernetes} and fake kubelet) whose kubelet
 * updates the mirror pod's config hash and Ready condition at each (re)start, as a real kubelet
 * does through the API server.
 */
final class Cluster implements AutoCloseable {
  /**
   * The agents' time, the real one: the TLS servers check client certificates against it. The PKIs
   * are made 340 days back, so every leaf is due within 30 days.
   */
  static final Clock CLOCK = Clock.systemUTC();

  final KubernetesMockServer server;
  final KubernetesClient client;
  final Map<String, FakeNode> nodes = new LinkedHashMap<>();
  /** Every static pod start after the first, in order: "cp-1 etcd", ... */
  final List<String> restarts = Collections.synchronizedList(new ArrayList<>());
  /** The cluster made last, whose fake kubelets {@link KubeletJournals} shows when a test fails. */
  static volatile Cluster last;

  Cluster(Path root, String... names) {
    last = this;
    server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
        new KubernetesCrudDispatcher(), false);
    server.init();
    client = server.createClient();
    for (String name : names) {
      client.nodes().resource(new NodeBuilder().withNewMetadata().withName(name)
          .addToLabels(ClusterGates.CONTROL_PLANE_LABEL, "").endMetadata()
          .withNewStatus().addNewCondition().withType("Ready").withStatus("True").endCondition().endStatus()
          .build()).create();
      FakeNode node = FakeNode.create(TestPki.in(root.resolve(name))
          .clock(Clock.fixed(Instant.now().minus(Duration.ofDays(340)), java.time.ZoneOffset.UTC)));
      Map<Component, Integer> starts = new HashMap<>();
      node.kubelet().addListener((c, hash, ready) -> {
        if (starts.merge(c, 1, Integer::sum) > 1) {
          restarts.add(name + " " + c.podName() + (ready ? "" : " failed"));
        }
        mirror(name, c, hash, ready);
      });
      nodes.put(name, node.start());
    }
  }

  private void mirror(String node, Component c, String hash, boolean ready) {
    String name = c.podName() + "-" + node;
    Pod pod = new PodBuilder().withNewMetadata().withName(name).withNamespace("kube-system")
        .addToAnnotations("kubernetes.io/config.hash", hash).addToLabels("component", c.podName()).endMetadata()
        .withNewSpec().withNodeName(node).endSpec()
        .withNewStatus().addNewCondition().withType("Ready").withStatus(ready ? "True" : "False").endCondition()
        .endStatus().build();
    var existing = client.pods().inNamespace("kube-system").withName(name);
    if (existing.get() == null) {
      client.pods().inNamespace("kube-system").resource(pod).create();
    } else {
      existing.edit(p -> new PodBuilder(p).editMetadata().addToAnnotations("kubernetes.io/config.hash", hash)
          .endMetadata().withStatus(pod.getStatus()).build());
    }
  }

  /** What each node's fake kubelet did, node by node (see {@link FakeKubelet#journal()}). */
  String journals() {
    StringBuilder out = new StringBuilder();
    for (Map.Entry<String, FakeNode> n : nodes.entrySet()) {
      out.append(n.getKey()).append(": ").append(n.getValue().kubelet().journal()).append('\n');
    }
    return out.toString();
  }

  FakeNode node(String name) {
    return nodes.get(name);
  }

  /**
   * The agent's settings for a node of this cluster: a 6 s Lease, 100 ms between looks, and 4 s
   * for a fake component to come back. A fake restart (ports closed 200 ms, new servers, mirror pod
   * told) takes about 0.45 s, and took at most 2.9 s in 1,030 restarts with two CPU burners on the
   * machine's two cores; one look at a port gets at most 1 s of the 4 (a connection never answered
   * costs one look); a component that does not start is said so in the fake kubelet's journal,
   * which a failing test shows.
   */
  AgentSettings settings(String name) {
    FakeNode n = nodes.get(name);
    return AgentSettings.defaults(name, n.layout(), n.kubeletConfig())
        .with(Duration.ofSeconds(6), Duration.ofSeconds(4), Duration.ofMillis(100));
  }

  static void await(String what, Duration timeout, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + timeout.toMillis() + " ms waiting for " + what);
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted waiting for " + what, e);
      }
    }
  }

  @Override
  public void close() {
    for (FakeNode n : nodes.values()) {
      n.close();
    }
    client.close();
    server.destroy();
  }
}
