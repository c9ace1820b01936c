package dev.kcert.core.config;

import dev.kcert.core.expiry.Durations;
import dev.kcert.core.keys.KeyAlgorithm;
import dev.kcert.core.model.KcertException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * Reads kubeadm's configuration files: a YAML stream of documents, each with {@code apiVersion}
 * and {@code kind}. {@code InitConfiguration}, {@code ClusterConfiguration} and {@code
 * JoinConfiguration} of {@code kubeadm.k8s.io/v1beta3} and {@code v1beta4} are read; documents of
 * other kinds ({@code KubeletConfiguration}, {@code KubeProxyConfiguration}, kubeadm's {@code
 * ResetConfiguration}, ...) are skipped, as kubeadm skips them for certificates. As kubeadm's
 * strict decoding does, a field its version does not define is an error naming the field; the
 * content of fields kcert does not interpret ({@code extraArgs}, {@code dns}, ...) is not checked.
 *
 * <p>What the input can influence: the validity and key type of new certificates, their SANs, the
 * server URL written into new kubeconfig files, the PKI folder read and written, and which
 * certificates are left out (external etcd). It cannot name a file kcert writes outside the PKI
 * and kubeconfig folders other than through {@code certificatesDir}, which flags override.
 */
public final class KubeadmConfigParser {
  static final String V1BETA3 = "kubeadm.k8s.io/v1beta3";
  static final String V1BETA4 = "kubeadm.k8s.io/v1beta4";

  private static final Set<String> META = Set.of("apiVersion", "kind");

  private static final Set<String> CLUSTER_V3 =
      Set.of(
          "etcd", "networking", "kubernetesVersion", "controlPlaneEndpoint", "apiServer",
          "controllerManager", "scheduler", "dns", "certificatesDir", "imageRepository",
          "featureGates", "clusterName");
  private static final Set<String> CLUSTER_V4_EXTRA =
      Set.of(
          "proxy", "encryptionAlgorithm", "certificateValidityPeriod",
          "caCertificateValidityPeriod");
  private static final Set<String> INIT_V3 =
      Set.of(
          "bootstrapTokens", "nodeRegistration", "localAPIEndpoint", "certificateKey",
          "skipPhases", "patches");
  private static final Set<String> INIT_V4_EXTRA = Set.of("dryRun", "timeouts");
  private static final Set<String> JOIN_V3 =
      Set.of("nodeRegistration", "caCertPath", "discovery", "controlPlane", "skipPhases", "patches");
  private static final Set<String> JOIN_V4_EXTRA = Set.of("dryRun", "timeouts");
  private static final Set<String> ETCD = Set.of("local", "external");
  private static final Set<String> ETCD_LOCAL_V3 =
      Set.of("imageRepository", "imageTag", "dataDir", "extraArgs", "serverCertSANs", "peerCertSANs");
  private static final Set<String> ETCD_LOCAL_V4_EXTRA = Set.of("extraEnvs");
  private static final Set<String> ETCD_EXTERNAL = Set.of("endpoints", "caFile", "certFile", "keyFile");
  private static final Set<String> NETWORKING = Set.of("serviceSubnet", "podSubnet", "dnsDomain");
  private static final Set<String> API_SERVER_V3 =
      Set.of("extraArgs", "extraVolumes", "certSANs", "timeoutForControlPlane");
  private static final Set<String> API_SERVER_V4 =
      Set.of("extraArgs", "extraVolumes", "extraEnvs", "certSANs");
  private static final Set<String> ENDPOINT = Set.of("advertiseAddress", "bindPort");
  private static final Set<String> NODE_REGISTRATION_V3 =
      Set.of(
          "name", "criSocket", "taints", "kubeletExtraArgs", "ignorePreflightErrors",
          "imagePullPolicy");
  private static final Set<String> NODE_REGISTRATION_V4_EXTRA = Set.of("imagePullSerial");
  private static final Set<String> JOIN_CONTROL_PLANE = Set.of("localAPIEndpoint", "certificateKey");

  private KubeadmConfigParser() {}

