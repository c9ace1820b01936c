package dev.kcert.approver;

import dev.kcert.core.approval.Cidr;
import dev.kcert.core.approval.KeyPolicy;
import dev.kcert.core.approval.PolicyConfig;
import dev.kcert.kube.ComponentCommand;
import dev.kcert.kube.ComponentCommand.BadOption;
import dev.kcert.kube.Durations;
import dev.kcert.kube.KubeClients;
import dev.kcert.kube.LogFormat;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.logging.Level;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The command line of the approver. Every option has an environment-variable equivalent. */
@Command(
    name = "kcert-csr-approver",
    mixinStandardHelpOptions = true,
    versionProvider = ComponentCommand.Version.class,
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
      defaultValue = "${env:KCERT_APPROVER_ALLOW_ED25519:-false}",
      description = "accept Ed25519 keys; kubelets make ECDSA P-256 or RSA keys (default: ${DEFAULT-VALUE}) "
          + "[KCERT_APPROVER_ALLOW_ED25519]")
  boolean allowEd25519;

  @Option(names = "--max-expiration", paramLabel = "DURATION",
      defaultValue = "${env:KCERT_APPROVER_MAX_EXPIRATION:-367d}",
      description = "deny spec.expirationSeconds above this; at most 367d (default: ${DEFAULT-VALUE}) "
          + "[KCERT_APPROVER_MAX_EXPIRATION]")
  String maxExpiration;

  @Option(names = "--node-dns-pattern", paramLabel = "REGEX",
      defaultValue = "${env:KCERT_APPROVER_NODE_DNS_PATTERN}",
      description = "every DNS SAN must also match this regex (whole name, case-insensitive), whatever the "
          + "node's own addresses say [KCERT_APPROVER_NODE_DNS_PATTERN]")
  String nodeDnsPattern;

  @Option(names = "--node-ip-ranges", paramLabel = "CIDR", split = ",",
      defaultValue = "${env:KCERT_APPROVER_NODE_IP_RANGES}",
      description = "every IP SAN must also lie in one of these CIDRs, whatever the node's own addresses say; "
          + "separated by commas [KCERT_APPROVER_NODE_IP_RANGES]")
  List<String> nodeIpRanges = new ArrayList<>();

  @Option(names = "--verify-dns", arity = "0..1", paramLabel = "BOOL",
      defaultValue = "${env:KCERT_APPROVER_VERIFY_DNS:-false}",
      description = "every DNS SAN must resolve to one of the node's InternalIP or ExternalIP addresses; a "
          + "lookup that fails or times out is retried, never approved (default: ${DEFAULT-VALUE}) "
          + "[KCERT_APPROVER_VERIFY_DNS]")
  boolean verifyDns;

  @Option(names = "--dns-timeout", paramLabel = "DURATION", defaultValue = "${env:KCERT_APPROVER_DNS_TIMEOUT:-2s}",
      description = "longest wait for one DNS lookup with --verify-dns (default: ${DEFAULT-VALUE}) "
          + "[KCERT_APPROVER_DNS_TIMEOUT]")
  String dnsTimeout;

  @Option(names = "--dns-cache-ttl", paramLabel = "DURATION",
      defaultValue = "${env:KCERT_APPROVER_DNS_CACHE_TTL:-30s}",
      description = "how long a DNS answer is reused with --verify-dns; failures for 5s (default: ${DEFAULT-VALUE}) "
          + "[KCERT_APPROVER_DNS_CACHE_TTL]")
  String dnsCacheTtl;

  @Option(names = "--max-sans", paramLabel = "N", defaultValue = "${env:KCERT_APPROVER_MAX_SANS:-10}",
      description = "deny requests with more DNS and IP SANs than this (default: ${DEFAULT-VALUE}) "
          + "[KCERT_APPROVER_MAX_SANS]")
  int maxSans;

  @Option(names = "--skip-deny", arity = "0..1", paramLabel = "BOOL",
      defaultValue = "${env:KCERT_APPROVER_SKIP_DENY:-false}",
      description = "leave requests that would be denied pending, with a Warning Event, instead of denying them "
          + "(for requests managed elsewhere) (default: ${DEFAULT-VALUE}) [KCERT_APPROVER_SKIP_DENY]")
  boolean skipDeny;

  @Option(names = "--service-cidr", paramLabel = "CIDR", split = ",",
      defaultValue = "${env:KCERT_APPROVER_SERVICE_CIDR}",
      description = "the cluster's service CIDRs, never approved; default: networking.serviceSubnet of the "
          + "kube-system/kubeadm-config ConfigMap, else 10.96.0.0/12 [KCERT_APPROVER_SERVICE_CIDR]")
  List<String> serviceCidrs = new ArrayList<>();

  @Option(names = "--cluster-domain", paramLabel = "DOMAIN", defaultValue = "${env:KCERT_APPROVER_CLUSTER_DOMAIN}",
      description = "the cluster's DNS domain, never approved; default: networking.dnsDomain of kubeadm-config, "
          + "else cluster.local [KCERT_APPROVER_CLUSTER_DOMAIN]")
  String clusterDomain;

  @Option(names = "--control-plane-endpoint", paramLabel = "HOST[:PORT]",
      defaultValue = "${env:KCERT_APPROVER_CONTROL_PLANE_ENDPOINT}",
      description = "the API server's endpoint, never approved; default: controlPlaneEndpoint of kubeadm-config "
          + "[KCERT_APPROVER_CONTROL_PLANE_ENDPOINT]")
  String controlPlaneEndpoint;

  @Option(names = "--api-server-cert-sans", paramLabel = "SAN", split = ",",
      defaultValue = "${env:KCERT_APPROVER_API_SERVER_CERT_SANS}",
      description = "the API server's extra SANs, never approved; default: apiServer.certSANs of kubeadm-config "
          + "[KCERT_APPROVER_API_SERVER_CERT_SANS]")
  List<String> apiServerCertSans = new ArrayList<>();

  @Option(names = "--read-kubeadm-config", arity = "1", paramLabel = "BOOL",
      defaultValue = "${env:KCERT_APPROVER_READ_KUBEADM_CONFIG:-true}",
      description = "read and watch the kube-system/kubeadm-config ConfigMap for what the four flags above do "
          + "not give (default: ${DEFAULT-VALUE}) [KCERT_APPROVER_READ_KUBEADM_CONFIG]")
  boolean readKubeadmConfig;

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

  @Option(names = "--node-request-limit", paramLabel = "N",
      defaultValue = "${env:KCERT_APPROVER_NODE_REQUEST_LIMIT:-120}",
      description = "hold back a node's approvals while it has more than N pending or approved requests created "
          + "within --flood-window; other nodes are unaffected (default: ${DEFAULT-VALUE}) "
          + "[KCERT_APPROVER_NODE_REQUEST_LIMIT]")
  int nodeRequestLimit;

  @Option(names = "--flood-window", paramLabel = "DURATION", defaultValue = "${env:KCERT_APPROVER_FLOOD_WINDOW:-24h}",
      description = "the sliding window of --node-request-limit (default: ${DEFAULT-VALUE}) "
          + "[KCERT_APPROVER_FLOOD_WINDOW]")
  String floodWindow;

  @Option(names = "--log-format", paramLabel = "FORMAT", defaultValue = "${env:KCERT_APPROVER_LOG_FORMAT:-text}",
      description = "text (key=value) or json (one object per line) (default: ${DEFAULT-VALUE}) "
          + "[KCERT_APPROVER_LOG_FORMAT]")
  String logFormat;

  @Option(names = "--log-level", paramLabel = "LEVEL", defaultValue = "${env:KCERT_APPROVER_LOG_LEVEL:-info}",
      description = "error, warn, info or debug (default: ${DEFAULT-VALUE}) [KCERT_APPROVER_LOG_LEVEL]")
  String logLevel;

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

  @Option(names = "--identity", paramLabel = "NAME", defaultValue = "${env:KCERT_APPROVER_IDENTITY}",
      description = "this replica's name in the Lease (default: $POD_NAME, else $HOSTNAME, else the host "
          + "name, followed by _ and a random UUID, unique per process) [KCERT_APPROVER_IDENTITY]")
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
    Optional<Pattern> nodePattern = nodeDnsPattern == null || nodeDnsPattern.isBlank()
        ? Optional.empty()
        : Optional.of(option("--node-dns-pattern", () -> PolicyConfig.dnsPattern(nodeDnsPattern)));
    List<Cidr> nodeRanges = cidrs("--node-ip-ranges", nodeIpRanges);
    PolicyConfig policy =
        option("policy", () -> PolicyConfig.defaults()
            .withAllowed(patterns, ranges)
            .withKeys(keys)
            .withTimes(duration("--max-expiration", maxExpiration), duration("--node-grace-period", nodeGracePeriod))
            .withIgnoreNonNodeRequesters(ignoreNonNodeRequesters)
            .withFloodGuard(nodeRequestLimit, duration("--flood-window", floodWindow))
            .withRestrictions(nodePattern, nodeRanges, verifyDns, maxSans));
    List<Cidr> services = cidrs("--service-cidr", serviceCidrs);
    List<String> sans = apiServerCertSans.stream().map(String::trim).filter(x -> !x.isEmpty()).toList();
    Settings.NameFlags names = new Settings.NameFlags(
        services.isEmpty() ? Optional.empty() : Optional.of(services),
        Optional.ofNullable(clusterDomain).map(String::trim).filter(x -> !x.isEmpty()),
        Optional.ofNullable(controlPlaneEndpoint).map(String::trim).filter(x -> !x.isEmpty()),
        sans.isEmpty() ? Optional.empty() : Optional.of(sans),
        readKubeadmConfig);
    String id = identity == null || identity.isBlank() ? uniqueIdentity(System.getenv()) : identity.trim();
    logStyle();
    logLevel();
    return option("settings", () -> new Settings(policy, dryRun, workers, duration("--resync-period", resync),
        duration("--retry-base-delay", retryBaseDelay), duration("--retry-max-delay", retryMaxDelay),
        leaderElect, leaseNamespace, leaseName, id, duration("--lease-duration", leaseDuration),
        duration("--renew-deadline", renewDeadline), duration("--retry-period", retryPeriod),
        Settings.EVENT_NAMESPACE, skipDeny, names, duration("--dns-timeout", dnsTimeout),
        duration("--dns-cache-ttl", dnsCacheTtl)));
  }

  private static List<Cidr> cidrs(String option, List<String> texts) {
    List<Cidr> out = new ArrayList<>();
    for (String r : texts) {
      if (!r.isBlank()) {
        out.add(option(option, () -> Cidr.parse(r)));
      }
    }
    return out;
  }

  /**
   * {@code $POD_NAME}, else {@code $HOSTNAME}, else the host name, then {@code _} and a random UUID
   * (client-go's form): two replicas never share an identity, even outside a cluster on one host.
   */
  static String uniqueIdentity(java.util.Map<String, String> env) {
    String base = env.getOrDefault("POD_NAME", "");
    if (base.isBlank()) {
      base = env.getOrDefault("HOSTNAME", "");
    }
    if (base.isBlank()) {
      base = hostName();
    }
    return base.trim() + "_" + UUID.randomUUID();
  }

  LogFormat.Style logStyle() {
    return switch (logFormat == null ? "" : logFormat.trim().toLowerCase(Locale.ROOT)) {
      case "text" -> LogFormat.Style.TEXT;
      case "json" -> LogFormat.Style.JSON;
      default -> throw new BadOption("--log-format: expected text or json, not '" + logFormat + "'");
    };
  }

  Level logLevel() {
    return switch (logLevel == null ? "" : logLevel.trim().toLowerCase(Locale.ROOT)) {
      case "error" -> Level.SEVERE;
      case "warn", "warning" -> Level.WARNING;
      case "info" -> Level.INFO;
      case "debug" -> Level.FINE;
      default -> throw new BadOption("--log-level: expected error, warn, info or debug, not '" + logLevel + "'");
    };
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
    LogFormat.install(logStyle(), logLevel());
    KubernetesClient client = option("--kubeconfig", () -> KubeClients.connect(kubeconfig));
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
    return ComponentCommand.execute(new Main(), new java.io.PrintWriter(System.err, true), args);
  }
}
