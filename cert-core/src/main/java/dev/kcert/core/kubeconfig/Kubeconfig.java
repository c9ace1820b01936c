package dev.kcert.core.kubeconfig;

import dev.kcert.core.model.KcertException;
import dev.kcert.core.pem.Pem;
import dev.kcert.core.pki.PkiLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.representer.Representer;
import org.yaml.snakeyaml.resolver.Resolver;

/**
 * A kubeconfig file as a YAML tree (SnakeYAML: safe constructor, ordered maps). Reading resolves the
 * current context; the update methods change only the fields they name, and {@link #render()}
 * writes every other field back in its order, in kubectl's block layout.
 */
public final class Kubeconfig {
  /** A loader per thread (SnakeYAML's are not thread-safe): fleet scans parse thousands of files. */
  private static final ThreadLocal<Yaml> LOADER = ThreadLocal.withInitial(Kubeconfig::yaml);

  private final Path file;
  private final Map<String, Object> root;
  /** The node's root file system for absolute references, or null (this machine's). */
  private Path rootfs;

  private Kubeconfig(Path file, Map<String, Object> root) {
    this.file = file;
    this.root = root;
  }

  public static Kubeconfig read(Path file) {
    return parse(Pem.readFile(file), file);
  }

  /**
   * Parses kubeconfig YAML.
   *
   * @param file where it came from: names it in messages and anchors relative file references
   */
  public static Kubeconfig parse(byte[] yaml, Path file) {
    Object node;
    try {
      node = LOADER.get().load(new String(yaml, StandardCharsets.UTF_8));
    } catch (YAMLException e) {
      throw KcertException.about(file, "not a valid kubeconfig: " + problem(e), e);
    }
    if (!(node instanceof Map<?, ?> map)) {
      throw KcertException.about(file, "not a valid kubeconfig: not a YAML mapping");
    }
    return new Kubeconfig(file, cast(map));
  }

  /**
   * What is wrong with the YAML, without a word of its text: SnakeYAML's messages quote the
   * offending input (a tag, a token, a snippet of the line), which in a kubeconfig may be a private
   * key. Kept: the kind of problem up to the first quote or colon, and the line and column.
   */
  static String problem(YAMLException e) {
    String problem = e.getMessage();
    String where = "";
    if (e instanceof MarkedYAMLException marked) {
      problem = marked.getProblem();
      Mark mark = marked.getProblemMark() != null ? marked.getProblemMark() : marked.getContextMark();
      if (mark != null) {
        where = " at line " + (mark.getLine() + 1) + ", column " + (mark.getColumn() + 1);
      }
    }
    String kind = problem == null ? "" : problem;
    int cut = kind.length();
    for (char c : new char[] {':', '\'', '"', '\n', '`'}) {
      int i = kind.indexOf(c);
      if (i >= 0 && i < cut) {
        cut = i;
      }
    }
    kind = KcertException.oneLine(new YAMLException(kind.substring(0, cut)));
    if (kind.equals("unreadable data")) {
      kind = "YAML syntax error";
    }
    return kind + where;
  }

  /**
   * A new kubeconfig with one cluster, one user and one context, laid out as kubeadm writes it.
   * {@code certPem} may be {@code null}: the user then has only its key, waiting for a certificate
   * from an external CA.
   */
  public static Kubeconfig create(
      Path file,
      String clusterName,
      String server,
      byte[] caPem,
      String userName,
      byte[] certPem,
      byte[] keyPem) {
    String contextName = userName + "@" + clusterName;
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("apiVersion", "v1");
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("certificate-authority-data", base64(caPem));
    c.put("server", server);
    root.put("clusters", List.of(entry("cluster", c, clusterName)));
    Map<String, Object> ctx = new LinkedHashMap<>();
    ctx.put("cluster", clusterName);
    ctx.put("user", userName);
    root.put("contexts", List.of(entry("context", ctx, contextName)));
    root.put("current-context", contextName);
    root.put("kind", "Config");
    root.put("preferences", new LinkedHashMap<>());
    Map<String, Object> u = new LinkedHashMap<>();
    if (certPem != null) {
      u.put("client-certificate-data", base64(certPem));
    }
    u.put("client-key-data", base64(keyPem));
    Map<String, Object> user = new LinkedHashMap<>();
    user.put("name", userName);
    user.put("user", u);
    root.put("users", List.of(user));
    return new Kubeconfig(file, root);
  }

