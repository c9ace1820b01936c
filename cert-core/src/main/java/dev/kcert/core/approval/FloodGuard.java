package dev.kcert.core.approval;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;

/**
 * Pauses approvals when more kubelet-serving requests are pending than the cluster's nodes can
 * explain: every node asks for one serving certificate at a time, so many more pending requests
 * than nodes points at a compromised node credential or a runaway client.
 */
public final class FloodGuard {
  /** Only requests created this recently count. */
  public static final Duration WINDOW = Duration.ofHours(1);

  private FloodGuard() {}

  /**
   * @param pendingCreated creation times of the pending kubelet-serving requests
   * @param nodes how many Nodes are registered
   * @param margin how many requests beyond the number of nodes are tolerated
   */
  public static Status evaluate(
      Collection<Instant> pendingCreated, int nodes, int margin, Instant now) {
    Instant since = now.minus(WINDOW);
    int recent = (int) pendingCreated.stream().filter(t -> t.isAfter(since)).count();
    int limit = nodes + margin;
    return new Status(recent > limit, recent, limit);
  }

  /**
   * @param active whether approvals are paused
   * @param recentPending pending requests created within {@link #WINDOW}
   * @param limit nodes plus margin
   */
  public record Status(boolean active, int recentPending, int limit) {
    /** A status that never holds anything back. */
    public static final Status OFF = new Status(false, 0, Integer.MAX_VALUE);

    public String describe() {
      return recentPending
          + " pending kubelet-serving requests created in the last hour, limit "
          + limit
          + " (nodes plus margin)";
    }
  }
}
