package dev.kcert.cli;

import dev.kcert.core.kubeapi.ApiClient;
import dev.kcert.core.kubeapi.RenewalLease;
import dev.kcert.core.model.KcertException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Option;

/**
 * The renewal Lease around a CA phase: the phase runs while it holds the Lease the in-cluster agent
 * takes before it renews or restarts anything, so the two never work on a node at once. Without a
 * kubeconfig there is nothing to take; with an API server that does not answer, one warning line
 * and the phase goes on (an API server that is down is the day a CA phase may be needed most).
 */
final class CaLease {
  /** The agent's default TTL: a holder that has not renewed for this long is gone. */
  static final Duration TTL = Duration.ofMinutes(2);

  @Option(
      names = "--node-name",
      paramLabel = "NAME",
      description = "This node's name, the holder of the renewal Lease (default: the host name,"
          + " lower-cased, as kubeadm names nodes).")
  String nodeName;

  @Option(
      names = "--lease",
      paramLabel = "NAMESPACE/NAME",
      defaultValue = "kube-system/kcert-renewal",
      description = "The renewal Lease the in-cluster agent takes (default: ${DEFAULT-VALUE}).")
  String lease;

  @Option(
      names = "--lease-wait",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      defaultValue = "0s",
      description = "How long to wait for the renewal Lease when another node holds it"
          + " (default: ${DEFAULT-VALUE}: refuse at once, exit 1).")
  Duration wait;

  /** How often a waiting phase looks again; tests make it short. */
  Duration pollInterval = Duration.ofSeconds(2);

  String holder() {
    if (nodeName != null) {
      if (nodeName.isBlank()) {
        throw new IllegalArgumentException("--node-name must not be empty");
      }
      return nodeName;
    }
    try {
      return InetAddress.getLocalHost().getHostName().toLowerCase(Locale.ROOT);
    } catch (UnknownHostException e) {
      throw new KcertException("this host has no name to hold the renewal Lease with; give --node-name");
    }
  }

  /** A phase's work; {@code leaseNote} says why the Lease was not taken, or is {@code null}. */
  interface Work {
    int run(String leaseNote);
  }

  /**
   * Runs {@code work} under the Lease (renewed every third of the TTL while it runs) and frees the
   * Lease afterwards; without a client, runs it as it is.
   *
   * @return the exit code of {@code work}, or 1 when the Lease stays held by another node
   */
  int around(ApiClient api, String what, boolean dryRun, Clock clock, PrintWriter err, Work work) {
    if (wait.isNegative()) {
      throw new IllegalArgumentException("--lease-wait must not be negative");
    }
    int slash = lease.indexOf('/');
    if (slash <= 0 || slash == lease.length() - 1 || lease.indexOf('/', slash + 1) >= 0) {
      throw new IllegalArgumentException("--lease must be NAMESPACE/NAME, not \"" + lease + "\"");
    }
    if (api == null || dryRun) {
      return work.run(null);
    }
    String holder = holder();
    RenewalLease lock = new RenewalLease(api, lease.substring(0, slash), lease.substring(slash + 1), TTL, clock);
    RenewalLease.Attempt a;
    Instant deadline = Instant.now().plus(wait);
    try {
      while (true) {
        a = lock.acquire(holder, Map.of(RenewalLease.CA_ROTATION, what));
        if (a.taken() || !Instant.now().plus(pollInterval).isBefore(deadline.plusMillis(1))) {
          break;
        }
        sleep(pollInterval);
      }
    } catch (ApiClient.Unreachable e) {
      return work.run("the renewal Lease " + lease + " is not taken (" + e.getMessage()
          + "): make sure the agent does not work on this node meanwhile");
    }
    if (!a.taken()) {
      err.println("error: " + what + " refused: " + a.refusal() + "; it runs once " + holder
          + " can take it (wait with --lease-wait)");
      err.flush();
      return ExitCodes.ERROR;
    }
    ScheduledExecutorService renewer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "lease-renewal");
      t.setDaemon(true);
      return t;
    });
    long every = Math.max(1, TTL.toMillis() / 3);
    renewer.scheduleAtFixedRate(() -> {
      try {
        lock.renew(holder);
      } catch (ApiClient.Unreachable | RuntimeException e) {
        // the next tick tries again; a lapsed hold shows in the release below
      }
    }, every, every, TimeUnit.MILLISECONDS);
    try {
      return work.run(null);
    } finally {
      renewer.shutdownNow();
      try {
        Map<String, String> remove = new HashMap<>();
        remove.put(RenewalLease.CA_ROTATION, null);
        lock.release(holder, remove);
      } catch (ApiClient.Unreachable | RuntimeException e) {
        err.println("warning: " + lock.describe() + " was not released (" + KcertException.oneLine(e)
            + "); it lapses after " + TTL.toSeconds() + "s");
        err.flush();
      }
    }
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KcertException("interrupted while waiting for the renewal Lease");
    }
  }
}
