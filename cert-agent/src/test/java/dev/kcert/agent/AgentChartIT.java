package dev.kcert.agent;

import static dev.kcert.kube.testing.Charts.all;
import static dev.kcert.kube.testing.Charts.one;
import static dev.kcert.kube.testing.Charts.parse;
import static dev.kcert.kube.testing.Charts.rule;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import dev.kcert.kube.testing.Charts;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * charts/kcert-agent, rendered by Helm's own template engine (helm-java, as the approver's chart
 * test) and every object parsed into fabric8's model classes. The few lines that render and pick
 * objects are written again rather than shared: this module may not depend on the approver's.
 */
class AgentChartIT {
  static final Path CHART = Path.of("..", "charts", "kcert-agent");
  static final Path EXAMPLES = Path.of("..", "examples", "deploy", "agent");
  static final String NS = "kube-system";
  static final String NAME = "kcert-agent";

  /** Flags whose value is empty by default, so their args line appears only once a value is set. */
  static final Set<String> OPTIONAL = Set.of("--node-name", "--kubeconfig", "--blocking-pod-selector",
      "--prometheus-url", "--alert-filter-regexp", "--notify-url");

  /** Values for every optional flag: then every flag but --node-name (the downward API's) has its line. */
  static final Map<String, Object> ALL_SET = Map.of(
      "agent.kubeconfig", "/etc/kcert/kubeconfig",
      "agent.blockingPodSelector", "app=etcd-backup",
      "agent.prometheusUrl", "http://prometheus.monitoring:9090",
      "agent.alertFilterRegexp", "^(Watchdog|KcertCertificateExpiresIn.*)$",
      "agent.notifyUrl", "https://hooks.example.com/kcert");

  static List<HasMetadata> render(Map<String, Object> set) {
    return Charts.render(CHART, NAME, NS, set);
  }

  static Container container(List<HasMetadata> objects) {
    return one(objects, DaemonSet.class).getSpec().getTemplate().getSpec().getContainers().get(0);
  }

  static Main parsed(List<String> args) {
    Main main = new Main();
    new CommandLine(main).parseArgs(args.toArray(String[]::new));
    // NODE_NAME comes from the downward API in the pod
    main.nodeName = "cp-1";
    return main;
  }

  static Set<String> flags() {
    Set<String> flags = new TreeSet<>();
    for (OptionSpec o : new CommandLine(new Main()).getCommandSpec().options()) {
      if (!o.usageHelp() && !o.versionHelp()) {
        flags.add(o.longestName());
      }
    }
    return flags;
  }

  static Set<String> given(List<String> args) {
    return args.stream().map(a -> a.replaceFirst("=.*", "")).collect(Collectors.toCollection(TreeSet::new));
  }

  @Test
  void lintsCleanInStrictMode() {
    LintResult lint = new Helm(CHART).lint().strict().call();
    assertThat(lint.isFailed()).as(String.join("\n", lint.getMessages())).isFalse();
  }

  @Test
  void defaultsRenderExactlyTheseObjects() {
    assertThat(render(Map.of()).stream()
            .map(o -> o.getKind() + "/" + o.getMetadata().getNamespace() + "/" + o.getMetadata().getName()))
        .containsExactlyInAnyOrder(
            "ServiceAccount/kube-system/kcert-agent",
            "Role/kube-system/kcert-agent-lease",
            "RoleBinding/kube-system/kcert-agent-lease",
            "Role/kube-system/kcert-agent-pods",
            "RoleBinding/kube-system/kcert-agent-pods",
            "ClusterRole/null/kcert-agent",
            "ClusterRoleBinding/null/kcert-agent",
            "Role/default/kcert-agent-events",
            "RoleBinding/default/kcert-agent-events",
            "DaemonSet/kube-system/kcert-agent");
  }