  /**
   * Parses a configuration file's text.
   *
   * @param source names the input in messages and in {@link ClusterConfig#source()}
   * @throws KcertException when the YAML is broken, a kubeadm document has an unknown field or
   *     version, or a value is of the wrong type
   */
  public static ClusterConfig parse(byte[] yaml, String source) {
    List<Object> docs = new ArrayList<>();
    try {
      LoaderOptions options = new LoaderOptions();
      options.setAllowDuplicateKeys(false);
      options.setMaxAliasesForCollections(10);
      for (Object doc : new Yaml(new SafeConstructor(options)).loadAll(
          new String(yaml, StandardCharsets.UTF_8))) {
        docs.add(doc);
      }
    } catch (YAMLException e) {
      throw new KcertException(source + ": not valid YAML: " + KcertException.oneLine(e), e);
    }
    Builder b = new Builder(source);
    boolean any = false;
    for (Object doc : docs) {
      if (doc == null) {
        continue;
      }
      Map<String, Object> m = map(doc, source, "document");
      String apiVersion = text(m.get("apiVersion"));
      String kind = text(m.get("kind"));
      if (kind.isEmpty()) {
        throw new KcertException(source + ": a document has no kind");
      }
      if (!apiVersion.startsWith("kubeadm.k8s.io/")) {
        continue; // KubeletConfiguration, KubeProxyConfiguration, ...
      }
      if (!kind.equals("ClusterConfiguration")
          && !kind.equals("InitConfiguration")
          && !kind.equals("JoinConfiguration")) {
        continue; // ResetConfiguration, UpgradeConfiguration: nothing about certificates
      }
      boolean v4 = apiVersion.equals(V1BETA4);
      if (!v4 && !apiVersion.equals(V1BETA3)) {
        throw new KcertException(
            source + ": " + kind + " of unsupported apiVersion \"" + apiVersion
                + "\" (expected " + V1BETA3 + " or " + V1BETA4 + ")");
      }
      any = true;
      String where = source + ": " + kind;
      switch (kind) {
        case "ClusterConfiguration" -> b.cluster(m, v4, where);
        case "InitConfiguration" -> b.init(m, v4, where);
        default -> b.join(m, v4, where);
      }
    }
    if (!any) {
      throw new KcertException(
          source + ": no InitConfiguration, ClusterConfiguration or JoinConfiguration of "
              + V1BETA3 + " or " + V1BETA4);
    }
    return b.build();
  }

  /** Collects fields across documents. */
  private static final class Builder {
    private final String source;
    private String certificatesDir;
    private Duration validity;
    private Duration caValidity;
    private KeyAlgorithm encryptionAlgorithm;
    private boolean externalEtcd;
    private List<String> serverSans;
    private List<String> peerSans;
    private List<String> apiSans;
    private String endpoint;
    private String dnsDomain;
    private String serviceSubnet;
    private String clusterName;
    private String advertiseAddress;
    private Integer bindPort;
    private String nodeName;

    Builder(String source) {
      this.source = source;
    }

    void cluster(Map<String, Object> m, boolean v4, String where) {
      strict(m, where, META, CLUSTER_V3, v4 ? CLUSTER_V4_EXTRA : Set.of());
      certificatesDir = optText(m, "certificatesDir", where);
      endpoint = optText(m, "controlPlaneEndpoint", where);
      clusterName = optText(m, "clusterName", where);
      String v = optText(m, "certificateValidityPeriod", where);
      validity = v == null ? null : duration(v, where + ".certificateValidityPeriod");
      String cv = optText(m, "caCertificateValidityPeriod", where);
      caValidity = cv == null ? null : duration(cv, where + ".caCertificateValidityPeriod");
      String alg = optText(m, "encryptionAlgorithm", where);
      if (alg != null) {
        encryptionAlgorithm = algorithm(alg, where + ".encryptionAlgorithm");
      }
      Map<String, Object> etcd = optMap(m, "etcd", where);
      if (etcd != null) {
        String w = where + ".etcd";
        strict(etcd, w, ETCD, Set.of(), Set.of());
        Map<String, Object> local = optMap(etcd, "local", w);
        Map<String, Object> external = optMap(etcd, "external", w);
        if (local != null && external != null) {
          throw new KcertException(w + ": local and external are mutually exclusive");
        }
        if (local != null) {
          strict(local, w + ".local", ETCD_LOCAL_V3, v4 ? ETCD_LOCAL_V4_EXTRA : Set.of(), Set.of());
          serverSans = optList(local, "serverCertSANs", w + ".local");
          peerSans = optList(local, "peerCertSANs", w + ".local");
        }
        if (external != null) {
          strict(external, w + ".external", ETCD_EXTERNAL, Set.of(), Set.of());
          externalEtcd = true;
        }
      }
      Map<String, Object> net = optMap(m, "networking", where);
      if (net != null) {
        strict(net, where + ".networking", NETWORKING, Set.of(), Set.of());
        dnsDomain = optText(net, "dnsDomain", where + ".networking");
        serviceSubnet = optText(net, "serviceSubnet", where + ".networking");
      }
      Map<String, Object> api = optMap(m, "apiServer", where);
      if (api != null) {
        strict(api, where + ".apiServer", v4 ? API_SERVER_V4 : API_SERVER_V3, Set.of(), Set.of());
        apiSans = optList(api, "certSANs", where + ".apiServer");
      }
    }

    void init(Map<String, Object> m, boolean v4, String where) {
      strict(m, where, META, INIT_V3, v4 ? INIT_V4_EXTRA : Set.of());
      endpoint(optMap(m, "localAPIEndpoint", where), where + ".localAPIEndpoint");
      nodeRegistration(m, v4, where);
    }

