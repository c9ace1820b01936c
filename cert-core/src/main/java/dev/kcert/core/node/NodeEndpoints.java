package dev.kcert.core.node;

import dev.kcert.core.model.KcertException;
import dev.kcert.core.pem.Pem;
import dev.kcert.core.pki.PkiLayout;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * Where each component of this node serves TLS and which certificate file it serves, read from the
 * static pod manifests ({@code <kubeconfig-dir>/manifests}) and the kubelet's configuration file,
 * with kubeadm's defaults for what they do not say: kube-apiserver :6443, etcd :2379 (clients) and
 * :2380 (peers), kube-controller-manager :10257, kube-scheduler :10259, kubelet :10250.
 *
 * <p>When the manifests folder exists, only the components that have a manifest in it are listed
 * (a node with external etcd has no {@code etcd.yaml}); when it does not, every component is listed
 * with kubeadm's defaults. A manifest that cannot be read is a problem, not a crash: the component
 * is left out and the problem names the file.
 */
public final class NodeEndpoints {
  /** The default kubelet configuration file. */
  public static final String KUBELET_CONFIG = "/var/lib/kubelet/config.yaml";

  /** The endpoints found, in restart order, and the files that could not be read. */
  public record Result(List<ServingEndpoint> endpoints, List<String> problems) {
    public List<ServingEndpoint> of(Component c) {
      return endpoints.stream().filter(e -> e.component() == c).toList();
    }
  }

  private NodeEndpoints() {}

  /** The manifests folder of a kubeconfig folder. */
  public static Path manifestsDir(Path kubeconfigDir) {
    return kubeconfigDir.resolve("manifests");
  }

  public static Path manifestFile(Path kubeconfigDir, Component c) {
    return manifestsDir(kubeconfigDir).resolve(c.manifestFileName());
  }

  /**
   * Reads the endpoints of this node.
   *
   * @param kubeletConfig the kubelet's configuration file; kubeadm's defaults when it is absent
   */
  public static Result read(PkiLayout layout, Path kubeletConfig) {
    return read(layout, kubeletConfig, EnumSet.allOf(Component.class));
  }

  /** Reads the endpoints of some components only; the others' files are not read at all. */
  public static Result read(PkiLayout layout, Path kubeletConfig, Set<Component> only) {
    List<ServingEndpoint> out = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    Path manifests = manifestsDir(layout.kubeconfigDir());
    boolean haveManifests = Files.isDirectory(manifests);
    for (Component c : Component.values()) {
      if (!c.isStaticPod() || !only.contains(c)) {
        continue;
      }
      Path file = manifests.resolve(c.manifestFileName());
      if (!haveManifests) {
        out.addAll(defaults(c, layout));
        continue;
      }
      if (!Files.exists(file)) {
        continue;
      }
      try {
        out.addAll(fromManifest(c, StaticPodManifest.read(file)));
      } catch (KcertException e) {
        problems.add(e.getMessage());
      }
    }
    if (only.contains(Component.KUBELET)) {
      try {
        out.add(kubelet(layout, kubeletConfig));
      } catch (KcertException e) {
        problems.add(e.getMessage());
      }
    }
    return new Result(List.copyOf(out), List.copyOf(problems));
  }

  /** The ports of a component with kubeadm's defaults. */
  public static List<ServingEndpoint> defaults(Component c, PkiLayout layout) {
    Path pki = layout.certDir();
    return switch (c) {
      case ETCD ->
          List.of(
              new ServingEndpoint(c, LOOPBACK, 2379, pki.resolve("etcd/server.crt"), "/health", null),
              new ServingEndpoint(c, LOOPBACK, 2380, pki.resolve("etcd/peer.crt"), null, null));
      case KUBE_APISERVER ->
          List.of(new ServingEndpoint(c, LOOPBACK, 6443, pki.resolve("apiserver.crt"), "/livez", null));
      case KUBE_CONTROLLER_MANAGER ->
          List.of(new ServingEndpoint(c, LOOPBACK, 10257, null, "/healthz", null));
      case KUBE_SCHEDULER -> List.of(new ServingEndpoint(c, LOOPBACK, 10259, null, "/healthz", null));
      case KUBELET -> throw new IllegalArgumentException("the kubelet has no static pod");
    };
  }

