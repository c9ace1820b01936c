package dev.kcert.agent;

import dev.kcert.agent.metrics.X509Metrics;
import dev.kcert.core.node.NodeEndpoints;
import dev.kcert.core.pki.PkiLayout;
import dev.kcert.kube.ComponentCommand;
import dev.kcert.kube.ComponentCommand.BadOption;
import dev.kcert.kube.Durations;
import dev.kcert.kube.HealthServer;
import dev.kcert.kube.KubeClients;
import dev.kcert.kube.Log;
import dev.kcert.kube.LogFormat;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The command line of the node agent, {@code kcert-agent}. */
@Command(
    name = "kcert-agent",
    mixinStandardHelpOptions = true,
    versionProvider = ComponentCommand.Version.class,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "Runs on each control-plane node: serves the node's certificate expiries as metrics, and renews "
          + "what is due one node at a time under a cluster-wide Lease, restarting the static pods that "
          + "use the new certificates and rolling back when one does not come back.",
      "",
      "Exit codes: 0 ok (with --once: nothing to do, deferred or renewed), 1 the run failed, "
          + "2 bad options."
    })
public final class Main implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(Main.class);

  @Option(names = "--node-name", paramLabel = "NAME", defaultValue = "${env:NODE_NAME}",
      description = "this node's name, as the API server knows it [NODE_NAME]")
  String nodeName;

  @Option(names = "--kubeconfig", paramLabel = "FILE", defaultValue = "${env:KCERT_AGENT_KUBECONFIG}",
      description = "kubeconfig for running outside the cluster; in-cluster service account when unset")
  Path kubeconfig;

  @Option(names = "--cert-dir", paramLabel = "DIR", defaultValue = PkiLayout.CERT_DIR,
      description = "the node's PKI (default: ${DEFAULT-VALUE})")
  Path certDir;

  @Option(names = "--kubeconfig-dir", paramLabel = "DIR", defaultValue = PkiLayout.KUBECONFIG_DIR,
      description = "kubeconfig files and manifests/ (default: ${DEFAULT-VALUE})")
  Path kubeconfigDir;

  @Option(names = "--kubelet-pki-dir", paramLabel = "DIR", defaultValue = PkiLayout.KUBELET_DIR,
      description = "the kubelet's certificates (default: ${DEFAULT-VALUE})")
  Path kubeletDir;

  @Option(names = "--kubelet-config", paramLabel = "FILE", defaultValue = NodeEndpoints.KUBELET_CONFIG,
      description = "the kubelet's configuration, for its serving port (default: ${DEFAULT-VALUE})")
  Path kubeletConfig;

  @Option(names = "--renew-before", paramLabel = "DURATION", defaultValue = "30d",
      description = "renew certificates that expire within this (default: ${DEFAULT-VALUE})")
  String renewBefore;

  @Option(names = "--lease", paramLabel = "NAMESPACE/NAME", defaultValue = "kube-system/kcert-renewal",
      description = "the cluster-wide renewal Lease (default: ${DEFAULT-VALUE})")
  String lease;

  @Option(names = "--lease-ttl", paramLabel = "DURATION", defaultValue = "2m",
      description = "a holder that has not renewed the Lease within this is taken over (default: ${DEFAULT-VALUE})")
  String leaseTtl;

  @Option(names = "--concurrency", paramLabel = "N", defaultValue = "1",
      description = "nodes renewing at once; N > 1 uses the Leases NAME, NAME-1 .. NAME-(N-1) (default: ${DEFAULT-VALUE})")
  int concurrency;

  @Option(names = "--check-interval", paramLabel = "DURATION", defaultValue = "10m",
      description = "how often the node is looked at (default: ${DEFAULT-VALUE})")
  String checkInterval;

  @Option(names = "--restart-timeout", paramLabel = "DURATION", defaultValue = "5m",
      description = "how long each component has to come back after its restart (default: ${DEFAULT-VALUE})")
  String restartTimeout;

  @Option(names = "--dry-run", description = "say what would happen; write nothing, take no Lease")
  boolean dryRun;

  @Option(names = "--once", description = "one cycle, then exit (with the exit codes above)")
  boolean once;

  @Option(names = "--days", paramLabel = "DAYS", split = ",", defaultValue = "mon,tue,wed,thu,fri,sat,sun",
      description = "days on which runs may start (default: ${DEFAULT-VALUE})")
  List<String> days = new ArrayList<>();

  @Option(names = "--start-time", paramLabel = "HH:MM", defaultValue = "00:00",
      description = "runs may start from this time of day (default: ${DEFAULT-VALUE})")
  String startTime;

  @Option(names = "--end-time", paramLabel = "HH:MM", defaultValue = "23:59:59",
      description = "runs may start until this time of day; before --start-time it runs past midnight "
          + "(default: ${DEFAULT-VALUE})")
  String endTime;

  @Option(names = "--time-zone", paramLabel = "ZONE", defaultValue = "UTC",
      description = "time zone of --start-time and --end-time (default: ${DEFAULT-VALUE})")
  String timeZone;

  @Option(names = "--blocking-pod-selector", paramLabel = "SELECTOR",
      description = "pods on this node matching this label selector hold runs back")
  String blockingPodSelector;

  @Option(names = "--blocking-pod-namespace", paramLabel = "NAMESPACE", defaultValue = "kube-system",
      description = "where --blocking-pod-selector looks (default: ${DEFAULT-VALUE})")
  String blockingPodNamespace;

  @Option(names = "--prometheus-url", paramLabel = "URL",
      description = "alerts firing in this Prometheus hold runs back")
  String prometheusUrl;

  @Option(names = "--alert-filter-regexp", paramLabel = "REGEX",
      description = "alerts whose name matches are ignored by --prometheus-url")
  String alertFilter;

  @Option(names = "--notify-url", paramLabel = "URL",
      description = "POST a JSON message here when a run starts, succeeds or fails")
  String notifyUrl;

  @Option(names = "--http-address", paramLabel = "HOST", defaultValue = "0.0.0.0",
      description = "address of /healthz, /readyz and /metrics (default: ${DEFAULT-VALUE})")
  String httpAddress;

  @Option(names = "--http-port", paramLabel = "PORT", defaultValue = "9794",
      description = "port of /healthz, /readyz and /metrics; -1 turns them off (default: ${DEFAULT-VALUE})")
  int httpPort;

  @Option(names = "--log-format", paramLabel = "FORMAT", defaultValue = "text",
      description = "text (key=value) or json (default: ${DEFAULT-VALUE})")
  String logFormat;

  @Option(names = "--log-level", paramLabel = "LEVEL", defaultValue = "info",
      description = "error, warn, info or debug (default: ${DEFAULT-VALUE})")
  String logLevel;

  /** Validates every option; bad input fails here with a message naming the option. */
  AgentSettings settings() {
    String[] nn = lease.split("/", -1);
    if (nn.length != 2 || nn[0].isBlank() || nn[1].isBlank()) {
      throw new BadOption("--lease: expected NAMESPACE/NAME, not '" + lease + "'");
    }
    Window window = option(() -> Window.parse(days, startTime, endTime, timeZone));
    Pattern compiled = null;
    if (alertFilter != null && !alertFilter.isBlank()) {
      try {
        compiled = Pattern.compile(alertFilter);
      } catch (PatternSyntaxException e) {
        throw new BadOption("--alert-filter-regexp: " + e.getDescription());
      }
    }
    Pattern filter = compiled;
    return option(
        () ->
            new AgentSettings(
                nodeName == null ? "" : nodeName,
                new PkiLayout(certDir, kubeconfigDir, kubeletDir),
                kubeletConfig,
                duration("--renew-before", renewBefore),
                nn[0],
                nn[1],
                duration("--lease-ttl", leaseTtl),
                concurrency,
                duration("--check-interval", checkInterval),
                duration("--restart-timeout", restartTimeout),
                Duration.ofSeconds(1),
                dryRun,
                window,
                blockingPodNamespace,
                blockingPodSelector,
                url("--prometheus-url", prometheusUrl),
                filter,
                url("--notify-url", notifyUrl)));
  }

  private static URI url(String flag, String text) {
    if (text == null || text.isBlank()) {
      return null;
    }
    try {
      URI u = new URI(text.trim());
      if (!"http".equals(u.getScheme()) && !"https".equals(u.getScheme())) {
        throw new IllegalArgumentException(flag + ": expected an http or https URL");
      }
      return u;
    } catch (java.net.URISyntaxException e) {
      throw new IllegalArgumentException(flag + ": not a URL: " + e.getReason());
    }
  }

  private static Duration duration(String flag, String text) {
    try {
      return Durations.parse(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(flag + ": " + e.getMessage());
    }
  }

  private static <T> T option(Supplier<T> parse) {
    try {
      return parse.get();
    } catch (IllegalArgumentException e) {
      throw new BadOption(e.getMessage());
    }
  }

  LogFormat.Style logStyle() {
    return switch (logFormat) {
      case "text" -> LogFormat.Style.TEXT;
      case "json" -> LogFormat.Style.JSON;
      default -> throw new BadOption("--log-format: expected text or json, not '" + logFormat + "'");
    };
  }

  Level logLevel() {
    return switch (logLevel) {
      case "error" -> Level.SEVERE;
      case "warn", "warning" -> Level.WARNING;
      case "info" -> Level.INFO;
      case "debug" -> Level.FINE;
      default -> throw new BadOption("--log-level: expected error, warn, info or debug, not '" + logLevel + "'");
    };
  }

  @Override
  public Integer call() throws Exception {
    AgentSettings settings = settings();
    LogFormat.Style style = logStyle();
    Level level = logLevel();
    LogFormat.install(style, level);
    KubernetesClient client;
    try {
      client = KubeClients.connect(kubeconfig);
    } catch (IllegalArgumentException e) {
      throw new BadOption("--kubeconfig: " + e.getMessage());
    }
    Clock clock = Clock.systemUTC();
    PrometheusRegistry registry = new PrometheusRegistry();
    AgentMetrics metrics = new AgentMetrics(registry);
    Agent agent = new Agent(client, settings, clock, metrics);
    registry.register(new X509Metrics(settings.layout(), clock, agent::served));
    CountDownLatch firstCycle = new CountDownLatch(1);
    HealthServer http = httpPort < 0 ? null
        : new HealthServer(httpAddress, httpPort, registry, () -> null,
            () -> firstCycle.getCount() == 0 ? null : "the first look at the node has not finished");
    try {
      if (once) {
        Agent.Outcome o = agent.cycle();
        LOG.info("cycle={} message={}", o.kind().name().toLowerCase(java.util.Locale.ROOT), Log.q(o.message()));
        return o.kind() == Agent.Kind.FAILED ? 1 : 0;
      }
      CountDownLatch stopped = new CountDownLatch(1);
      Runtime.getRuntime().addShutdownHook(new Thread(stopped::countDown, "agent-shutdown"));
      while (true) {
        try {
          Agent.Outcome o = agent.cycle();
          LOG.info("cycle={} message={}", o.kind().name().toLowerCase(java.util.Locale.ROOT), Log.q(o.message()));
        } catch (RuntimeException e) {
          LOG.error("cycle=error error={}", Log.q(Log.oneLine(e)));
        }
        firstCycle.countDown();
        if (stopped.await(settings.checkInterval().toMillis(), TimeUnit.MILLISECONDS)) {
          return 0;
        }
      }
    } finally {
      if (http != null) {
        http.close();
      }
      agent.close();
      client.close();
    }
  }

  public static void main(String[] args) {
    System.exit(run(args));
  }

  static int run(String... args) {
    return run(new java.io.PrintWriter(System.err, true), args);
  }

  static int run(java.io.PrintWriter err, String... args) {
    return ComponentCommand.execute(new Main(), err, args);
  }
}
