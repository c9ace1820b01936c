package dev.kcert.core.rotation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kcert.core.kubeapi.ApiClient;
import dev.kcert.core.model.KcertException;
import dev.kcert.core.pem.Certificates;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * The cluster side of a CA rotation: the copies of the CA that live in the API server rather than
 * on a node's disk. It is done once per phase, from any control-plane node, through {@link
 * ApiClient}.
 *
 * <ul>
 *   <li>{@code kube-public/cluster-info} (kubeadm's discovery kubeconfig): its clusters'
 *       {@code certificate-authority-data}; written by kcert ({@code ca} only).
 *   <li>{@code kube-root-ca.crt} ConfigMaps in every namespace and legacy service-account token
 *       Secrets ({@code kubernetes.io/service-account-token}, {@code data.ca.crt}): published by
 *       kube-controller-manager from its {@code --root-ca-file}; kcert only reads them and lists
 *       the namespaces still behind ({@code ca} only).
 *   <li>{@code kube-system/extension-apiserver-authentication}, keys {@code client-ca-file}
 *       ({@code ca}) and {@code requestheader-client-ca-file} ({@code front-proxy-ca}): published
 *       by every kube-apiserver from its {@code --client-ca-file} and {@code
 *       --requestheader-client-ca-file}, merged with what the ConfigMap holds (a CA leaves it only
 *       once expired); extension API servers read it. kcert only reads it: from {@code trust-both}
 *       on it must hold the new CA, which it does once the API servers restarted with the bundle.
 *   <li>{@code caBundle}s of MutatingWebhookConfigurations, ValidatingWebhookConfigurations,
 *       APIServices and CRD conversion webhooks: those that hold the CA being rotated get the new
 *       one beside it at {@code trust-both}, lose the old one at {@code trust-new}; a bundle that
 *       holds neither is left alone.
 * </ul>
 *
 * <p>What the input can influence: everything read here is written by whoever may write those
 * objects. A bundle is parsed as certificates and judged by equality with the old and new CA
 * only; certificates in it that are neither are kept in place, untouched. Only the CA fields named
 * above are changed; every object is written back whole with its resourceVersion, so a concurrent
 * change makes the write fail (HTTP 409) instead of being overwritten. Names and namespaces are
 * only shown.
 */
public final class ClusterTrust {
  /** The kinds of cluster place, as rows name them. */
  public static final String CLUSTER_INFO = "cluster-info";
  public static final String ROOT_CA_CONFIGMAP = "kube-root-ca.crt";
  public static final String TOKEN_SECRET = "sa-token-secret";
  public static final String MUTATING = "mutating-webhook";
  public static final String VALIDATING = "validating-webhook";
  public static final String API_SERVICE = "apiservice";
  public static final String CRD = "crd-conversion";
  public static final String EXTENSION_AUTH = "extension-apiserver-authentication";

  static final String CLUSTER_INFO_PATH = "/api/v1/namespaces/kube-public/configmaps/cluster-info";
  static final String ROOT_CA_PATH =
      "/api/v1/configmaps?fieldSelector=metadata.name%3Dkube-root-ca.crt";
  static final String TOKEN_SECRETS_PATH =
      "/api/v1/secrets?fieldSelector=type%3Dkubernetes.io%2Fservice-account-token";
  static final String MUTATING_PATH =
      "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations";
  static final String VALIDATING_PATH =
      "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations";
  static final String API_SERVICES_PATH = "/apis/apiregistration.k8s.io/v1/apiservices";
  static final String CRDS_PATH = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
  static final String EXTENSION_AUTH_PATH =
      "/api/v1/namespaces/kube-system/configmaps/extension-apiserver-authentication";

  /** The key of {@code extension-apiserver-authentication} that holds each CA; none for etcd-ca. */
  static final Map<String, String> EXTENSION_AUTH_KEYS =
      Map.of("ca", "client-ca-file", "front-proxy-ca", "requestheader-client-ca-file");

  private ClusterTrust() {}

  /** The old and new CA of a rotation; {@code neu} is null before {@code prepare}. */
  public record CaPair(X509Certificate old, X509Certificate neu) {}

  /** The CAs of {@code r}, read from its folder (before an abort removes it). */
  public static CaPair cas(Rotation r) {
    Rotation.Cas c = r.cas();
    return new CaPair(c.old(), c.neu());
  }

  /**
   * One cluster place.
   *
   * @param kind one of the kind constants of this class
   * @param namespace the namespace; empty for cluster-scoped objects
   * @param name the object's name, and for webhooks {@code /} and the webhook's name
   * @param trust what it holds, relative to the old and new CA
   * @param detail the order of the bundle ({@code old,new}), or why it is unreadable
   */
  public record Entry(String kind, String namespace, String name, Place.Trust trust, String detail) {
    /** {@code namespace/name}, or the name alone. */
    public String where() {
      return namespace.isEmpty() ? name : namespace + "/" + name;
    }
  }

  /**
   * A change made (or, in a dry run, to be made) to one object.
   *
   * @param entry the place before the change
   * @param to the order of the bundle after it
   */
  public record Update(Entry entry, String to) {}

  /** Whether a CA's rotation has places published from the kubeadm cluster CA. */
  static boolean isClusterCa(String caName) {
    return caName.equals("ca");
  }

  // ---------------------------------------------------------------- inventory

  /** Every cluster place of the CA: what it holds now. */
  public static List<Entry> inventory(ApiClient api, String caName, CaPair cas)
      throws ApiClient.Unreachable {
    List<Entry> rows = new ArrayList<>();
    for (Target t : targets(api, caName, cas)) {
      rows.add(t.entry);
    }
    String authKey = EXTENSION_AUTH_KEYS.get(caName);
    if (authKey != null) {
      JsonNode cm = api.getJson(EXTENSION_AUTH_PATH);
      if (cm == null) {
        rows.add(new Entry(EXTENSION_AUTH, "kube-system", "extension-apiserver-authentication/"
            + authKey, Place.Trust.MISSING, "no such ConfigMap"));
      } else {
        rows.add(entry(EXTENSION_AUTH, cm, "extension-apiserver-authentication/" + authKey,
            text(cm.path("data").path(authKey)), cas));
      }
    }
    if (isClusterCa(caName)) {
      JsonNode cms = list(api, ROOT_CA_PATH);
      for (JsonNode cm : cms.path("items")) {
        if (!"kube-root-ca.crt".equals(cm.path("metadata").path("name").asText())) {
          continue; // a server that ignores the field selector
        }
        rows.add(entry(ROOT_CA_CONFIGMAP, cm, cm.path("metadata").path("name").asText(),
            text(cm.path("data").path("ca.crt")), cas));
      }
      JsonNode secrets = list(api, TOKEN_SECRETS_PATH);
      for (JsonNode s : secrets.path("items")) {
        if (!"kubernetes.io/service-account-token".equals(s.path("type").asText())) {
          continue;
        }
        rows.add(entry(TOKEN_SECRET, s, s.path("metadata").path("name").asText(),
            decoded(s.path("data").path("ca.crt")), cas));
      }
    }
    return rows;
  }

  /**
   * The cluster places that do not hold what they hold once {@code phase} is done everywhere, as
   * {@code kind namespace/name (holds ...)}: the places kcert writes that hold the CA, and every
   * {@code kube-root-ca.crt} and token Secret, which kube-controller-manager re-publishes once it
   * restarts with the phase's {@code --root-ca-file}.
   */
  public static List<String> behind(List<Entry> entries, Phase phase) {
    Place.Trust expected = switch (phase) {
      case NONE, PREPARED -> Place.Trust.OLD_ONLY;
      case TRUST_BOTH, REISSUED -> Place.Trust.BOTH;
      case TRUST_NEW, FINISHED -> Place.Trust.NEW_ONLY;
    };
    List<String> out = new ArrayList<>();
    for (Entry e : entries) {
      if (e.kind().equals(EXTENSION_AUTH)) {
        if (!extensionAuthHolds(e, phase)) {
          out.add(e.kind() + " " + e.where() + " (holds " + e.detail() + ")");
        }
        continue;
      }
      if ((published(e) || e.trust() != Place.Trust.OTHER) && e.trust() != expected) {
        out.add(e.kind() + " " + e.where() + " (holds " + e.detail() + ")");
      }
    }
    return out;
  }

  /**
   * Whether {@code extension-apiserver-authentication} holds what {@code phase} needs: the old CA
   * before {@code trust-both}, the new one from then on. The API servers merge what they publish
   * with what it holds, so the other CA may stay beside it; that is not behind.
   */
  static boolean extensionAuthHolds(Entry e, Phase phase) {
    boolean newNeeded = phase.ordinal() >= Phase.TRUST_BOTH.ordinal();
    return switch (e.trust()) {
      case BOTH -> true;
      case OLD_ONLY -> !newNeeded;
      case NEW_ONLY -> newNeeded;
      case MISSING -> true; // nothing to judge: the row says it is missing
      default -> false;
    };
  }

  /**
   * Whether every kube-apiserver static pod ({@code kube-system/kube-apiserver-<node>}) started at
   * or after {@code since} (judged as {@link Workloads} judges pods); empty when none is listed.
   */
  public static java.util.Optional<Boolean> apiServersStartedSince(ApiClient api, java.time.Instant since)
      throws ApiClient.Unreachable {
    JsonNode pods = list(api, "/api/v1/namespaces/kube-system/pods");
    boolean any = false;
    boolean all = true;
    for (JsonNode pod : pods.path("items")) {
      if (!pod.path("metadata").path("name").asText("").startsWith("kube-apiserver-")) {
        continue;
      }
      any = true;
      java.time.Instant started = Workloads.started(pod);
      if (started == null || started.isBefore(since)) {
        all = false;
      }
    }
    return any ? java.util.Optional.of(all) : java.util.Optional.empty();
  }

  /**
   * The {@code extension-apiserver-authentication} row that holds the old CA alone although the
   * phase needs the new one: the API servers that published it run with the old bundle.
   */
  public static java.util.Optional<Entry> extensionAuthOldOnly(List<Entry> entries, Phase phase) {
    return entries.stream()
        .filter(e -> e.kind().equals(EXTENSION_AUTH) && e.trust() == Place.Trust.OLD_ONLY
            && !extensionAuthHolds(e, phase))
        .findFirst();
  }

  private static boolean published(Entry e) {
    return e.kind().equals(ROOT_CA_CONFIGMAP) || e.kind().equals(TOKEN_SECRET);
  }

  /** The namespaces of the published places {@link #behind} lists, sorted, without repeats. */
  public static List<String> namespacesBehind(List<Entry> entries, Phase phase) {
    TreeSet<String> ns = new TreeSet<>();
    for (Entry e : entries) {
      if (published(e) && !behind(List.of(e), phase).isEmpty()) {
        ns.add(e.namespace());
      }
    }
    return List.copyOf(ns);
  }

  // ---------------------------------------------------------------- updates

  /**
   * Brings every writable cluster place that holds the old or the new CA to what {@code phase}
   * wants: both CAs for {@code trust-both} and {@code reissue}; the new CA alone for {@code
   * trust-new} and {@code finish}; the old CA alone for {@link Phase#NONE} (abort). Certificates
   * that are neither CA stay where they are. Idempotent: a place that holds it already is not
   * written. Objects are written one at a time; a failure stops at that object with one line, and
   * running the phase again goes on from there.
   *
   * @return the changes made (or with {@code dryRun}, to be made), in order
   */
  public static List<Update> apply(ApiClient api, String caName, CaPair cas, Phase phase,
      boolean dryRun) throws ApiClient.Unreachable {
    if (cas.neu() == null) {
      return List.of();
    }
    List<X509Certificate> wanted = wanted(phase, cas);
    List<Update> done = new ArrayList<>();
    // one object may hold several bundles (a configuration's webhooks): set them all, write once
    Map<String, ObjectNode> objects = new java.util.LinkedHashMap<>();
    Map<String, String> shown = new java.util.HashMap<>();
    for (Target t : targets(api, caName, cas)) {
      if (t.bundle == null) {
        continue; // unreadable: shown by the inventory, never rewritten
      }
      List<X509Certificate> after = rewrite(t.bundle, wanted, cas);
      if (after.equals(t.bundle)) {
        continue;
      }
      t.setter.set(pem(after));
      objects.put(t.path, t.object);
      shown.putIfAbsent(t.path, t.entry.kind() + " " + t.entry.where());
      done.add(new Update(t.entry, order(after, cas)));
    }
    if (!dryRun) {
      for (Map.Entry<String, ObjectNode> o : objects.entrySet()) {
        ApiClient.Response r = api.put(o.getKey(), o.getValue());
        if (r.status() == 409) {
          throw new KcertException(shown.get(o.getKey()) + ": changed on the API server while"
              + " kcert updated it; it was not written, run the command again");
        }
        api.check(r, "PUT", o.getKey());
      }
    }
    return done;
  }

  /** The CA certificates a bundle holding either CA holds in {@code phase}, in order. */
  static List<X509Certificate> wanted(Phase phase, CaPair cas) {
    return phase == Phase.NONE ? List.of(cas.old()) : phase.bundle(cas.old(), cas.neu());
  }

  /**
   * {@code bundle} with its old and new CA replaced by {@code wanted}, at the place of the first
   * of them; every other certificate where it was. A bundle with neither, or with just the CAs
   * wanted (in any order), is returned as it is.
   */
  static List<X509Certificate> rewrite(List<X509Certificate> bundle, List<X509Certificate> wanted,
      CaPair cas) {
    int at = -1;
    List<X509Certificate> rest = new ArrayList<>();
    for (X509Certificate c : bundle) {
      if (c.equals(cas.old()) || c.equals(cas.neu())) {
        if (at < 0) {
          at = rest.size();
        }
      } else {
        rest.add(c);
      }
    }
    if (at < 0) {
      return bundle;
    }
    java.util.Set<X509Certificate> held = new java.util.HashSet<>(bundle);
    held.removeAll(rest);
    if (held.equals(new java.util.HashSet<>(wanted))) {
      return bundle; // the order inside a trust bundle does not matter: no write for it
    }
    List<X509Certificate> out = new ArrayList<>(rest.subList(0, at));
    out.addAll(wanted);
    out.addAll(rest.subList(at, rest.size()));
    return out;
  }

  // ---------------------------------------------------------------- the writable places

  /** Sets the CA field of the object this target came from. */
  private interface Setter {
    void set(byte[] pem);
  }

  /** A writable place: its row, its bundle (null when unreadable), its object and how to set it. */
  private record Target(Entry entry, List<X509Certificate> bundle, String path, ObjectNode object,
      Setter setter) {}

  private static List<Target> targets(ApiClient api, String caName, CaPair cas)
      throws ApiClient.Unreachable {
    List<Target> out = new ArrayList<>();
    if (isClusterCa(caName)) {
      JsonNode ci = api.getJson(CLUSTER_INFO_PATH);
      if (ci != null) {
        out.add(clusterInfo((ObjectNode) ci, cas));
      }
    }
    webhooks(api, MUTATING_PATH, MUTATING, "admissionregistration.k8s.io/v1",
        "MutatingWebhookConfiguration", cas, out);
    webhooks(api, VALIDATING_PATH, VALIDATING, "admissionregistration.k8s.io/v1",
        "ValidatingWebhookConfiguration", cas, out);
    for (JsonNode item : list(api, API_SERVICES_PATH).path("items")) {
      ObjectNode obj = typed(item, "apiregistration.k8s.io/v1", "APIService");
      JsonNode spec = obj.path("spec");
      if (spec.isObject() && spec.has("caBundle")) {
        out.add(caBundle(API_SERVICE, obj, name(obj), (ObjectNode) spec,
            API_SERVICES_PATH + "/" + name(obj), cas));
      }
    }
    for (JsonNode item : list(api, CRDS_PATH).path("items")) {
      ObjectNode obj = typed(item, "apiextensions.k8s.io/v1", "CustomResourceDefinition");
      JsonNode cc = obj.path("spec").path("conversion").path("webhook").path("clientConfig");
      if (cc.isObject() && cc.has("caBundle")) {
        out.add(caBundle(CRD, obj, name(obj), (ObjectNode) cc, CRDS_PATH + "/" + name(obj), cas));
      }
    }
    // only places that hold the CA being rotated (or cannot be read) concern this rotation
    out.removeIf(t -> t.entry.kind().equals(CLUSTER_INFO) ? false
        : t.entry.trust() == Place.Trust.OTHER || t.entry.trust() == Place.Trust.MISSING);
    return out;
  }

  private static void webhooks(ApiClient api, String path, String kind, String apiVersion,
      String k8sKind, CaPair cas, List<Target> out) throws ApiClient.Unreachable {
    for (JsonNode item : list(api, path).path("items")) {
      ObjectNode obj = typed(item, apiVersion, k8sKind);
      for (JsonNode hook : obj.path("webhooks")) {
        JsonNode cc = hook.path("clientConfig");
        if (cc.isObject() && cc.has("caBundle")) {
          out.add(caBundle(kind, obj, name(obj) + "/" + hook.path("name").asText(),
              (ObjectNode) cc, path + "/" + name(obj), cas));
        }
      }
    }
  }

  private static Target caBundle(String kind, ObjectNode obj, String name, ObjectNode holder,
      String path, CaPair cas) {
    byte[] pem = decoded(holder.path("caBundle"));
    Entry e = entry(kind, obj, name, pem, cas);
    return new Target(e, bundleOrNull(pem), path, obj,
        p -> holder.put("caBundle", Base64.getEncoder().encodeToString(p)));
  }

  private static Target clusterInfo(ObjectNode cm, CaPair cas) {
    String name = "kube-public/cluster-info";
    JsonNode text = cm.path("data").path("kubeconfig");
    Map<String, Object> kc;
    List<Map<String, Object>> clusters = new ArrayList<>();
    try {
      Object root = yaml().load(text.asText(""));
      if (!(root instanceof Map<?, ?>)) {
        throw new YAMLException("not a kubeconfig");
      }
      @SuppressWarnings("unchecked")
      Map<String, Object> m = (Map<String, Object>) root;
      kc = m;
      if (kc.get("clusters") instanceof List<?> list) {
        for (Object o : list) {
          if (o instanceof Map<?, ?> named && named.get("cluster") instanceof Map<?, ?> c) {
            @SuppressWarnings("unchecked")
            Map<String, Object> cluster = (Map<String, Object>) c;
            clusters.add(cluster);
          }
        }
      }
    } catch (YAMLException e) {
      return new Target(new Entry(CLUSTER_INFO, "kube-public", "cluster-info", Place.Trust.INVALID,
          "data.kubeconfig: " + KcertException.oneLine(e)), null, CLUSTER_INFO_PATH, cm, p -> { });
    }
    if (clusters.isEmpty()) {
      return new Target(new Entry(CLUSTER_INFO, "kube-public", "cluster-info", Place.Trust.MISSING,
          "data.kubeconfig has no cluster"), null, CLUSTER_INFO_PATH, cm, p -> { });
    }
    Object data = clusters.get(0).get("certificate-authority-data");
    byte[] pem;
    try {
      pem = data == null ? new byte[0] : Base64.getDecoder().decode(data.toString().trim());
    } catch (IllegalArgumentException e) {
      pem = "not base64".getBytes(StandardCharsets.UTF_8);
    }
    Entry entry = entry(CLUSTER_INFO, cm, "cluster-info", pem, cas);
    Map<String, Object> whole = kc;
    return new Target(entry, bundleOrNull(pem), CLUSTER_INFO_PATH, cm, p -> {
      for (Map<String, Object> c : clusters) {
        c.put("certificate-authority-data", Base64.getEncoder().encodeToString(p));
      }
      ((ObjectNode) cm.path("data")).put("kubeconfig", yaml().dump(whole));
    });
  }

  // ---------------------------------------------------------------- helpers

  private static Yaml yaml() {
    DumperOptions d = new DumperOptions();
    d.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
    return new Yaml(new SafeConstructor(new LoaderOptions()), new org.yaml.snakeyaml.representer
        .Representer(d), d);
  }

  private static JsonNode list(ApiClient api, String path) throws ApiClient.Unreachable {
    JsonNode n = api.getJson(path);
    return n == null ? com.fasterxml.jackson.databind.node.MissingNode.getInstance() : n;
  }

  private static ObjectNode typed(JsonNode item, String apiVersion, String kind) {
    ObjectNode o = ((ObjectNode) item).deepCopy();
    o.put("apiVersion", apiVersion);
    o.put("kind", kind);
    return o;
  }

  private static String name(JsonNode obj) {
    return obj.path("metadata").path("name").asText();
  }

  private static Entry entry(String kind, JsonNode obj, String name, byte[] pem, CaPair cas) {
    String ns = obj.path("metadata").path("namespace").asText("");
    if (pem == null || pem.length == 0) {
      return new Entry(kind, ns, name, Place.Trust.MISSING, "empty");
    }
    List<X509Certificate> bundle = bundleOrNull(pem);
    if (bundle == null) {
      return new Entry(kind, ns, name, Place.Trust.INVALID, "not PEM certificates");
    }
    return new Entry(kind, ns, name, trust(bundle, cas), order(bundle, cas));
  }

  static Place.Trust trust(List<X509Certificate> bundle, CaPair cas) {
    boolean old = bundle.contains(cas.old());
    boolean neu = cas.neu() != null && bundle.contains(cas.neu());
    if (old && neu) {
      return Place.Trust.BOTH;
    }
    return old ? Place.Trust.OLD_ONLY : neu ? Place.Trust.NEW_ONLY : Place.Trust.OTHER;
  }

  static String order(List<X509Certificate> bundle, CaPair cas) {
    List<String> names = new ArrayList<>();
    for (X509Certificate c : bundle) {
      names.add(c.equals(cas.old()) ? "old" : c.equals(cas.neu()) ? "new" : "other");
    }
    return String.join(",", names);
  }

  private static List<X509Certificate> bundleOrNull(byte[] pem) {
    if (pem == null || pem.length == 0) {
      return null;
    }
    try {
      List<X509Certificate> b = Certificates.parseBundle(pem, "caBundle");
      return b.isEmpty() ? null : b;
    } catch (KcertException e) {
      return null;
    }
  }

  private static byte[] pem(List<X509Certificate> certs) {
    StringBuilder sb = new StringBuilder();
    certs.forEach(c -> sb.append(Certificates.toPem(c)));
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] text(JsonNode n) {
    return n.isTextual() ? n.asText().getBytes(StandardCharsets.UTF_8) : new byte[0];
  }

  private static byte[] decoded(JsonNode n) {
    if (!n.isTextual()) {
      return new byte[0];
    }
    try {
      return Base64.getDecoder().decode(n.asText().trim());
    } catch (IllegalArgumentException e) {
      return "not base64".getBytes(StandardCharsets.UTF_8);
    }
  }
}
