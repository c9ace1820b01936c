package dev.kcert.approver;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kcert.kube.testing.Charts;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.WeightedPodAffinityTerm;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
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
import picocli.CommandLine.Option;

/** The deploy manifests parse into typed Kubernetes objects and grant exactly what is needed. */
class ManifestsTest {
  static final Path DIR = Path.of("..", "examples", "deploy", "approver");
  static final String NS = "kcert-system";
  static List<HasMetadata> objects;

  @BeforeAll
  static void load() throws IOException {
    objects = new ArrayList<>();
    for (String file : List.of("namespace.yaml", "rbac.yaml", "deployment.yaml")) {
      objects.addAll(Charts.parse(Files.readString(DIR.resolve(file))));
    }
  }

  static <T> T one(Class<T> type) {
    List<T> found = objects.stream().filter(type::isInstance).map(type::cast).toList();
    assertThat(found).as(type.getSimpleName()).hasSize(1);
    return found.get(0);
  }

  @Test
  void containsExactlyTheExpectedObjects() {
    assertThat(objects.stream().map(o -> o.getKind() + "/" + o.getMetadata().getName()))
        .containsExactlyInAnyOrder(
            "Namespace/kcert-system",
            "ServiceAccount/kcert-csr-approver",
            "ClusterRole/kcert-csr-approver",
            "ClusterRoleBinding/kcert-csr-approver",
            "Role/kcert-csr-approver-leader-election",
            "RoleBinding/kcert-csr-approver-leader-election",
            "Role/kcert-csr-approver-events",
            "RoleBinding/kcert-csr-approver-events",
            "Role/kcert-csr-approver-kubeadm-config",
            "RoleBinding/kcert-csr-approver-kubeadm-config",
            "Deployment/kcert-csr-approver");
    for (HasMetadata o : objects) {
      if (!(o instanceof Namespace || o instanceof ClusterRole || o instanceof ClusterRoleBinding)) {
        String name = o.getMetadata().getName();
        String expected = name.endsWith("-events") ? Settings.EVENT_NAMESPACE
            : name.endsWith("-kubeadm-config") ? "kube-system" : NS;
        assertThat(o.getMetadata().getNamespace()).as(o.getKind() + "/" + name).isEqualTo(expected);
      }
    }
  }

  @Test
  void kustomizationListsEveryFile() throws IOException {
    assertThat(Files.readString(DIR.resolve("kustomization.yaml")))
        .contains("- namespace.yaml", "- rbac.yaml", "- deployment.yaml");
  }

  static PolicyRule rule(String group, String resource, List<String> names, String... verbs) {
    return new PolicyRuleBuilder().withApiGroups(group).withResources(resource).withResourceNames(names)
        .withVerbs(verbs).build();
  }

  @Test
  void clusterRoleGrantsOnlyWhatTheApproverUses() {
    assertThat(one(ClusterRole.class).getRules()).containsExactly(
        rule("certificates.k8s.io", "certificatesigningrequests", List.of(), "get", "list", "watch"),
        rule("certificates.k8s.io", "certificatesigningrequests/approval", List.of(), "update"),
        rule("certificates.k8s.io", "signers", List.of("kubernetes.io/kubelet-serving"), "approve"),
        rule("", "nodes", List.of(), "get", "list", "watch"));
  }

  static <T extends HasMetadata> T named(Class<T> type, String name) {
    return objects.stream().filter(type::isInstance).map(type::cast)
        .filter(o -> o.getMetadata().getName().equals(name)).findFirst().orElseThrow();
  }

  @Test
  void eventsAreGrantedOnlyInTheNamespaceTheyAreWrittenTo() {
    Role r = named(Role.class, "kcert-csr-approver-events");
    assertThat(r.getMetadata().getNamespace()).isEqualTo(Settings.EVENT_NAMESPACE);
    assertThat(r.getRules()).containsExactly(rule("", "events", List.of(), "create"));
  }

  @Test
  void theKubeadmConfigMapIsReadableByNameOnly() {
    Role r = named(Role.class, "kcert-csr-approver-kubeadm-config");
    assertThat(r.getMetadata().getNamespace()).isEqualTo(dev.kcert.core.approval.KubeadmClusterConfig.CONFIG_MAP_NAMESPACE);
    assertThat(r.getRules()).containsExactly(
        rule("", "configmaps", List.of(dev.kcert.core.approval.KubeadmClusterConfig.CONFIG_MAP_NAME), "get", "watch"));
  }

  @Test
  void leasesAreGrantedInTheOwnNamespaceOnly() {
    assertThat(named(Role.class, "kcert-csr-approver-leader-election").getRules()).containsExactly(
        rule("coordination.k8s.io", "leases", List.of(), "create"),
        rule("coordination.k8s.io", "leases", List.of("kcert-csr-approver"), "get", "update", "patch"));
  }

