package dev.kcert.approver;

import dev.kcert.kube.Log;
import dev.kcert.core.approval.Cidr;
import dev.kcert.core.approval.KubeadmClusterConfig;
import dev.kcert.core.approval.ReservedNames;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The names and addresses of the cluster itself, which no node may be approved for: the flags
 * where given, the rest from kubeadm's {@code ClusterConfiguration} in the {@code kube-system/
 * kubeadm-config} ConfigMap (read at start-up and watched for changes), and kubeadm's defaults
 * with a warning when neither says.
 *
 * <p>What it trusts: the ConfigMap is written by cluster administrators (kubeadm); nodes cannot
 * write it. Only {@code get} and {@code watch} on that one name are needed.
 */
final class ClusterNames implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ClusterNames.class);
  static final String SOURCE = KubeadmClusterConfig.CONFIG_MAP_NAMESPACE + "/" + KubeadmClusterConfig.CONFIG_MAP_NAME;

  private final KubernetesClient client;
  private final Settings.NameFlags flags;
  private final Consumer<ReservedNames> onChange;
  private final ScheduledExecutorService retry =
      Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "cluster-names");
        t.setDaemon(true);
        return t;
      });
  private volatile ReservedNames current;
  private volatile Watch watch;
  private volatile boolean closed;
  private volatile String lastConfigText;
  private int failures;

  ClusterNames(KubernetesClient client, Settings.NameFlags flags, Consumer<ReservedNames> onChange) {
    this.client = client;
    this.flags = flags;
    this.onChange = onChange;
  }

  /** The merged result and what it is worth saying about it. */
  record Merged(ReservedNames names, List<String> warnings) {}

  /**
   * Flags first, then the ConfigMap's document, then kubeadm's defaults. Pure.
   *
   * @param config the parsed document, empty when there is none
   */
  static Merged merge(Settings.NameFlags flags, Optional<KubeadmClusterConfig> config) {
    List<String> warnings = new ArrayList<>();
    List<Cidr> cidrs = flags.serviceCidrs().orElse(null);
    if (cidrs == null && config.isPresent() && !config.get().serviceSubnets().isEmpty()) {
      cidrs = new ArrayList<>();
      for (String s : config.get().serviceSubnets()) {
        try {
          cidrs.add(Cidr.parse(s));
        } catch (IllegalArgumentException e) {
          warnings.add(SOURCE + ": networking.serviceSubnet: " + e.getMessage() + "; ignored");
        }
      }
      if (cidrs.isEmpty()) {
        cidrs = null;
      }
    }
    if (cidrs == null) {
      cidrs = List.of(ReservedNames.DEFAULT_SERVICE_CIDR);
      warnings.add("service CIDR unknown (no --service-cidr, no networking.serviceSubnet in " + SOURCE
          + "): assuming kubeadm's default " + ReservedNames.DEFAULT_SERVICE_CIDR);
    }
    String domain = flags.clusterDomain().or(() -> config.flatMap(KubeadmClusterConfig::dnsDomain)).orElse(null);
    if (domain == null) {
      domain = ReservedNames.DEFAULT_CLUSTER_DOMAIN;
      warnings.add("cluster domain unknown (no --cluster-domain, no networking.dnsDomain in " + SOURCE
          + "): assuming kubeadm's default " + ReservedNames.DEFAULT_CLUSTER_DOMAIN);
    }
    Optional<String> endpoint = flags.controlPlaneEndpoint().map(KubeadmClusterConfig::host)
        .or(() -> config.flatMap(KubeadmClusterConfig::controlPlaneHost));
    List<String> sans = flags.apiServerCertSans().or(() -> config.map(KubeadmClusterConfig::certSans)).orElse(List.of());
    return new Merged(new ReservedNames(cidrs, domain, endpoint, sans), warnings);
  }

  /** Reads the ConfigMap (retrying until the API server answers) and watches it. */
  void start() {
    if (!flags.readKubeadmConfig() || flags.complete()) {
      apply(merge(flags, Optional.empty()), flags.complete() ? "flags" : "flags and defaults");
      return;
    }
    retry.execute(this::readAndWatch);
  }

  /** Whether the names are known (read, or known to be absent). */
  boolean known() {
    return current != null;
  }

  ReservedNames current() {
    ReservedNames c = current;
    return c == null ? merge(flags, Optional.empty()).names() : c;
  }

  private void readAndWatch() {
    if (closed) {
      return;
    }
    ConfigMap cm;
    try {
      cm = client.configMaps().inNamespace(KubeadmClusterConfig.CONFIG_MAP_NAMESPACE)
          .withName(KubeadmClusterConfig.CONFIG_MAP_NAME).get();
    } catch (KubernetesClientException e) {
      if (e.getCode() == 403) {
        LOG.warn("cluster_names=unreadable source={} error={}", SOURCE, Log.q(Log.oneLine(e)));
        apply(merge(flags, Optional.empty()), "flags and defaults");
        return;
      }
      long delay = Math.min(30_000, 500L << Math.min(6, failures++));
      LOG.warn("cluster_names=retry source={} retry_in={}ms error={}", SOURCE, delay, Log.q(Log.oneLine(e)));
      retry.schedule(this::readAndWatch, delay, TimeUnit.MILLISECONDS);
      return;
    }
    failures = 0;
    received(cm);
    try {
      watch = client.configMaps().inNamespace(KubeadmClusterConfig.CONFIG_MAP_NAMESPACE)
          .withName(KubeadmClusterConfig.CONFIG_MAP_NAME).watch(new Watcher<>() {
            @Override
            public void eventReceived(Action action, ConfigMap resource) {
              if (action == Action.ADDED || action == Action.MODIFIED) {
                received(resource);
              } else if (action == Action.DELETED) {
                LOG.warn("cluster_names=deleted source={} action=keep_last", SOURCE);
              }
            }

            @Override
            public void onClose(WatcherException cause) {
              if (!closed) {
                LOG.warn("cluster_names=watch_closed source={} error={}", SOURCE, Log.q(Log.oneLine(cause)));
                retry.schedule(ClusterNames.this::readAndWatch, 1, TimeUnit.SECONDS);
              }
            }
          });
    } catch (KubernetesClientException e) {
      LOG.warn("cluster_names=watch_failed source={} error={}", SOURCE, Log.q(Log.oneLine(e)));
      retry.schedule(this::readAndWatch, 5, TimeUnit.SECONDS);
    }
  }

  private synchronized void received(ConfigMap cm) {
    String text = cm == null || cm.getData() == null ? null : cm.getData().get(KubeadmClusterConfig.DATA_KEY);
    if (current != null && java.util.Objects.equals(text, lastConfigText)) {
      return;
    }
    lastConfigText = text;
    if (cm == null) {
      LOG.warn("cluster_names=absent source={}", SOURCE);
      apply(merge(flags, Optional.empty()), "flags and defaults");
      return;
    }
    try {
      KubeadmClusterConfig config = KubeadmClusterConfig.parse(text, SOURCE);
      apply(merge(flags, Optional.of(config)), SOURCE + (flagsGiven() ? " and flags" : ""));
    } catch (IllegalArgumentException e) {
      LOG.warn("cluster_names=unparsable error={} action={}", Log.q(e.getMessage()),
          current == null ? "defaults" : "keep_last");
      if (current == null) {
        apply(merge(flags, Optional.empty()), "flags and defaults");
      }
    }
  }

  private boolean flagsGiven() {
    return flags.serviceCidrs().isPresent() || flags.clusterDomain().isPresent()
        || flags.controlPlaneEndpoint().isPresent() || flags.apiServerCertSans().isPresent();
  }

  private synchronized void apply(Merged merged, String from) {
    merged.warnings().forEach(w -> LOG.warn("cluster_names=default message={}", Log.q(w)));
    boolean changed = !merged.names().equals(current);
    current = merged.names();
    if (changed) {
      LOG.info("cluster_names=reserved from={} {}", Log.q(from), Log.q(merged.names().describe()));
      onChange.accept(merged.names());
    }
  }

  @Override
  public void close() {
    closed = true;
    retry.shutdownNow();
    Watch w = watch;
    if (w != null) {
      w.close();
    }
  }
}