  /** The same rules as examples/deploy/agent/rbac.yaml, and nothing on Secrets or that writes pods. */
  @Test
  void rbacIsTheOneLeaseNodesMirrorPodsAndEvents() {
    List<HasMetadata> objects = render(Map.of());
    Map<String, List<PolicyRule>> roles = all(objects, Role.class).stream()
        .collect(Collectors.toMap(r -> r.getMetadata().getNamespace() + "/" + r.getMetadata().getName(), Role::getRules));
    assertThat(roles.get("kube-system/kcert-agent-lease")).containsExactly(
        rule("coordination.k8s.io", "leases", List.of("kcert-renewal"), "get", "update", "patch"),
        rule("coordination.k8s.io", "leases", List.of(), "create"));
    assertThat(roles.get("kube-system/kcert-agent-pods")).containsExactly(rule("", "pods", List.of(), "get", "list", "watch"));
    assertThat(roles.get("default/kcert-agent-events")).containsExactly(rule("", "events", List.of(), "create"));
    assertThat(one(objects, ClusterRole.class).getRules())
        .containsExactly(rule("", "nodes", List.of(), "get", "list", "watch", "patch"));

    // the union of the rules is the deploy folder's, so the two cannot drift apart
    Set<PolicyRule> chart = objects.stream().flatMap(AgentChartIT::rulesOf).collect(Collectors.toSet());
    assertThat(chart).isEqualTo(exampleRules());

    String sa = one(objects, ServiceAccount.class).getMetadata().getName();
    assertThat(one(objects, ClusterRoleBinding.class).getSubjects()).singleElement()
        .satisfies(s -> assertThat(s.getName() + "@" + s.getNamespace()).isEqualTo(sa + "@" + NS));
    List<RoleBinding> bindings = all(objects, RoleBinding.class);
    assertThat(bindings).hasSize(roles.size());
    for (RoleBinding rb : bindings) {
      assertThat(rb.getRoleRef().getKind()).isEqualTo("Role");
      assertThat(roles).containsKey(rb.getMetadata().getNamespace() + "/" + rb.getRoleRef().getName());
      assertThat(rb.getSubjects()).singleElement()
          .satisfies(s -> assertThat(s.getName() + "@" + s.getNamespace()).isEqualTo(sa + "@" + NS));
    }
  }

  static java.util.stream.Stream<PolicyRule> rulesOf(HasMetadata o) {
    List<PolicyRule> rules = o instanceof Role r ? r.getRules() : o instanceof ClusterRole cr ? cr.getRules() : List.of();
    for (PolicyRule r : rules) {
      assertThat(r.getResources()).doesNotContain("secrets", "*");
      assertThat(r.getVerbs()).doesNotContain("*", "delete", "deletecollection", "escalate", "bind", "impersonate");
      if (r.getResources().contains("pods")) {
        assertThat(r.getVerbs()).containsOnly("get", "list", "watch");
      }
    }
    return rules.stream();
  }

