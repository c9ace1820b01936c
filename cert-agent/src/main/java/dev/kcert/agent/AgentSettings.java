package dev.kcert.agent;

import dev.kcert.core.pki.PkiLayout;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Everything the agent is told, already validated.
 *
 * @param node this node's name (the Lease holder, the Node annotated)
 * @param layout the node's PKI and kubeconfig folders
 * @param kubeletConfig the kubelet's configuration (its serving port and certificate)
 * @param renewBefore renew what expires within this
 * @param leaseNamespace namespace of the renewal Lease
 * @param leaseName name of the renewal Lease (with {@code concurrency} N, also
 *     {@code <name>-1} .. {@code <name>-(N-1)})
 * @param leaseTtl a holder that has not renewed the Lease within this is taken over
 * @param concurrency how many nodes may renew at once
 * @param checkInterval how often the node is looked at
 * @param restartTimeout how long each component has to come back
 * @param pollInterval how often the restart gates look
 * @param dryRun say what would happen, write nothing
 * @param window when runs may start
 * @param blockingPodNamespace where {@code blockingPodSelector} looks
 * @param blockingPodSelector pods on this node matching it hold runs back (null: none)
 * @param prometheus firing alerts there hold runs back (null: not asked)
 * @param alertFilter alerts whose name matches are ignored (null: none ignored)
 * @param notifyUrl the webhook (null: none)
 */
public record AgentSettings(
    String node,
    PkiLayout layout,
    Path kubeletConfig,
    Duration renewBefore,
    String leaseNamespace,
    String leaseName,
    Duration leaseTtl,
    int concurrency,
    Duration checkInterval,
    Duration restartTimeout,
    Duration pollInterval,
    boolean dryRun,
    Window window,
    String blockingPodNamespace,
    String blockingPodSelector,
    URI prometheus,
    Pattern alertFilter,
    URI notifyUrl) {

  public AgentSettings {
    Objects.requireNonNull(node, "node");
    if (node.isBlank()) {
      throw new IllegalArgumentException("--node-name: empty; set it or NODE_NAME (the downward API's spec.nodeName)");
    }
    if (concurrency < 1) {
      throw new IllegalArgumentException("--concurrency must be at least 1, not " + concurrency);
    }
    if (leaseTtl.toSeconds() < 3) {
      throw new IllegalArgumentException("--lease-ttl must be at least 3s");
    }
    if (checkInterval.isZero() || checkInterval.isNegative()) {
      throw new IllegalArgumentException("--check-interval must be positive");
    }
    if (renewBefore.isNegative()) {
      throw new IllegalArgumentException("--renew-before must not be negative");
    }
  }

  /** Defaults for one node: for tests and embedding. */
  public static AgentSettings defaults(String node, PkiLayout layout, Path kubeletConfig) {
    return new AgentSettings(node, layout, kubeletConfig, Duration.ofDays(30), "kube-system", "kcert-renewal",
        Duration.ofMinutes(2), 1, Duration.ofMinutes(10), Duration.ofMinutes(5), Duration.ofSeconds(1), false,
        Window.ALWAYS, "kube-system", null, null, null, null);
  }

  public AgentSettings with(Duration ttl, Duration restartTimeout, Duration pollInterval) {
    return new AgentSettings(node, layout, kubeletConfig, renewBefore, leaseNamespace, leaseName, ttl, concurrency,
        checkInterval, restartTimeout, pollInterval, dryRun, window, blockingPodNamespace, blockingPodSelector,
        prometheus, alertFilter, notifyUrl);
  }

  public AgentSettings withWindow(Window w) {
    return new AgentSettings(node, layout, kubeletConfig, renewBefore, leaseNamespace, leaseName, leaseTtl,
        concurrency, checkInterval, restartTimeout, pollInterval, dryRun, w, blockingPodNamespace, blockingPodSelector,
        prometheus, alertFilter, notifyUrl);
  }

  public AgentSettings withBlockingPods(String selector) {
    return new AgentSettings(node, layout, kubeletConfig, renewBefore, leaseNamespace, leaseName, leaseTtl,
        concurrency, checkInterval, restartTimeout, pollInterval, dryRun, window, blockingPodNamespace, selector,
        prometheus, alertFilter, notifyUrl);
  }
}