  @Test
  void bindingsTieTheRolesToTheServiceAccount() {
    ServiceAccount sa = one(ServiceAccount.class);
    ClusterRoleBinding crb = one(ClusterRoleBinding.class);
    assertThat(crb.getRoleRef().getKind()).isEqualTo("ClusterRole");
    assertThat(crb.getRoleRef().getName()).isEqualTo(one(ClusterRole.class).getMetadata().getName());
    assertThat(crb.getSubjects()).singleElement().satisfies(s -> {
      assertThat(s.getKind()).isEqualTo("ServiceAccount");
      assertThat(s.getName()).isEqualTo(sa.getMetadata().getName());
      assertThat(s.getNamespace()).isEqualTo(NS);
    });
    for (RoleBinding rb : objects.stream().filter(RoleBinding.class::isInstance).map(RoleBinding.class::cast).toList()) {
      assertThat(rb.getRoleRef().getKind()).isEqualTo("Role");
      Role role = named(Role.class, rb.getRoleRef().getName());
      assertThat(role.getMetadata().getNamespace()).isEqualTo(rb.getMetadata().getNamespace());
      assertThat(rb.getSubjects()).singleElement().satisfies(s -> {
        assertThat(s.getName()).isEqualTo(sa.getMetadata().getName());
        assertThat(s.getNamespace()).isEqualTo(NS);
      });
    }
  }

  @Test
  void deploymentRunsTwoHardenedReplicasOnDifferentNodes() {
    Deployment d = one(Deployment.class);
    assertThat(d.getSpec().getReplicas()).isEqualTo(2);
    Map<String, String> podLabels = d.getSpec().getTemplate().getMetadata().getLabels();
    assertThat(podLabels).containsAllEntriesOf(d.getSpec().getSelector().getMatchLabels());
    PodSpec pod = d.getSpec().getTemplate().getSpec();
    assertThat(pod.getServiceAccountName()).isEqualTo(one(ServiceAccount.class).getMetadata().getName());

    List<WeightedPodAffinityTerm> anti =
        pod.getAffinity().getPodAntiAffinity().getPreferredDuringSchedulingIgnoredDuringExecution();
    assertThat(anti).singleElement().satisfies(t -> {
      assertThat(t.getPodAffinityTerm().getTopologyKey()).isEqualTo("kubernetes.io/hostname");
      assertThat(podLabels).containsAllEntriesOf(t.getPodAffinityTerm().getLabelSelector().getMatchLabels());
    });

    assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(pod.getSecurityContext().getRunAsUser()).isPositive();
    assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
    Container c = pod.getContainers().get(0);
    assertThat(pod.getContainers()).hasSize(1);
    SecurityContext sc = c.getSecurityContext();
    assertThat(sc.getRunAsNonRoot()).isTrue();
    assertThat(sc.getReadOnlyRootFilesystem()).isTrue();
    assertThat(sc.getAllowPrivilegeEscalation()).isFalse();
    assertThat(sc.getPrivileged()).isFalse();
    assertThat(sc.getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(sc.getCapabilities().getAdd()).isNullOrEmpty();
    assertThat(c.getVolumeMounts()).anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo("/tmp"));

    assertThat(c.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/healthz");
    assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/readyz");
    assertThat(c.getPorts()).singleElement().satisfies(p -> {
      assertThat(p.getName()).isEqualTo("http");
      assertThat(p.getContainerPort()).isEqualTo(8080);
    });
    assertThat(c.getResources().getRequests()).containsKeys("cpu", "memory");
    assertThat(c.getResources().getLimits()).containsKey("memory");
  }

  @Test
  void containerArgumentsAndVariablesAreOptionsTheApproverKnows() {
    Container c = one(Deployment.class).getSpec().getTemplate().getSpec().getContainers().get(0);
    Main main = new Main();
    new CommandLine(main).parseArgs(c.getArgs().toArray(String[]::new));
    assertThat(main.settings().leaseName()).isEqualTo("kcert-csr-approver");
    assertThat(main.httpPort).isEqualTo(8080);

    String known = java.util.Arrays.stream(Main.class.getDeclaredFields())
        .map(f -> f.getAnnotation(Option.class)).filter(o -> o != null).map(Option::defaultValue)
        .collect(Collectors.joining(" "));
    for (EnvVar env : c.getEnv()) {
      if (env.getName().startsWith("KCERT_APPROVER_")) {
        assertThat(known).as(env.getName()).contains("${env:" + env.getName() + ":");
      }
    }
    assertThat(c.getEnv()).extracting(EnvVar::getName).contains("POD_NAME", "POD_NAMESPACE");
  }
}
