package dev.kcert.cli;

import dev.kcert.core.kubeapi.ApiClient;
import dev.kcert.core.rotation.ClusterState;
import dev.kcert.core.rotation.ClusterTrust;
import dev.kcert.core.rotation.Outcome;
import dev.kcert.core.rotation.Phase;
import dev.kcert.core.rotation.Rotation;
import dev.kcert.core.rotation.Workloads;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The cluster side of {@code kcert ca}: {@code --kubeconfig} and {@code --api-timeout}, and what
 * the phase, plan and status commands do with them. With neither option and no {@code
 * /etc/kubernetes/admin.conf}, there is no cluster side and nothing is printed about it; an API
 * server that does not answer is one warning line, and the node's work goes on.
 */
final class CaCluster {
  @Option(
      names = "--kubeconfig",
      paramLabel = "FILE",
      description =
          "The kubeconfig for the cluster side (cluster-info, kube-root-ca.crt, token Secrets,"
              + " webhook/APIService/CRD caBundles, pods) (default: "
              + ConfigOptions.DEFAULT_KUBECONFIG + " when it exists). An API server that does"
              + " not answer within --api-timeout is one warning line; the node's part goes on"
              + " and the cluster side is recorded as pending.")
  Path kubeconfig;

  @Option(
      names = "--api-timeout",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      defaultValue = "5s",
      description = "How long to wait for the API server, per request (default: ${DEFAULT-VALUE}).")
  Duration apiTimeout;

  /** The client, or {@code null} when there is no kubeconfig to use. */
  ApiClient client(PkiDirs dirs) {
    Path kc;
    if (kubeconfig != null) {
      kc = dirs.onHost(kubeconfig);
    } else {
      kc = dirs.onHost(Path.of(ConfigOptions.DEFAULT_KUBECONFIG));
      if (!Files.isRegularFile(kc)) {
        return null;
      }
    }
    if (apiTimeout.isZero() || apiTimeout.isNegative()) {
      throw new IllegalArgumentException("--api-timeout must be positive");
    }
    return ApiClient.connect(kc, dirs.rootfs, apiTimeout);
  }

  static void warnUnreachable(PrintWriter err, ApiClient api, ApiClient.Unreachable e, String what) {
    err.println("warning: the API server at " + api.server() + " is unreachable (" + e.getMessage()
        + "); " + what);
    err.flush();
  }

  /** What the cluster side of a command did: text lines and the JSON of it. */
  record Report(List<String> lines, Map<String, Object> json) {
    static Report none() {
      return new Report(List.of(), null);
    }
  }

  /**
   * The cluster side of a phase (or of abort, {@link Phase#NONE}), after the node's part: the
   * cluster places brought to the phase, cluster-info included; kube-root-ca.crt and token Secrets
   * that are behind; the time of the trust change recorded at trust-both. {@code leaseNote} (or
   * {@code null}) says why the renewal Lease was not taken; it joins the warning about an
   * unreachable API server, or is a warning of its own.
   */
  static Report afterPhase(ApiClient api, Rotation r, ClusterTrust.CaPair cas, Phase phase,
      Outcome o, boolean dryRun, Clock clock, PrintWriter err, String leaseNote) {
    String name = phase == Phase.NONE ? "abort" : phase.command();
    boolean abort = phase == Phase.NONE;
    ClusterState st = abort ? null : ClusterState.read(r);
    if (!dryRun && !abort && phase == Phase.TRUST_BOTH && !o.alreadyDone()) {
      st = st.withTrustChangedAt(clock.instant());
    }
    if (api == null) {
      if (st != null && !dryRun) {
        st.write(r);
      }
      return Report.none();
    }
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("server", api.server());
    List<String> lines = new ArrayList<>();
    try {
      List<ClusterTrust.Update> updates = ClusterTrust.apply(api, r.caName(), cas, phase, dryRun);
      json.put("reachable", true);
      List<Map<String, Object>> u = new ArrayList<>();
      for (ClusterTrust.Update up : updates) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("kind", up.entry().kind());
        m.put("namespace", up.entry().namespace());
        m.put("name", up.entry().name());
        m.put("from", up.entry().detail());
        m.put("to", up.to());
        u.add(m);
        lines.add("cluster: " + (dryRun ? "would update " : "updated ") + up.entry().kind() + " "
            + up.entry().where() + ": " + up.entry().detail() + " -> " + up.to());
      }
      json.put("updates", u);
      if (leaseNote != null) {
        err.println("warning: " + leaseNote);
        err.flush();
      }
      if (updates.isEmpty()) {
        lines.add("cluster: every cluster place kcert writes holds what " + name
            + " wants; nothing to write there");
      }
      if (st != null && !dryRun) {
        if (phase == Phase.TRUST_BOTH && !updates.isEmpty()) {
          st = st.withTrustChangedAt(clock.instant());
        }
        st = st.withApplied(phase);
      }
      if (!abort && !dryRun) {
        List<ClusterTrust.Entry> now = ClusterTrust.inventory(api, r.caName(), cas);
        List<String> behind = ClusterTrust.namespacesBehind(now, phase);
        json.put("namespacesBehind", behind);
        if (!behind.isEmpty()) {
          lines.add("cluster: kube-root-ca.crt and service-account token Secrets are re-published"
              + " by kube-controller-manager once it runs with this phase's --root-ca-file;"
              + " behind in " + behind.size() + " namespace(s): " + shortList(behind));
        }
      }
      if (phase == Phase.TRUST_BOTH && st != null && st.trustChangedAt() != null) {
        lines.add("then restart the pods that started before " + st.trustChangedAt()
            + ": kcert ca workloads --ca " + r.caName() + " (--restart-workloads to roll them)");
      }
    } catch (ApiClient.Unreachable e) {
      json.put("reachable", false);
      json.put("reason", e.getMessage());
      warnUnreachable(err, api, e, (abort
          ? "the cluster places may still hold the new CA; check them with kcert ca plan"
          : "the cluster side of " + name + " is pending: run this command again once it answers")
          + (leaseNote == null ? "" : "; " + leaseNote.replaceFirst(" \\([^)]*\\)", "")));
      if (st != null && !dryRun) {
        st = st.withPending(phase);
      }
    } finally {
      if (st != null && !dryRun) {
        st.write(r);
      }
    }
    return new Report(lines, json);
  }

  /**
   * The refusal of trust-new while pods from before the trust change run, or {@code null} when it
   * may go on (none, the API unreachable after a warning, or no trust change recorded).
   */
  static String podsBeforeTrustChange(ApiClient api, Rotation r, PrintWriter err) {
    if (api == null) {
      return null;
    }
    ClusterState st = ClusterState.read(r);
    if (st.trustChangedAt() == null) {
      return null;
    }
    try {
      List<Workloads.Group> groups = Workloads.startedBefore(api, st.trustChangedAt());
      if (groups.isEmpty()) {
        return null;
      }
      int pods = groups.stream().mapToInt(g -> g.pods().size()).sum();
      return r.caName() + ": trust-new refused: " + pods + " pod(s) of " + groups.size()
          + " owner(s) started before the trust change at " + st.trustChangedAt()
          + " and may trust the old CA alone (kcert ca workloads lists them,"
          + " --restart-workloads restarts them; --force goes on)";
    } catch (ApiClient.Unreachable e) {
      warnUnreachable(err, api, e, "the pods that started before the trust change are not checked");
      return null;
    }
  }

  static String shortList(List<String> items) {
    int max = 10;
    if (items.size() <= max) {
      return String.join(", ", items);
    }
    return String.join(", ", items.subList(0, max)) + " and " + (items.size() - max) + " more";
  }
}
