package dev.kcert.approver;

import dev.kcert.core.approval.Cidr;
import dev.kcert.core.approval.KeyPolicy;
import dev.kcert.core.approval.PolicyConfig;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The command line of the approver. Every option has an environment-variable equivalent. */
@Command(
    name = "kcert-csr-approver",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "Approves kubelet serving-certificate requests (signer kubernetes.io/kubelet-serving) whose "
          + "SANs belong to the requesting node, and denies the others with a stable reason.",
      "Each option can also be set with the environment variable shown in brackets."
    })
public final class Main implements Callable<Integer> {

  @Option(names = "--kubeconfig", paramLabel = "FILE",
      defaultValue = "${env:KCERT_APPROVER_KUBECONFIG}",
      description = "kubeconfig for running outside the cluster; in-cluster service account when unset "
          + "[KCERT_APPROVER_KUBECONFIG]")
  Path kubeconfig;

  @Option(names = "--dry-run", paramLabel = "BOOL", defaultValue = "${env:KCERT_APPROVER_DRY_RUN:-false}", arity = "0..1",
      description = "audit mode: judge and log, never approve, deny or write events (default: ${DEFAULT-VALUE}) "
          + "[KCERT_APPROVER_DRY_RUN]")
  boolean dryRun;

  @Option(names = "--allowed-dns-pattern", paramLabel = "REGEX", split = "\\s+",
      defaultValue = "${env:KCERT_APPROVER_ALLOWED_DNS_PATTERNS}",
      description = "also allow DNS SANs matching this regex (whole name, case-insensitive); repeatable, "
          + "several separated by spaces [KCERT_APPROVER_ALLOWED_DNS_PATTERNS]")
  List<String> dnsPatterns = new ArrayList<>();

  @Option(names = "--allowed-ip-range", paramLabel = "CIDR", split = ",",
      defaultValue = "${env:KCERT_APPROVER_ALLOWED_IP_RANGES}",
      description = "also allow IP SANs in this CIDR; repeatable, several separated by commas "
          + "[KCERT_APPROVER_ALLOWED_IP_RANGES]")
  List<String> ipRanges = new ArrayList<>();

  @Option(names = "--min-rsa-bits", paramLabel = "BITS", defaultValue = "${env:KCERT_APPROVER_MIN_RSA_BITS:-2048}",
      description = "smallest RSA key accepted; 0 refuses RSA (default: ${DEFAULT-VALUE}) [KCERT_APPROVER_MIN_RSA_BITS]")
  int minRsaBits;

  @Option(names = "--ecdsa-curves", paramLabel = "CURVES", split = ",",
      defaultValue = "${env:KCERT_APPROVER_ECDSA_CURVES:-P-256,P-384}",
      description = "ECDSA curves accepted, of P-256, P-384, P-521; 'none' refuses ECDSA (default: ${DEFAULT-VALUE}) "
          + "[KCERT_APPROVER_ECDSA_CURVES]")
  List<String> ecdsaCurves = new ArrayList<>();

  @Option(names = "--allow-ed25519", arity = "1", paramLabel = "BOOL",
      defaultValue = "${env:KCERT_APPROVER_ALLOW_ED25519:-true}",
      description = "accept Ed25519 keys (default: ${DEFAULT-VALUE}) [KCERT_APPROVER_ALLOW_ED25519]")
  boolean allowEd25519;

  @Option(names = "--max-expiration", paramLabel = "DURATION",
      defaultValue = "${env:KCERT_APPROVER_MAX_EXPIRATION:-367d}",
      description = "deny spec.expirationSeconds above this (default: ${DEFAULT-VALUE}) [KCERT_APPROVER_MAX_EXPIRATION]")
  String maxExpiration;

  @Option(names = "--node-grace-period", paramLabel = "DURATION",
      defaultValue = "${env:KCERT_APPROVER_NODE_GRACE_PERIOD:-10m}",
      description = "how long after a request's creation an unregistered node, or one without addresses, is "
          + "waited for before denying (default: ${DEFAULT-VALUE}) [KCERT_APPROVER_NODE_GRACE_PERIOD]")
  String nodeGracePeriod;

  @Option(names = "--ignore-non-node-requesters", arity = "0..1", paramLabel = "BOOL",
      defaultValue = "${env:KCERT_APPROVER_IGNORE_NON_NODE_REQUESTERS:-false}",
      description = "leave kubelet-serving requests from users other than nodes alone instead of denying them "
          + "(default: ${DEFAULT-VALUE}) [KCERT_APPROVER_IGNORE_NON_NODE_REQUESTERS]")
  boolean ignoreNonNodeRequesters;