  static Set<PolicyRule> exampleRules() {
    try {
      return parse(Files.readString(EXAMPLES.resolve("rbac.yaml"))).stream().flatMap(AgentChartIT::rulesOf)
          .collect(Collectors.toSet());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void leaseRulesFollowTheLeaseAndConcurrencyAndPodRulesTheBlockingNamespace() {
    List<HasMetadata> objects = render(Map.of("agent.lease", "kcert/renewal", "agent.concurrency", "3",
        "agent.blockingPodSelector", "app=backup", "agent.blockingPodNamespace", "backups"));
    Map<String, List<PolicyRule>> roles = all(objects, Role.class).stream()
        .collect(Collectors.toMap(r -> r.getMetadata().getNamespace() + "/" + r.getMetadata().getName(), Role::getRules));
    assertThat(roles.keySet()).containsExactlyInAnyOrder("kcert/kcert-agent-lease", "kube-system/kcert-agent-pods",
        "backups/kcert-agent-pods", "default/kcert-agent-events");
    assertThat(roles.get("kcert/kcert-agent-lease")).first().isEqualTo(
        rule("coordination.k8s.io", "leases", List.of("renewal", "renewal-1", "renewal-2"), "get", "update", "patch"));
    assertThat(roles.get("backups/kcert-agent-pods")).containsExactly(rule("", "pods", List.of(), "get", "list", "watch"));
    // the agent takes exactly these Leases (AgentSettings)
    AgentSettings s = parsed(container(objects).getArgs()).settings();
    assertThat(s.leaseNamespace()).isEqualTo("kcert");
    assertThat(s.leaseName()).isEqualTo("renewal");
    assertThat(s.concurrency()).isEqualTo(3);
    assertThat(s.blockingPodNamespace()).isEqualTo("backups");
  }

  @Test
  void aLeaseThatIsNotNamespaceSlashNameFailsTheInstall() {
    assertThatThrownBy(() -> render(Map.of("agent.lease", "kcert-renewal")))
        .hasMessageContaining("agent.lease: expected NAMESPACE/NAME");
  }

  @Test
  void daemonSetRunsOnControlPlaneNodesWithTheHostsFoldersAsTightAsAPkiWriterCan() {
    List<HasMetadata> objects = render(Map.of());
    DaemonSet ds = one(objects, DaemonSet.class);
    assertThat(ds.getSpec().getTemplate().getMetadata().getLabels())
        .containsAllEntriesOf(ds.getSpec().getSelector().getMatchLabels());
    assertThat(ds.getSpec().getUpdateStrategy().getRollingUpdate().getMaxUnavailable().getIntVal()).isEqualTo(1);
    PodSpec pod = ds.getSpec().getTemplate().getSpec();
    assertThat(pod.getServiceAccountName()).isEqualTo(one(objects, ServiceAccount.class).getMetadata().getName());
    assertThat(pod.getPriorityClassName()).isEqualTo("system-node-critical");
    assertThat(pod.getNodeSelector()).containsExactly(Map.entry("node-role.kubernetes.io/control-plane", ""));
    assertThat(pod.getTolerations()).singleElement().satisfies(t -> {
      assertThat(t.getKey()).isEqualTo("node-role.kubernetes.io/control-plane");
      assertThat(t.getOperator()).isEqualTo("Exists");
      assertThat(t.getEffect()).isEqualTo("NoSchedule");
    });
    assertThat(pod.getHostNetwork()).isTrue();
    assertThat(pod.getDnsPolicy()).isEqualTo("ClusterFirstWithHostNet");
    assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
    assertThat(pod.getSecurityContext().getRunAsUser()).isEqualTo(0L);

    Map<String, String> hostPaths = pod.getVolumes().stream().filter(v -> v.getHostPath() != null)
        .collect(Collectors.toMap(Volume::getName, v -> v.getHostPath().getPath() + " " + v.getHostPath().getType()));
    assertThat(hostPaths).containsExactlyInAnyOrderEntriesOf(Map.of(
        "kubernetes", "/etc/kubernetes Directory",
        "kubelet-pki", "/var/lib/kubelet/pki Directory",
        "kubelet-config", "/var/lib/kubelet/config.yaml File"));
    Container c = pod.getContainers().get(0);
    assertThat(c.getImage()).isEqualTo("ghcr.io/kcert/kcert-agent:0.1.0");
    // mounted at the host's own paths: the static pod manifests name files by absolute path
    assertThat(c.getVolumeMounts().stream().collect(Collectors.toMap(VolumeMount::getName,
            m -> m.getMountPath() + (Boolean.TRUE.equals(m.getReadOnly()) ? " ro" : " rw"))))
        .containsExactlyInAnyOrderEntriesOf(Map.of(
            "kubernetes", "/etc/kubernetes rw",
            "kubelet-pki", "/var/lib/kubelet/pki rw",
            "kubelet-config", "/var/lib/kubelet/config.yaml ro",
            "tmp", "/tmp rw"));
    assertThat(c.getEnv()).anySatisfy(e -> {
      assertThat(e.getName()).isEqualTo("NODE_NAME");
      assertThat(e.getValueFrom().getFieldRef().getFieldPath()).isEqualTo("spec.nodeName");
    });
    Map<String, String> env = c.getEnv().stream().filter(e -> e.getValue() != null)
        .collect(Collectors.toMap(e -> e.getName(), e -> e.getValue()));
    // bench/run's peak resident memory figure is only the chart's if both run the same JVM
    assertThat(env).containsEntry("JAVA_TOOL_OPTIONS", RolloutBench.JVM_OPTIONS).containsEntry("MALLOC_ARENA_MAX", "2");
    assertThat(c.getResources().getRequests().get("memory").toString()).isEqualTo("128Mi");
    assertThat(c.getResources().getLimits().get("memory").toString()).isEqualTo("160Mi");

    SecurityContext sc = c.getSecurityContext();
    assertThat(sc.getPrivileged()).isFalse();
    assertThat(sc.getAllowPrivilegeEscalation()).isFalse();
    assertThat(sc.getReadOnlyRootFilesystem()).isTrue();
    assertThat(sc.getCapabilities().getDrop()).containsExactly("ALL");
    // root-owned 0600 files: read, replace, keep owner and mode; nothing else of root's
    assertThat(sc.getCapabilities().getAdd()).containsExactlyInAnyOrder("DAC_OVERRIDE", "CHOWN", "FOWNER");

    assertThat(c.getPorts()).singleElement().satisfies(p -> {
      assertThat(p.getName()).isEqualTo("metrics");
      assertThat(p.getContainerPort()).isEqualTo(9794);
    });
    assertThat(c.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/healthz");
    assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/readyz");
    assertThat(c.getLivenessProbe().getHttpGet().getPort().getStrVal()).isEqualTo("metrics");
  }

  @Test
  void aCertDirOutsideTheKubeconfigDirGetsItsOwnMount() {
    List<HasMetadata> objects = render(Map.of("agent.certDir", "/srv/pki"));
    PodSpec pod = one(objects, DaemonSet.class).getSpec().getTemplate().getSpec();
    assertThat(pod.getVolumes()).anySatisfy(v -> {
      assertThat(v.getName()).isEqualTo("pki");
      assertThat(v.getHostPath().getPath()).isEqualTo("/srv/pki");
    });
    assertThat(pod.getContainers().get(0).getVolumeMounts()).anySatisfy(m -> {
      assertThat(m.getName()).isEqualTo("pki");
      assertThat(m.getMountPath()).isEqualTo("/srv/pki");
    });
    assertThat(parsed(pod.getContainers().get(0).getArgs()).settings().layout().certDir()).isEqualTo(Path.of("/srv/pki"));
  }

  /** Every option of the agent has its args line: by default all but the empty ones, once set all but --node-name. */
  @Test
  void argsCoverEveryFlagAndParse() {
    Set<String> flags = flags();
    assertThat(flags).hasSizeGreaterThan(20);
    List<String> defaults = container(render(Map.of())).getArgs();
    Set<String> expected = new TreeSet<>(flags);
    expected.removeAll(OPTIONAL);
    assertThat(given(defaults)).isEqualTo(expected);

    List<String> all = container(render(ALL_SET)).getArgs();
    expected = new TreeSet<>(flags);
    expected.remove("--node-name");
    assertThat(given(all)).isEqualTo(expected);
    Main m = parsed(all);
    AgentSettings s = m.settings();
    assertThat(s.prometheus()).hasToString("http://prometheus.monitoring:9090");
    assertThat(s.notifyUrl()).hasToString("https://hooks.example.com/kcert");
    assertThat(s.blockingPodSelector()).isEqualTo("app=etcd-backup");
    assertThat(s.alertFilter().matcher("Watchdog").matches()).isTrue();
    assertThat(m.kubeconfig).isEqualTo(Path.of("/etc/kcert/kubeconfig"));
  }

  /** Installed with no values, the chart runs the agent exactly as its own defaults would. */
  @Test
  void chartDefaultsAreTheAgentsDefaults() {
    CommandLine bare = new CommandLine(new Main());
    bare.parseArgs();
    CommandLine charted = new CommandLine(new Main());
    charted.parseArgs(container(render(Map.of())).getArgs().toArray(String[]::new));
    int compared = 0;
    for (OptionSpec o : bare.getCommandSpec().options()) {
      String flag = o.longestName();
      if (o.usageHelp() || o.versionHelp() || flag.equals("--node-name")) {
        continue;
      }
      assertThat((Object) charted.getCommandSpec().findOption(flag).getValue()).as(flag).isEqualTo(o.getValue());
      compared++;
    }
    assertThat(compared).isEqualTo(flags().size() - 1);
  }

  @Test
  void valuesReachTheAgent() {
    List<String> args = container(render(Map.ofEntries(
        Map.entry("agent.renewBefore", "45d"),
        Map.entry("agent.leaseTtl", "5m"),
        Map.entry("agent.checkInterval", "1h"),
        Map.entry("agent.restartTimeout", "8m"),
        Map.entry("agent.dryRun", "true"),
        Map.entry("agent.days[0]", "mon"),
        Map.entry("agent.days[1]", "tue"),
        Map.entry("agent.startTime", "09:00"),
        Map.entry("agent.endTime", "16:00"),
        Map.entry("agent.timeZone", "Europe/Berlin"),
        Map.entry("agent.httpPort", "9800"),
        Map.entry("agent.logFormat", "json")))).getArgs();
    assertThat(args).contains("--renew-before=45d", "--dry-run=true", "--days=mon,tue", "--start-time=09:00",
        "--time-zone=Europe/Berlin", "--http-port=9800", "--log-format=json", "--once=false");
    Main m = parsed(args);
    AgentSettings s = m.settings();
    assertThat(s.renewBefore()).isEqualTo(Duration.ofDays(45));
    assertThat(s.leaseTtl()).isEqualTo(Duration.ofMinutes(5));
    assertThat(s.checkInterval()).isEqualTo(Duration.ofHours(1));
    assertThat(s.restartTimeout()).isEqualTo(Duration.ofMinutes(8));
    assertThat(s.dryRun()).isTrue();
    assertThat(m.once).isFalse();
    assertThat(m.days).containsExactly("mon", "tue");
    assertThat(m.httpPort).isEqualTo(9800);
  }

  @Test
  void monitoringObjectsOnRequestWithTheDeployFoldersAlerts() throws Exception {
    List<HasMetadata> objects = render(Map.of("serviceMonitor.enabled", "true", "prometheusRule.enabled", "true"));
    Service svc = one(objects, Service.class);
    DaemonSet ds = one(objects, DaemonSet.class);
    assertThat(svc.getSpec().getClusterIP()).isEqualTo("None");
    assertThat(svc.getSpec().getSelector()).isEqualTo(ds.getSpec().getSelector().getMatchLabels());
    assertThat(svc.getSpec().getPorts()).singleElement().satisfies(p -> {
      assertThat(p.getName()).isEqualTo("metrics");
      assertThat(p.getTargetPort().getStrVal()).isEqualTo("metrics");
    });
    List<GenericKubernetesResource> crs = all(objects, GenericKubernetesResource.class);
    assertThat(crs).extracting(HasMetadata::getKind).containsExactlyInAnyOrder("ServiceMonitor", "PrometheusRule");
    GenericKubernetesResource sm = crs.stream().filter(r -> r.getKind().equals("ServiceMonitor")).findFirst().orElseThrow();
    assertThat(sm.<Map<String, String>>get("spec", "selector", "matchLabels")).isEqualTo(svc.getMetadata().getLabels()
        .entrySet().stream().filter(e -> ds.getSpec().getSelector().getMatchLabels().containsKey(e.getKey()))
        .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)));
    assertThat(sm.<String>get("spec", "endpoints", 0, "port")).isEqualTo("metrics");
    assertThat(sm.<String>get("spec", "endpoints", 0, "path")).isEqualTo("/metrics");
    GenericKubernetesResource rule = crs.stream().filter(r -> r.getKind().equals("PrometheusRule")).findFirst().orElseThrow();
    GenericKubernetesResource example = (GenericKubernetesResource)
        Serialization.unmarshal(Files.readString(EXAMPLES.resolve("prometheusrule.yaml")), KubernetesResource.class);
    // the same groups, alerts, expressions and templated annotations, word for word
    assertThat(rule.getAdditionalProperties().get("spec")).isEqualTo(example.getAdditionalProperties().get("spec"));
    List<Map<String, Object>> rules = rule.get("spec", "groups", 0, "rules");
    assertThat(rules).extracting(r -> r.get("alert")).contains("KcertCertificateExpiresIn28Days",
        "KcertCertificateExpiresIn14Days", "KcertServedCertificateDiffersFromDisk", "KcertRenewalRolloutFailed");
    assertThat(rule.<String>get("spec", "groups", 0, "rules", 0, "annotations", "summary")).contains("{{ $labels.subject_CN }}");
  }
}
