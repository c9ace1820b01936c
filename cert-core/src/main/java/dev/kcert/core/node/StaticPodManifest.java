package dev.kcert.core.node;

import dev.kcert.core.model.KcertException;
import dev.kcert.core.pem.Pem;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.representer.Representer;

/**
 * A static pod manifest ({@code /etc/kubernetes/manifests/<component>.yaml}) as a YAML tree
 * (SnakeYAML, safe constructor, ordered maps).
 *
 * <p>What the file can influence, since anyone who can write it can write anything: which
 * certificate file kcert reads and compares (read only, never printed beyond serial and dates),
 * which address and port it connects to for the check (a TLS handshake and a GET of a health path;
 * no secret is sent), and the rest of the manifest, which {@link #withAnnotation} writes back
 * unchanged apart from one annotation. It never chooses what kcert writes into the PKI.
 */
public final class StaticPodManifest {
  /** The annotation kcert changes to have the kubelet recreate the pod. */
  public static final String RESTART_ANNOTATION = "kcert.dev/restarted-at";

  private static final int MAX_BYTES = 1 << 20;

  private final Path file;
  private final Map<String, Object> root;

  private StaticPodManifest(Path file, Map<String, Object> root) {
    this.file = file;
    this.root = root;
  }

  public static StaticPodManifest read(Path file) {
    return parse(Pem.readFile(file), file);
  }

  public static StaticPodManifest parse(byte[] yaml, Path file) {
    if (yaml.length > MAX_BYTES) {
      throw KcertException.about(file, "not a static pod manifest: larger than 1 MiB");
    }
    Object node;
    try {
      node = yaml().load(new String(yaml, StandardCharsets.UTF_8));
    } catch (YAMLException e) {
      throw KcertException.about(
          file, "not a valid static pod manifest: " + KcertException.oneLine(e), e);
    }
    if (!(node instanceof Map<?, ?> map) || !"Pod".equals(String.valueOf(map.get("kind")))) {
      throw KcertException.about(file, "not a valid static pod manifest: not a Pod");
    }
    return new StaticPodManifest(file, stringKeys(map));
  }

  public Path file() {
    return file;
  }

  /**
   * The value of a command-line flag of the pod's first container, from {@code command} and then
   * {@code args}: {@code --name=value} or {@code --name value}.
   */
  public Optional<String> flag(String name) {
    List<String> words = new ArrayList<>();
    Map<String, Object> container = firstContainer();
    for (String key : List.of("command", "args")) {
      if (container.get(key) instanceof List<?> list) {
        list.forEach(w -> words.add(String.valueOf(w)));
      }
    }
    String prefix = "--" + name;
    for (int i = 0; i < words.size(); i++) {
      String w = words.get(i);
      if (w.startsWith(prefix + "=")) {
        return Optional.of(w.substring(prefix.length() + 1));
      }
      if (w.equals(prefix) && i + 1 < words.size()) {
        return Optional.of(words.get(i + 1));
      }
    }
    return Optional.empty();
  }

  /** One {@code --name=value} flag of one container, its name as written (dashes included). */
  public record Flag(Path manifest, String name, String value) {}

  /** Every {@code --name=value} flag of every container, {@code command} then {@code args}. */
  public List<Flag> flags() {
    List<Flag> flags = new ArrayList<>();
    for (List<Object> words : commandLists()) {
      for (Object o : words) {
        if (o instanceof String w && w.startsWith("--") && w.indexOf('=') > 2) {
          int eq = w.indexOf('=');
          flags.add(new Flag(file, w.substring(0, eq), w.substring(eq + 1)));
        }
      }
    }
    return flags;
  }

  /**
   * The manifest with every {@code name=...} word of every container set to {@code name=value}
   * ({@code name} as written, dashes included), rendered as {@link #render} does.
   */
  public byte[] withFlag(String name, String value) {
    for (List<Object> words : commandLists()) {
      for (int i = 0; i < words.size(); i++) {
        if (words.get(i) instanceof String w && w.startsWith(name + "=")) {
          words.set(i, name + "=" + value);
        }
      }
    }
    return render();
  }

  /** The value of an annotation in {@code metadata.annotations}. */
  public Optional<String> annotation(String key) {
    Object v = annotations(false).get(key);
    return v == null ? Optional.empty() : Optional.of(String.valueOf(v));
  }

  /** The manifest with one annotation set, rendered in block style; the rest is kept in order. */
  public byte[] withAnnotation(String key, String value) {
    annotations(true).put(key, value);
    return render();
  }

  public byte[] render() {
    DumperOptions d = new DumperOptions();
    d.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
    d.setIndicatorIndent(0);
    d.setWidth(Integer.MAX_VALUE);
    Yaml dumper = new Yaml(new Representer(d), d);
    return dumper.dump(root).getBytes(StandardCharsets.UTF_8);
  }

  @SuppressWarnings("unchecked")
  private List<List<Object>> commandLists() {
    List<List<Object>> lists = new ArrayList<>();
    if (root.get("spec") instanceof Map<?, ?> spec
        && spec.get("containers") instanceof List<?> containers) {
      for (Object c : containers) {
        if (c instanceof Map<?, ?> container) {
          for (String key : List.of("command", "args")) {
            if (container.get(key) instanceof List<?> l) {
              lists.add((List<Object>) l);
            }
          }
        }
      }
    }
    return lists;
  }

  private Map<String, Object> firstContainer() {
    Map<String, Object> spec = map(root, "spec");
    if (spec.get("containers") instanceof List<?> list
        && !list.isEmpty()
        && list.get(0) instanceof Map<?, ?> c) {
      return stringKeys(c);
    }
    throw KcertException.about(file, "not a valid static pod manifest: spec.containers is empty");
  }

  private Map<String, Object> annotations(boolean create) {
    Map<String, Object> metadata = map(root, "metadata");
    if (create) {
      root.put("metadata", metadata); // the same map, or a copy with string keys
    }
    Object a = metadata.get("annotations");
    if (a instanceof Map<?, ?> m) {
      Map<String, Object> annotations = stringKeys(m);
      if (create) {
        metadata.put("annotations", annotations);
      }
      return annotations;
    }
    Map<String, Object> annotations = new LinkedHashMap<>();
    if (create) {
      metadata.put("annotations", annotations);
    }
    return annotations;
  }

  private static Map<String, Object> map(Map<String, Object> parent, String key) {
    return parent.get(key) instanceof Map<?, ?> m ? stringKeys(m) : new LinkedHashMap<>();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> stringKeys(Map<?, ?> map) {
    for (Object k : map.keySet()) {
      if (!(k instanceof String)) {
        Map<String, Object> out = new LinkedHashMap<>();
        map.forEach((kk, v) -> out.put(String.valueOf(kk), v));
        return out;
      }
    }
    return (Map<String, Object>) map;
  }

  private static Yaml yaml() {
    LoaderOptions o = new LoaderOptions();
    o.setAllowDuplicateKeys(false);
    o.setMaxAliasesForCollections(50);
    o.setCodePointLimit(MAX_BYTES);
    return new Yaml(new SafeConstructor(o));
  }
}