  @Option(names = "--flood-margin", paramLabel = "N", defaultValue = "${env:KCERT_APPROVER_FLOOD_MARGIN:-10}",
      description = "pause approvals while pending kubelet-serving requests created in the last hour exceed the "
          + "number of nodes plus N (default: ${DEFAULT-VALUE}) [KCERT_APPROVER_FLOOD_MARGIN]")
  int floodMargin;

  @Option(names = "--workers", paramLabel = "N", defaultValue = "${env:KCERT_APPROVER_WORKERS:-2}",
      description = "requests judged in parallel (default: ${DEFAULT-VALUE}) [KCERT_APPROVER_WORKERS]")
  int workers;

  @Option(names = "--resync-period", paramLabel = "DURATION", defaultValue = "${env:KCERT_APPROVER_RESYNC_PERIOD:-5m}",
      description = "informer resync period (default: ${DEFAULT-VALUE}) [KCERT_APPROVER_RESYNC_PERIOD]")
  String resync;

  @Option(names = "--retry-base-delay", paramLabel = "DURATION",
      defaultValue = "${env:KCERT_APPROVER_RETRY_BASE_DELAY:-1s}",
      description = "first delay of the per-request exponential backoff (default: ${DEFAULT-VALUE}) "
          + "[KCERT_APPROVER_RETRY_BASE_DELAY]")
  String retryBaseDelay;

  @Option(names = "--retry-max-delay", paramLabel = "DURATION",
      defaultValue = "${env:KCERT_APPROVER_RETRY_MAX_DELAY:-5m}",
      description = "longest delay of the per-request exponential backoff (default: ${DEFAULT-VALUE}) "
          + "[KCERT_APPROVER_RETRY_MAX_DELAY]")
  String retryMaxDelay;

  @Option(names = "--leader-elect", arity = "1", paramLabel = "BOOL",
      defaultValue = "${env:KCERT_APPROVER_LEADER_ELECT:-true}",
      description = "elect a leader on a Lease so several replicas are safe (default: ${DEFAULT-VALUE}) "
          + "[KCERT_APPROVER_LEADER_ELECT]")
  boolean leaderElect;

  @Option(names = "--lease-namespace", paramLabel = "NAMESPACE",
      defaultValue = "${env:KCERT_APPROVER_LEASE_NAMESPACE:-${env:POD_NAMESPACE:-kcert-system}}",
      description = "namespace of the Lease; $POD_NAMESPACE when set (default: ${DEFAULT-VALUE}) "
          + "[KCERT_APPROVER_LEASE_NAMESPACE]")
  String leaseNamespace;

  @Option(names = "--lease-name", paramLabel = "NAME", defaultValue = "${env:KCERT_APPROVER_LEASE_NAME:-kcert-csr-approver}",
      description = "name of the Lease (default: ${DEFAULT-VALUE}) [KCERT_APPROVER_LEASE_NAME]")
  String leaseName;

  @Option(names = "--identity", paramLabel = "NAME", defaultValue = "${env:KCERT_APPROVER_IDENTITY:-${env:POD_NAME}}",
      description = "this replica's name in the Lease (default: $POD_NAME, else the host name) "
          + "[KCERT_APPROVER_IDENTITY]")
  String identity;

  @Option(names = "--lease-duration", paramLabel = "DURATION",
      defaultValue = "${env:KCERT_APPROVER_LEASE_DURATION:-15s}",
      description = "how long a Lease is held without renewal (default: ${DEFAULT-VALUE}) "
          + "[KCERT_APPROVER_LEASE_DURATION]")
  String leaseDuration;

  @Option(names = "--renew-deadline", paramLabel = "DURATION",
      defaultValue = "${env:KCERT_APPROVER_RENEW_DEADLINE:-10s}",
      description = "how long the leader tries to renew before it stops writing (default: ${DEFAULT-VALUE}) "
          + "[KCERT_APPROVER_RENEW_DEADLINE]")
  String renewDeadline;

  @Option(names = "--retry-period", paramLabel = "DURATION",
      defaultValue = "${env:KCERT_APPROVER_RETRY_PERIOD:-2s}",
      description = "how often replicas try to acquire or renew the Lease (default: ${DEFAULT-VALUE}) "
          + "[KCERT_APPROVER_RETRY_PERIOD]")
  String retryPeriod;

  @Option(names = "--http-address", paramLabel = "HOST",
      defaultValue = "${env:KCERT_APPROVER_HTTP_ADDRESS:-0.0.0.0}",
      description = "address of /healthz, /readyz and /metrics (default: ${DEFAULT-VALUE}) "
          + "[KCERT_APPROVER_HTTP_ADDRESS]")
  String httpAddress;

