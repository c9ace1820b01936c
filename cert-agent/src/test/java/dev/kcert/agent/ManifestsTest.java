package dev.kcert.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kcert.kube.testing.Charts;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.api.model.rbac.Role;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** examples/deploy/agent parses into typed objects, runs where it must, and grants exactly what is needed. */
class ManifestsTest {
  static final Path DIR = Path.of("..", "examples", "deploy", "agent");
  static List<HasMetadata> objects;

  @BeforeAll
  static void load() throws IOException {
    objects = new ArrayList<>();
    for (String file : List.of("rbac.yaml", "daemonset.yaml")) {
      objects.addAll(Charts.parse(Files.readString(DIR.resolve(file))));
    }
  }

  static <T> List<T> all(Class<T> type) {
    return objects.stream().filter(type::isInstance).map(type::cast).toList();
  }

  static PolicyRule rule(String group, String resource, List<String> names, String... verbs) {
    return new PolicyRuleBuilder().withApiGroups(group).withResources(resource).withResourceNames(names)
        .withVerbs(verbs).build();
  }

  @Test
  void theBenchMeasuresTheDaemonSetsJvmAndMallocSettings() {
    Container c = all(DaemonSet.class).get(0).getSpec().getTemplate().getSpec().getContainers().get(0);
    Map<String, String> env = c.getEnv().stream().filter(e -> e.getValue() != null)
        .collect(Collectors.toMap(e -> e.getName(), e -> e.getValue()));
    // bench/run's peak resident memory figure is only the DaemonSet's if both run the same JVM
    assertThat(env).containsEntry("JAVA_TOOL_OPTIONS", RolloutBench.JVM_OPTIONS).containsEntry("MALLOC_ARENA_MAX", "2");
  }

  @Test
  void theDaemonSetRunsOnControlPlaneNodesWithTheHostsFolders() {
    DaemonSet ds = all(DaemonSet.class).get(0);
    assertThat(ds.getMetadata().getNamespace()).isEqualTo("kube-system");
    PodSpec pod = ds.getSpec().getTemplate().getSpec();
    assertThat(pod.getNodeSelector()).containsExactly(Map.entry("node-role.kubernetes.io/control-plane", ""));
    assertThat(pod.getTolerations()).anySatisfy(t -> {
      assertThat(t.getKey()).isEqualTo("node-role.kubernetes.io/control-plane");
      assertThat(t.getEffect()).isEqualTo("NoSchedule");
      assertThat(t.getOperator()).isEqualTo("Exists");
    });
    assertThat(pod.getHostNetwork()).isTrue();
    assertThat(pod.getServiceAccountName()).isEqualTo("kcert-agent");
    Map<String, String> hostPaths = pod.getVolumes().stream().filter(v -> v.getHostPath() != null)
        .collect(Collectors.toMap(Volume::getName, v -> v.getHostPath().getPath()));
    assertThat(hostPaths).containsEntry("kubernetes", "/etc/kubernetes")
        .containsEntry("kubelet-pki", "/var/lib/kubelet/pki");
    Container c = pod.getContainers().get(0);
    // mounted at the host's own paths: the static pod manifests name files by absolute path
    assertThat(c.getVolumeMounts()).anySatisfy(m -> {
      assertThat(m.getName()).isEqualTo("kubernetes");
      assertThat(m.getMountPath()).isEqualTo("/etc/kubernetes");
    });
    assertThat(c.getVolumeMounts()).anySatisfy(m -> {
      assertThat(m.getName()).isEqualTo("kubelet-pki");
      assertThat(m.getMountPath()).isEqualTo("/var/lib/kubelet/pki");
    });
    assertThat(c.getEnv()).anySatisfy(e -> {
      assertThat(e.getName()).isEqualTo("NODE_NAME");
      assertThat(e.getValueFrom().getFieldRef().getFieldPath()).isEqualTo("spec.nodeName");
    });
    assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
    assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
    assertThat(c.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(c.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/healthz");
    assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/readyz");
  }

  @Test
  void everyArgumentIsAnOptionOfTheAgentAndParses() {
    Container c = all(DaemonSet.class).get(0).getSpec().getTemplate().getSpec().getContainers().get(0);
    Main main = new Main();
    CommandLine cl = new CommandLine(main);
    cl.parseArgs(c.getArgs().toArray(String[]::new));
    main.nodeName = "cp-1";
    AgentSettings s = main.settings();
    assertThat(s.leaseNamespace()).isEqualTo("kube-system");
    assertThat(s.leaseName()).isEqualTo("kcert-renewal");
    assertThat(s.concurrency()).isEqualTo(1);
  }

  @Test
  void rbacIsTheOneLeaseNodesMirrorPodsAndEvents() {
    Map<String, List<PolicyRule>> roles = all(Role.class).stream()
        .collect(Collectors.toMap(r -> r.getMetadata().getNamespace() + "/" + r.getMetadata().getName(),
            Role::getRules));
    assertThat(roles.get("kube-system/kcert-agent")).containsExactly(
        rule("coordination.k8s.io", "leases", List.of("kcert-renewal"), "get", "update", "patch"),
        rule("coordination.k8s.io", "leases", List.of(), "create"),
        rule("", "pods", List.of(), "get", "list", "watch"));
    assertThat(roles.get("default/kcert-agent-events")).containsExactly(rule("", "events", List.of(), "create"));
    assertThat(all(ClusterRole.class)).singleElement().satisfies(r -> assertThat(r.getRules())
        .containsExactly(rule("", "nodes", List.of(), "get", "list", "watch", "patch")));
    // nothing on secrets, nothing that writes pods
    for (HasMetadata o : objects) {
      List<PolicyRule> rules = o instanceof Role r ? r.getRules() : o instanceof ClusterRole cr ? cr.getRules() : List.of();
      for (PolicyRule r : rules) {
        assertThat(r.getResources()).doesNotContain("secrets", "*");
        if (r.getResources().contains("pods")) {
          assertThat(r.getVerbs()).containsOnly("get", "list", "watch");
        }
      }
    }
  }
}
