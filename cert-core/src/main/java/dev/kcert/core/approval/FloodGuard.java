package dev.kcert.core.approval;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;

/**
 * Holds back the approvals of one node that asks far more often than a kubelet does. A kubelet
 * has one serving certificate and asks again about every 15 minutes while it is not approved, so
 * over a day of outage it piles up some 96 requests; a node with many more pending or approved
 * requests points at a stolen node credential or a runaway client. The guard is per node: a node
 * over its limit is held back alone, and every other node is judged as usual.
 */
public final class FloodGuard {
  private FloodGuard() {}

  /**
   * @param node the requesting node
   * @param created creation times of the node's kubelet-serving requests that are pending or
   *     approved
   * @param limit how many of them may have been created within the window
   */
  public static Status evaluate(
      String node, Collection<Instant> created, int limit, Duration window, Instant now) {
    Instant since = now.minus(window);
    int recent = (int) created.stream().filter(t -> t.isAfter(since)).count();
    return new Status(recent > limit, node, recent, limit, window);
  }

  /**
   * @param active whether this node's approvals are held back
   * @param node the node
   * @param recent its pending or approved requests created within the window
   * @param limit the most it may have
   * @param window the sliding window
   */
  public record Status(boolean active, String node, int recent, int limit, Duration window) {
    /** A status that never holds anything back. */
    public static final Status OFF = new Status(false, "", 0, Integer.MAX_VALUE, Duration.ofHours(24));

    public String describe() {
      return "node " + node + " has " + recent + " pending or approved kubelet-serving requests created in the last "
          + window.toString().substring(2).toLowerCase(java.util.Locale.ROOT) + ", limit " + limit;
    }
  }
}