  public Path file() {
    return file;
  }

  /**
   * Reads the absolute file references of this kubeconfig ({@code client-certificate:
   * /var/lib/kubelet/pki/...}) below {@code nodeRoot}, the root of the node's file system when it
   * is mounted or copied somewhere else; {@code null} reads them as they are.
   */
  public Kubeconfig under(Path nodeRoot) {
    this.rootfs = nodeRoot;
    return this;
  }

  /** The current context resolved to its cluster and user. */
  public KubeconfigCredentials credentials() {
    String current = text(root, "current-context");
    if (current.isEmpty()) {
      throw KcertException.about(file, "has no current-context");
    }
    Map<String, Object> context = named("contexts", current, "context", "current-context");
    String clusterName = text(context, "cluster");
    String userName = text(context, "user");
    String referrer = "context " + KcertException.shown(current);
    Map<String, Object> cluster = named("clusters", clusterName, "cluster", referrer);
    Map<String, Object> user = named("users", userName, "user", referrer);
    return new KubeconfigCredentials(
        current,
        clusterName,
        userName,
        text(cluster, "server"),
        ref(cluster, "certificate-authority", "clusters[" + clusterName + "]"),
        ref(user, "client-certificate", "users[" + userName + "]"),
        ref(user, "client-key", "users[" + userName + "]"));
  }

  /**
   * Embeds a new client certificate and key in the current context's user, and refreshes its
   * cluster's CA. Referenced files ({@code client-certificate}, {@code client-key}) are replaced by
   * embedded data, as kubeadm does; every other field stays where it was.
   */
  public void embedClientCredentials(byte[] certPem, byte[] keyPem, byte[] caPem) {
    KubeconfigCredentials creds = credentials();
    String referrer = "context " + KcertException.shown(creds.contextName());
    Map<String, Object> user = named("users", creds.userName(), "user", referrer);
    replaceField(user, "client-certificate", "client-certificate-data", base64(certPem));
    replaceField(user, "client-key", "client-key-data", base64(keyPem));
    if (caPem != null) {
      Map<String, Object> cluster = named("clusters", creds.clusterName(), "cluster", referrer);
      replaceField(cluster, "certificate-authority", "certificate-authority-data", base64(caPem));
    }
  }

  /**
   * Replaces the current context's cluster CA with embedded data ({@code certificate-authority}
   * becomes {@code certificate-authority-data}); every other field stays where it was.
   */
  public void replaceClusterCa(byte[] caPem) {
    KubeconfigCredentials creds = credentials();
    Map<String, Object> cluster =
        named("clusters", creds.clusterName(), "cluster", "context " + creds.contextName());
    replaceField(cluster, "certificate-authority", "certificate-authority-data", base64(caPem));
  }

  /** Replaces the current context's embedded client certificate; the key is left as it is. */
  public void replaceClientCertificate(byte[] certPem) {
    KubeconfigCredentials creds = credentials();
    Map<String, Object> user =
        named("users", creds.userName(), "user", "context " + creds.contextName());
    replaceField(user, "client-certificate", "client-certificate-data", base64(certPem));
  }

  /** The YAML text, every field in its order. */
  public byte[] render() {
    return yaml().dump(root).getBytes(StandardCharsets.UTF_8);
  }