  @Option(names = "--http-port", paramLabel = "PORT", defaultValue = "${env:KCERT_APPROVER_HTTP_PORT:-8080}",
      description = "port of /healthz, /readyz and /metrics; -1 turns them off (default: ${DEFAULT-VALUE}) "
          + "[KCERT_APPROVER_HTTP_PORT]")
  int httpPort;

  /** Validates every option; bad input fails here with a message naming the option. */
  Settings settings() {
    List<Pattern> patterns = new ArrayList<>();
    for (String p : dnsPatterns) {
      if (!p.isBlank()) {
        patterns.add(option("--allowed-dns-pattern", () -> PolicyConfig.dnsPattern(p)));
      }
    }
    List<Cidr> ranges = new ArrayList<>();
    for (String r : ipRanges) {
      if (!r.isBlank()) {
        ranges.add(option("--allowed-ip-range", () -> Cidr.parse(r)));
      }
    }
    Set<String> curves = new LinkedHashSet<>();
    for (String c : ecdsaCurves) {
      String t = c.trim().toUpperCase(Locale.ROOT);
      if (!t.isEmpty() && !t.equals("NONE")) {
        curves.add(t);
      }
    }
    KeyPolicy keys = option("--min-rsa-bits/--ecdsa-curves", () -> new KeyPolicy(minRsaBits, curves, allowEd25519));
    PolicyConfig policy =
        option("policy", () -> new PolicyConfig(patterns, ranges, keys,
            duration("--max-expiration", maxExpiration), duration("--node-grace-period", nodeGracePeriod),
            ignoreNonNodeRequesters, floodMargin));
    String id = identity == null || identity.isBlank() ? hostName() : identity;
    return option("settings", () -> new Settings(policy, dryRun, workers, duration("--resync-period", resync),
        duration("--retry-base-delay", retryBaseDelay), duration("--retry-max-delay", retryMaxDelay),
        leaderElect, leaseNamespace, leaseName, id, duration("--lease-duration", leaseDuration),
        duration("--renew-deadline", renewDeadline), duration("--retry-period", retryPeriod),
        Settings.EVENT_NAMESPACE));
  }

  private static Duration duration(String option, String text) {
    return option(option, () -> Durations.parse(text));
  }

  private static <T> T option(String option, java.util.function.Supplier<T> parse) {
    try {
      return parse.get();
    } catch (IllegalArgumentException e) {
      String m = e.getMessage();
      throw new BadOption(m.startsWith("--") ? m : option + ": " + m);
    }
  }

  /** A configuration error, reported on one line before anything starts. */
  static final class BadOption extends RuntimeException {
    private static final long serialVersionUID = 1L;

    BadOption(String message) {
      super(message);
    }
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "kcert-csr-approver-" + ProcessHandle.current().pid();
    }
  }

  @Override
  public Integer call() throws Exception {
    CountDownLatch stopped = new CountDownLatch(1);
    Running running = start();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      running.close();
      stopped.countDown();
    }, "approver-shutdown"));
    stopped.await();
    return 0;
  }

  /** Validates the options, connects, and starts the approver. */
  Running start() throws IOException {
    Settings settings = settings();
    Config config;
    if (kubeconfig != null) {
      if (!Files.isRegularFile(kubeconfig)) {
        throw new BadOption("--kubeconfig: " + kubeconfig + ": no such file");
      }
      config = Config.fromKubeconfig(kubeconfig.toFile());
    } else {
      config = Config.autoConfigure(null);
    }
    KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build();
    Approver approver = new Approver(client, settings, Clock.systemUTC());
    try {
      approver.start(httpAddress, httpPort);
    } catch (IOException | RuntimeException e) {
      approver.close();
      client.close();
      throw e;
    }
    return new Running(client, approver);
  }

  /** A started approver and its client; closing stops both. */
  record Running(KubernetesClient client, Approver approver) implements AutoCloseable {
    @Override
    public void close() {
      approver.close();
      client.close();
    }
  }

  public static void main(String[] args) {
    System.exit(run(args));
  }

  static int run(String... args) {
    CommandLine cmd = new CommandLine(new Main());
    cmd.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          commandLine.getErr().println("kcert-csr-approver: " + (e instanceof BadOption ? "" : "error: ")
              + Log.oneLine(e));
          return e instanceof BadOption ? 2 : 1;
        });
    return cmd.execute(args);
  }

  /** The version from the jar manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"kcert-csr-approver " + (v == null ? "(development build)" : v)};
    }
  }
}
