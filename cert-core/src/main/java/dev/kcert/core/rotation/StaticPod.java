package dev.kcert.core.rotation;

import dev.kcert.core.model.KcertException;
import dev.kcert.core.pem.Pem;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.representer.Representer;

/**
 * A static pod manifest as a YAML tree (SnakeYAML, safe constructor): the {@code --name=value}
 * flags of its containers' {@code command} and {@code args}, and a copy with one flag changed.
 * What a manifest can influence: which files kcert reads as trust places, and (inside the PKI
 * folder only) which it rewrites; nothing it says is executed.
 */
final class StaticPod {
  /** One flag of one container. */
  record Flag(Path manifest, String name, String value) {}

  private final Path file;
  private final Map<String, Object> root;

  private StaticPod(Path file, Map<String, Object> root) {
    this.file = file;
    this.root = root;
  }

  static StaticPod read(Path file) {
    return parse(Pem.readFile(file), file);
  }

  @SuppressWarnings("unchecked")
  static StaticPod parse(byte[] yaml, Path file) {
    Object node;
    try {
      node = yaml().load(new String(yaml, StandardCharsets.UTF_8));
    } catch (YAMLException e) {
      throw KcertException.about(
          file, "not a valid static pod manifest: " + KcertException.oneLine(e), e);
    }
    if (!(node instanceof Map<?, ?> map)) {
      throw KcertException.about(file, "not a valid static pod manifest: not a YAML mapping");
    }
    return new StaticPod(file, (Map<String, Object>) map);
  }

  Path file() {
    return file;
  }

  /** Every {@code --name=value} flag, in order. */
  List<Flag> flags() {
    List<Flag> flags = new ArrayList<>();
    for (List<Object> list : commandLists()) {
      for (Object o : list) {
        if (o instanceof String s && s.startsWith("--") && s.indexOf('=') > 2) {
          int eq = s.indexOf('=');
          flags.add(new Flag(file, s.substring(0, eq), s.substring(eq + 1)));
        }
      }
    }
    return flags;
  }

  /** The value of a flag, or {@code null} when no container has it. */
  String flag(String name) {
    for (Flag f : flags()) {
      if (f.name().equals(name)) {
        return f.value();
      }
    }
    return null;
  }

  /** The manifest's YAML with every occurrence of flag {@code name} set to {@code value}. */
  byte[] withFlag(String name, String value) {
    for (List<Object> list : commandLists()) {
      for (int i = 0; i < list.size(); i++) {
        if (list.get(i) instanceof String s && s.startsWith(name + "=")) {
          list.set(i, name + "=" + value);
        }
      }
    }
    return yaml().dump(root).getBytes(StandardCharsets.UTF_8);
  }

  @SuppressWarnings("unchecked")
  private List<List<Object>> commandLists() {
    List<List<Object>> lists = new ArrayList<>();
    if (root.get("spec") instanceof Map<?, ?> spec
        && spec.get("containers") instanceof List<?> containers) {
      for (Object c : containers) {
        if (c instanceof Map<?, ?> container) {
          for (String field : List.of("command", "args")) {
            if (container.get(field) instanceof List<?> l) {
              lists.add((List<Object>) l);
            }
          }
        }
      }
    }
    return lists;
  }

  private static Yaml yaml() {
    LoaderOptions loader = new LoaderOptions();
    loader.setAllowDuplicateKeys(false);
    DumperOptions dumper = new DumperOptions();
    dumper.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
    dumper.setIndent(2);
    dumper.setIndicatorIndent(0);
    dumper.setSplitLines(false);
    return new Yaml(new SafeConstructor(loader), new Representer(dumper), dumper, loader);
  }
}