  /**
   * SnakeYAML set up for kubeconfigs: the safe constructor, kubectl's block layout, and a resolver
   * that types only booleans and nulls, so that numbers, versions and timestamps stay the text they
   * were and are written back unchanged.
   */
  private static Yaml yaml() {
    LoaderOptions loader = new LoaderOptions();
    loader.setAllowDuplicateKeys(false);
    // bounds for hostile files: no more text than a file may hold, kubectl-like nesting, no alias
    // bombs (kubeconfigs use neither aliases nor deep nesting)
    loader.setCodePointLimit(Pem.MAX_FILE_BYTES);
    loader.setNestingDepthLimit(32);
    loader.setMaxAliasesForCollections(16);
    DumperOptions dumper = new DumperOptions();
    dumper.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
    dumper.setIndent(2);
    dumper.setIndicatorIndent(0);
    dumper.setSplitLines(false);
    dumper.setWidth(Integer.MAX_VALUE);
    return new Yaml(
        new SafeConstructor(loader), new Representer(dumper), dumper, loader, new TextResolver());
  }

  /** Resolves plain scalars to booleans and nulls only; everything else stays a string. */
  private static final class TextResolver extends Resolver {
    @Override
    protected void addImplicitResolvers() {
      addImplicitResolver(Tag.BOOL, BOOL, "yYnNtTfFoO");
      addImplicitResolver(Tag.NULL, NULL, "~nN\0");
      addImplicitResolver(Tag.NULL, EMPTY, null);
    }
  }

  private static void replaceField(
      Map<String, Object> obj, String fileField, String dataField, String value) {
    if (obj.containsKey(dataField) || !obj.containsKey(fileField)) {
      obj.remove(fileField);
      obj.put(dataField, value);
      return;
    }
    // keep the position of the field being replaced
    Map<String, Object> copy = new LinkedHashMap<>(obj);
    obj.clear();
    copy.forEach((k, v) -> obj.put(k.equals(fileField) ? dataField : k, k.equals(fileField) ? value : v));
  }

  private Map<String, Object> named(
      String listField, String name, String innerField, String referrer) {
    if (root.get(listField) instanceof List<?> list) {
      for (Object item : list) {
        if (item instanceof Map<?, ?> map && name.equals(text(cast(map), "name"))) {
          if (map.get(innerField) instanceof Map<?, ?> inner) {
            return cast(inner);
          }
          throw KcertException.about(
              file,
              listField + " entry " + KcertException.shown(name) + " has no " + innerField + " field");
        }
      }
    }
    throw KcertException.about(
        file,
        referrer + " refers to " + innerField + " " + KcertException.shown(name)
            + ", which is not in the file");
  }

  private CredentialRef ref(Map<String, Object> obj, String field, String where) {
    String dataField = field + "-data";
    String data = text(obj, dataField);
    if (!data.isEmpty()) {
      return new CredentialRef(file, where + "." + dataField, data, null);
    }
    String path = text(obj, field);
    if (!path.isEmpty()) {
      Path p = Path.of(path);
      Path parent = file.toAbsolutePath().getParent();
      Path resolved =
          p.isAbsolute()
              ? PkiLayout.onHost(rootfs, p)
              : parent == null ? p : parent.resolve(p);
      return new CredentialRef(file, where + "." + field, null, resolved);
    }
    return null;
  }

  private static Map<String, Object> entry(String innerField, Map<String, Object> inner, String name) {
    Map<String, Object> e = new LinkedHashMap<>();
    e.put(innerField, inner);
    e.put("name", name);
    return e;
  }

  private static String text(Map<String, Object> node, String field) {
    Object v = node.get(field);
    return v == null ? "" : v.toString();
  }

  /** SnakeYAML's safe constructor builds mutable ordered maps with string keys for kubeconfigs. */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> cast(Map<?, ?> map) {
    for (Object k : map.keySet()) {
      if (!(k instanceof String)) {
        return stringKeys(map);
      }
    }
    return (Map<String, Object>) map;
  }

  private static Map<String, Object> stringKeys(Map<?, ?> map) {
    Map<String, Object> out = new LinkedHashMap<>();
    map.forEach((k, v) -> out.put(String.valueOf(k), v));
    return out;
  }

  private static String base64(byte[] pem) {
    return Base64.getEncoder().encodeToString(pem);
  }
}
