package dev.kcert.core.kubeconfig;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.kcert.core.model.KcertException;
import dev.kcert.core.pem.Pem;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Base64;

/**
 * A kubeconfig file as a YAML tree. Reading resolves the current context; the update methods change
 * only the fields they name, and {@link #render()} writes every other field back in its order.
 */
public final class Kubeconfig {
  private static final YAMLMapper MAPPER =
      new YAMLMapper(
          YAMLFactory.builder()
              .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
              .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
              .disable(YAMLGenerator.Feature.SPLIT_LINES)
              .build());

  private final Path file;
  private final ObjectNode root;

  private Kubeconfig(Path file, ObjectNode root) {
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
    JsonNode node;
    try {
      node = MAPPER.readTree(yaml);
    } catch (IOException e) {
      throw KcertException.about(
          file, "not a valid kubeconfig: " + KcertException.oneLine(e), e);
    }
    if (node == null || !node.isObject()) {
      throw KcertException.about(file, "not a valid kubeconfig: not a YAML mapping");
    }
    return new Kubeconfig(file, (ObjectNode) node);
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
    JsonNodeFactory f = JsonNodeFactory.instance;
    ObjectNode root = f.objectNode();
    root.put("apiVersion", "v1");
    ObjectNode cluster = root.putArray("clusters").addObject();
    ObjectNode c = cluster.putObject("cluster");
    c.put("certificate-authority-data", base64(caPem));
    c.put("server", server);
    cluster.put("name", clusterName);
    String contextName = userName + "@" + clusterName;
    ObjectNode context = root.putArray("contexts").addObject();
    ObjectNode ctx = context.putObject("context");
    ctx.put("cluster", clusterName);
    ctx.put("user", userName);
    context.put("name", contextName);
    root.put("current-context", contextName);
    root.put("kind", "Config");
    root.putObject("preferences");
    ObjectNode user = root.putArray("users").addObject();
    user.put("name", userName);
    ObjectNode u = user.putObject("user");
    if (certPem != null) {
      u.put("client-certificate-data", base64(certPem));
    }
    u.put("client-key-data", base64(keyPem));
    return new Kubeconfig(file, root);
  }

  public Path file() {
    return file;
  }

  /** The current context resolved to its cluster and user. */
  public KubeconfigCredentials credentials() {
    String current = text(root, "current-context");
    if (current.isEmpty()) {
      throw KcertException.about(file, "has no current-context");
    }
    ObjectNode context = named("contexts", current, "context", "current-context");
    String clusterName = text(context, "cluster");
    String userName = text(context, "user");
    ObjectNode cluster = named("clusters", clusterName, "cluster", "context " + current);
    ObjectNode user = named("users", userName, "user", "context " + current);
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
    ObjectNode user = named("users", creds.userName(), "user", "context " + creds.contextName());
    replaceField(user, "client-certificate", "client-certificate-data", base64(certPem));
    replaceField(user, "client-key", "client-key-data", base64(keyPem));
    if (caPem != null) {
      ObjectNode cluster =
          named("clusters", creds.clusterName(), "cluster", "context " + creds.contextName());
      replaceField(cluster, "certificate-authority", "certificate-authority-data", base64(caPem));
    }
  }

  /** The YAML text, every field in its order. */
  public byte[] render() {
    try {
      return MAPPER.writeValueAsBytes(root);
    } catch (JsonProcessingException e) {
      throw KcertException.about(file, "cannot render kubeconfig: " + KcertException.oneLine(e), e);
    }
  }

  private static void replaceField(ObjectNode obj, String fileField, String dataField, String value) {
    if (obj.has(dataField) || !obj.has(fileField)) {
      obj.remove(fileField);
      obj.put(dataField, value);
      return;
    }
    // keep the position of the field being replaced
    ObjectNode copy = obj.deepCopy();
    obj.removeAll();
    copy.fields()
        .forEachRemaining(
            e -> {
              if (e.getKey().equals(fileField)) {
                obj.put(dataField, value);
              } else {
                obj.set(e.getKey(), e.getValue());
              }
            });
  }

  private ObjectNode named(String listField, String name, String innerField, String referrer) {
    JsonNode list = root.get(listField);
    if (list instanceof ArrayNode array) {
      for (JsonNode item : array) {
        if (item.isObject() && name.equals(text(item, "name"))) {
          JsonNode inner = item.get(innerField);
          if (inner instanceof ObjectNode obj) {
            return obj;
          }
          throw KcertException.about(
              file, listField + " entry \"" + name + "\" has no " + innerField + " field");
        }
      }
    }
    throw KcertException.about(
        file, referrer + " refers to " + innerField + " \"" + name + "\", which is not in the file");
  }

  private CredentialRef ref(ObjectNode obj, String field, String where) {
    String dataField = field + "-data";
    String data = text(obj, dataField);
    if (!data.isEmpty()) {
      try {
        return new CredentialRef(dataField, Base64.getMimeDecoder().decode(data), null);
      } catch (IllegalArgumentException e) {
        throw KcertException.about(file, where + "." + dataField + " is not valid base64", e);
      }
    }
    String path = text(obj, field);
    if (!path.isEmpty()) {
      Path p = Path.of(path);
      Path parent = file.toAbsolutePath().getParent();
      return new CredentialRef(field, null, p.isAbsolute() || parent == null ? p : parent.resolve(p));
    }
    return null;
  }

  private static String text(JsonNode node, String field) {
    JsonNode v = node.get(field);
    return v == null || v.isNull() ? "" : v.asText();
  }

  private static String base64(byte[] pem) {
    return Base64.getEncoder().encodeToString(pem);
  }
}