  /** The ports of a component as its manifest configures them. */
  public static List<ServingEndpoint> fromManifest(Component c, StaticPodManifest m) {
    Path src = m.file();
    return switch (c) {
      case ETCD -> {
        Url client =
            pickUrl(m.flag("listen-client-urls").orElse("https://127.0.0.1:2379"), 2379, src);
        Url peer = pickUrl(m.flag("listen-peer-urls").orElse("https://127.0.0.1:2380"), 2380, src);
        yield List.of(
            new ServingEndpoint(c, client.host, client.port, path(m, "cert-file"), "/health", src),
            new ServingEndpoint(c, peer.host, peer.port, path(m, "peer-cert-file"), null, src));
      }
      case KUBE_APISERVER -> List.of(secureServing(c, m, 6443, "/livez"));
      case KUBE_CONTROLLER_MANAGER -> List.of(secureServing(c, m, 10257, "/healthz"));
      case KUBE_SCHEDULER -> List.of(secureServing(c, m, 10259, "/healthz"));
      case KUBELET -> throw new IllegalArgumentException("the kubelet has no static pod");
    };
  }

  private static ServingEndpoint secureServing(
      Component c, StaticPodManifest m, int defaultPort, String health) {
    int port = port(m.flag("secure-port").orElse(Integer.toString(defaultPort)), m.file());
    String host = connectHost(m.flag("bind-address").orElse(""));
    return new ServingEndpoint(c, host, port, path(m, "tls-cert-file"), health, m.file());
  }

  /**
   * The kubelet's serving port and certificate: {@code address}, {@code port} and {@code
   * tlsCertFile} of its configuration; without {@code tlsCertFile}, {@code
   * kubelet-server-current.pem} when {@code serverTLSBootstrap} is on, else the self-signed {@code
   * kubelet.crt}.
   */
  static ServingEndpoint kubelet(PkiLayout layout, Path config) {
    Map<?, ?> cfg = Map.of();
    Path source = null;
    if (config != null && Files.exists(config)) {
      byte[] text = Pem.readFile(config);
      try {
        LoaderOptions o = new LoaderOptions();
        o.setMaxAliasesForCollections(50);
        Object node = new Yaml(new SafeConstructor(o)).load(new String(text, StandardCharsets.UTF_8));
        if (!(node instanceof Map<?, ?> map)) {
          throw KcertException.about(config, "not a valid kubelet configuration: not a mapping");
        }
        cfg = map;
      } catch (YAMLException e) {
        throw KcertException.about(
            config, "not a valid kubelet configuration: " + KcertException.oneLine(e), e);
      }
      source = config;
    }
    int port =
        cfg.get("port") == null ? 10250 : port(String.valueOf(cfg.get("port")), config);
    String host = connectHost(cfg.get("address") == null ? "" : String.valueOf(cfg.get("address")));
    Path cert;
    if (cfg.get("tlsCertFile") != null && !String.valueOf(cfg.get("tlsCertFile")).isBlank()) {
      cert = Path.of(String.valueOf(cfg.get("tlsCertFile")));
    } else if (Boolean.TRUE.equals(cfg.get("serverTLSBootstrap"))) {
      cert = layout.kubeletDir().resolve("kubelet-server-current.pem");
    } else {
      cert = layout.kubeletDir().resolve("kubelet.crt");
    }
    return new ServingEndpoint(Component.KUBELET, host, port, cert, "/healthz", source);
  }

  private static final String LOOPBACK = "127.0.0.1";

  /** Where to connect for a bind address: loopback when the component listens everywhere. */
  static String connectHost(String bind) {
    String b = bind.trim();
    if (b.isEmpty() || b.equals("0.0.0.0")) {
      return LOOPBACK;
    }
    if (b.equals("::") || b.equals("[::]")) {
      return "::1";
    }
    return b.startsWith("[") && b.endsWith("]") ? b.substring(1, b.length() - 1) : b;
  }

  private record Url(String host, int port) {}

  /** The loopback URL of a comma-separated list when there is one, else the first. */
  private static Url pickUrl(String list, int defaultPort, Path src) {
    List<Url> urls = new ArrayList<>();
    for (String s : list.split(",")) {
      if (s.isBlank()) {
        continue;
      }
      URI u;
      try {
        u = URI.create(s.trim());
      } catch (IllegalArgumentException e) {
        throw KcertException.about(src, "not a valid URL: " + s.trim());
      }
      if (u.getHost() == null) {
        throw KcertException.about(src, "not a valid URL: " + s.trim());
      }
      String host = connectHost(u.getHost());
      urls.add(new Url(host, u.getPort() < 0 ? defaultPort : u.getPort()));
    }
    if (urls.isEmpty()) {
      throw KcertException.about(src, "has an empty URL list");
    }
    Optional<Url> loopback =
        urls.stream().filter(u -> u.host.startsWith("127.") || u.host.equals("::1")).findFirst();
    return loopback.orElse(urls.get(0));
  }

  private static int port(String text, Path src) {
    try {
      int p = Integer.parseInt(text.trim());
      if (p > 0 && p < 65536) {
        return p;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw KcertException.about(src, "not a valid port: " + text);
  }

  private static Path path(StaticPodManifest m, String flag) {
    return m.flag(flag).filter(s -> !s.isBlank()).map(Path::of).orElse(null);
  }
}