    void join(Map<String, Object> m, boolean v4, String where) {
      strict(m, where, META, JOIN_V3, v4 ? JOIN_V4_EXTRA : Set.of());
      Map<String, Object> cp = optMap(m, "controlPlane", where);
      if (cp != null) {
        strict(cp, where + ".controlPlane", JOIN_CONTROL_PLANE, Set.of(), Set.of());
        endpoint(
            optMap(cp, "localAPIEndpoint", where + ".controlPlane"),
            where + ".controlPlane.localAPIEndpoint");
      }
      nodeRegistration(m, v4, where);
    }

    private void endpoint(Map<String, Object> ep, String where) {
      if (ep == null) {
        return;
      }
      strict(ep, where, ENDPOINT, Set.of(), Set.of());
      advertiseAddress = optText(ep, "advertiseAddress", where);
      Object port = ep.get("bindPort");
      if (port != null) {
        if (!(port instanceof Integer p) || p < 1 || p > 65535) {
          throw new KcertException(where + ".bindPort: \"" + port + "\" is not a port (1-65535)");
        }
        bindPort = p;
      }
    }

    private void nodeRegistration(Map<String, Object> m, boolean v4, String where) {
      Map<String, Object> nr = optMap(m, "nodeRegistration", where);
      if (nr != null) {
        strict(
            nr,
            where + ".nodeRegistration",
            NODE_REGISTRATION_V3,
            v4 ? NODE_REGISTRATION_V4_EXTRA : Set.of(),
            Set.of());
        nodeName = optText(nr, "name", where + ".nodeRegistration");
      }
    }

    ClusterConfig build() {
      return new ClusterConfig(
          source, certificatesDir, validity, caValidity, encryptionAlgorithm, externalEtcd,
          serverSans, peerSans, apiSans, endpoint, dnsDomain, serviceSubnet, clusterName,
          advertiseAddress, bindPort, nodeName);
    }
  }

  private static void strict(
      Map<String, Object> m, String where, Set<String> a, Set<String> b, Set<String> c) {
    for (String key : m.keySet()) {
      if (!a.contains(key) && !b.contains(key) && !c.contains(key) && !META.contains(key)) {
        throw new KcertException(where + ": unknown field \"" + key + "\"");
      }
    }
  }

  private static Duration duration(String text, String where) {
    try {
      Duration d = Durations.parse(text);
      if (d.isZero() || d.isNegative()) {
        throw new KcertException(where + ": \"" + text + "\" must be positive");
      }
      return d;
    } catch (IllegalArgumentException | ArithmeticException e) {
      throw new KcertException(where + ": \"" + text + "\" is not a duration (e.g. 8760h)", e);
    }
  }

  /** kubeadm's names, exactly: RSA-2048, RSA-3072, RSA-4096, ECDSA-P256, ECDSA-P384. */
  private static KeyAlgorithm algorithm(String text, String where) {
    for (KeyAlgorithm a : KeyAlgorithm.values()) {
      if (a.displayName().equals(text)) {
        return a;
      }
    }
    throw new KcertException(
        where + ": unknown value \"" + text
            + "\" (expected RSA-2048, RSA-3072, RSA-4096, ECDSA-P256 or ECDSA-P384)");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object o, String where, String what) {
    if (!(o instanceof Map<?, ?> m)) {
      throw new KcertException(where + ": " + what + " is not a YAML mapping");
    }
    for (Object k : m.keySet()) {
      if (!(k instanceof String)) {
        throw new KcertException(where + ": " + what + " has a key that is not text: " + k);
      }
    }
    return (Map<String, Object>) m;
  }

  private static Map<String, Object> optMap(Map<String, Object> m, String field, String where) {
    Object v = m.get(field);
    return v == null ? null : map(v, where + "." + field, "the value");
  }

  private static String optText(Map<String, Object> m, String field, String where) {
    Object v = m.get(field);
    if (v == null) {
      return null;
    }
    if (v instanceof Map<?, ?> || v instanceof List<?>) {
      throw new KcertException(where + "." + field + ": expected a text value");
    }
    String s = v.toString().trim();
    return s.isEmpty() ? null : s;
  }

  private static List<String> optList(Map<String, Object> m, String field, String where) {
    Object v = m.get(field);
    if (v == null) {
      return null;
    }
    if (!(v instanceof List<?> list)) {
      throw new KcertException(where + "." + field + ": expected a list");
    }
    List<String> out = new ArrayList<>();
    for (Object o : list) {
      if (o == null || o instanceof Map<?, ?> || o instanceof List<?>) {
        throw new KcertException(where + "." + field + ": expected a list of text values");
      }
      out.add(o.toString().trim());
    }
    return out;
  }

  private static String text(Object o) {
    return o == null ? "" : o.toString();
  }
}
