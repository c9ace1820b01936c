package dev.kcert.kube.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.marcnuri.helm.Helm;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The charts under {@code charts/}, rendered by Helm's own template engine (helm-java: Helm's Go
 * code as a native library, so no helm binary is needed) and every object parsed into fabric8's
 * model classes, for the approver's and the agent's chart tests; {@link #parse} also reads the
 * deploy manifests under {@code examples/deploy/}.
 */
public final class Charts {
  /** The reference kubeadm release; the charts ask for 1.27 or later. */
  public static final String KUBE_VERSION = "v1.31.0";

  private Charts() {}

  /** {@code helm template} of {@code chart} as release {@code name} in {@code namespace}, with {@code --set}s. */
  public static List<HasMetadata> render(Path chart, String name, String namespace, Map<String, Object> set) {
    var template = new Helm(chart).template().withName(name).withNamespace(namespace).withKubeVersion(KUBE_VERSION);
    set.forEach(template::set);
    return parse(template.call());
  }

  /** Every document of a multi-document YAML stream; each must be a Kubernetes object. */
  public static List<HasMetadata> parse(String yaml) {
    List<HasMetadata> objects = new ArrayList<>();
    for (String doc : Pattern.compile("(?m)^---\\s*$").split(yaml)) {
      if (doc.lines().allMatch(l -> l.isBlank() || l.strip().startsWith("#"))) {
        continue;
      }
      KubernetesResource r = Serialization.unmarshal(doc, KubernetesResource.class);
      assertThat(r).as(doc).isInstanceOf(HasMetadata.class);
      objects.add((HasMetadata) r);
    }
    return objects;
  }

  public static <T> List<T> all(List<HasMetadata> objects, Class<T> type) {
    return objects.stream().filter(type::isInstance).map(type::cast).toList();
  }

  /** The one object of {@code type}; fails when there are none or several. */
  public static <T> T one(List<HasMetadata> objects, Class<T> type) {
    List<T> found = all(objects, type);
    assertThat(found).as(type.getSimpleName()).hasSize(1);
    return found.get(0);
  }

  public static PolicyRule rule(String group, String resource, List<String> names, String... verbs) {
    return new PolicyRuleBuilder()
        .withApiGroups(group)
        .withResources(resource)
        .withResourceNames(names)
        .withVerbs(verbs)
        .build();
  }
}
