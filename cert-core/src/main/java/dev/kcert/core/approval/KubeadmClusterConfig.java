package dev.kcert.core.approval;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * The parts of kubeadm's {@code ClusterConfiguration} (the {@code ClusterConfiguration} key of the
 * {@code kubeadm-config} ConfigMap in {@code kube-system}) that say which names and addresses
 * belong to the cluster itself.
 *
 * @param serviceSubnets {@code networking.serviceSubnet}, split at commas (dual stack); empty when
 *     absent
 * @param dnsDomain {@code networking.dnsDomain}; empty when absent
 * @param controlPlaneHost the host of {@code controlPlaneEndpoint} (port and IPv6 brackets
 *     removed); empty when absent
 * @param certSans {@code apiServer.certSANs}
 */
public record KubeadmClusterConfig(
    List<String> serviceSubnets,
    Optional<String> dnsDomain,
    Optional<String> controlPlaneHost,
    List<String> certSans) {

  /** The ConfigMap every kubeadm cluster has. */
  public static final String CONFIG_MAP_NAMESPACE = "kube-system";

  public static final String CONFIG_MAP_NAME = "kubeadm-config";
  public static final String DATA_KEY = "ClusterConfiguration";

  /** Longer documents are refused: the real one is a few hundred bytes. */
  static final int MAX_LENGTH = 1 << 20;

  public KubeadmClusterConfig {
    serviceSubnets = List.copyOf(serviceSubnets);
    certSans = List.copyOf(certSans);
  }

  /**
   * Reads the YAML document.
   *
   * @param source names the document in messages ({@code kube-system/kubeadm-config})
   * @throws IllegalArgumentException naming the source and what is wrong
   */
  public static KubeadmClusterConfig parse(String yaml, String source) {
    if (yaml == null || yaml.isBlank()) {
      throw new IllegalArgumentException(source + ": no " + DATA_KEY + " document");
    }
    if (yaml.length() > MAX_LENGTH) {
      throw new IllegalArgumentException(source + ": " + DATA_KEY + " is longer than " + MAX_LENGTH + " characters");
    }
    LoaderOptions options = new LoaderOptions();
    options.setAllowDuplicateKeys(false);
    options.setMaxAliasesForCollections(10);
    options.setCodePointLimit(MAX_LENGTH);
    Object root;
    try {
      root = new Yaml(new SafeConstructor(options)).load(yaml);
    } catch (YAMLException e) {
      String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().strip();
      int nl = m.indexOf('\n');
      throw new IllegalArgumentException(source + ": " + DATA_KEY + " is not valid YAML: "
          + (nl > 0 ? m.substring(0, nl) : m));
    }
    if (!(root instanceof Map<?, ?> top)) {
      throw new IllegalArgumentException(source + ": " + DATA_KEY + " is not a mapping");
    }
    Object kind = top.get("kind");
    if (kind != null && !DATA_KEY.equals(kind)) {
      throw new IllegalArgumentException(source + ": kind is " + kind + ", not " + DATA_KEY);
    }
    Map<?, ?> networking = map(top, "networking", source);
    List<String> subnets = new ArrayList<>();
    string(networking, "serviceSubnet", source + ": networking").ifPresent(s -> {
      for (String part : s.split(",")) {
        if (!part.isBlank()) {
          subnets.add(part.trim());
        }
      }
    });
    Optional<String> domain = string(networking, "dnsDomain", source + ": networking");
    Optional<String> endpoint = string(top, "controlPlaneEndpoint", source).map(KubeadmClusterConfig::host);
    Map<?, ?> apiServer = map(top, "apiServer", source);
    List<String> sans = new ArrayList<>();
    Object raw = apiServer.get("certSANs");
    if (raw instanceof List<?> list) {
      for (Object o : list) {
        if (o != null) {
          sans.add(o.toString().trim());
        }
      }
    } else if (raw != null) {
      throw new IllegalArgumentException(source + ": apiServer.certSANs is not a list");
    }
    return new KubeadmClusterConfig(subnets, domain, endpoint.filter(h -> !h.isEmpty()), sans);
  }

  /** {@code host}, {@code host:port}, {@code [v6]:port} or a bare IPv6 literal: the host. */
  public static String host(String endpoint) {
    String e = endpoint.trim();
    if (e.startsWith("[")) {
      int close = e.indexOf(']');
      return close > 0 ? e.substring(1, close) : e;
    }
    int colon = e.indexOf(':');
    if (colon >= 0 && colon == e.lastIndexOf(':')) {
      return e.substring(0, colon);
    }
    return e; // no port, or an IPv6 literal without brackets
  }

  private static Map<?, ?> map(Map<?, ?> parent, String key, String where) {
    Object v = parent.get(key);
    if (v == null) {
      return Map.of();
    }
    if (v instanceof Map<?, ?> m) {
      return m;
    }
    throw new IllegalArgumentException(where + ": " + key + " is not a mapping");
  }

  private static Optional<String> string(Map<?, ?> parent, String key, String where) {
    Object v = parent.get(key);
    if (v == null) {
      return Optional.empty();
    }
    if (v instanceof Map<?, ?> || v instanceof List<?>) {
      throw new IllegalArgumentException(where + ": " + key + " is not a string");
    }
    String s = v.toString().trim();
    return s.isEmpty() ? Optional.empty() : Optional.of(s);
  }
}
