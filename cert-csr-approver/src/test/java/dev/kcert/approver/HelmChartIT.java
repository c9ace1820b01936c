package dev.kcert.approver;

import static dev.kcert.kube.testing.Charts.one;
import static dev.kcert.kube.testing.Charts.rule;
import static org.assertj.core.api.Assertions.assertThat;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import dev.kcert.core.approval.KeyPolicy;
import dev.kcert.kube.testing.Charts;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The Helm chart, rendered by Helm's own template engine (helm-java: Helm's Go code as a native
 * library, so no helm binary is needed) and every object parsed into fabric8's model classes.
 */
class HelmChartIT {
  static final Path CHART = Path.of("..", "charts", "kcert-csr-approver");
  static final String NS = "certs";
  static final String NAME = "kcert-csr-approver";

  static List<HasMetadata> render(Map<String, Object> set) {
    return Charts.render(CHART, NAME, NS, set);
  }

  static Map<String, Object> values(String... keysAndValues) {
    Map<String, Object> m = new java.util.LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      m.put(keysAndValues[i], keysAndValues[i + 1]);
    }
    return m;
  }

  @Test
  void lintsCleanInStrictMode() {
    LintResult lint = new Helm(CHART).lint().strict().call();
    assertThat(lint.isFailed()).as(String.join("\n", lint.getMessages())).isFalse();
  }

  @Test
  void defaultsRenderExactlyTheseObjects() {
    List<HasMetadata> objects = render(Map.of());
    assertThat(objects.stream().map(o -> o.getKind() + "/" + o.getMetadata().getNamespace() + "/" + o.getMetadata().getName()))
        .containsExactlyInAnyOrder(
            "ServiceAccount/certs/kcert-csr-approver",
            "ClusterRole/null/kcert-csr-approver",
            "ClusterRoleBinding/null/kcert-csr-approver",
            "Role/certs/kcert-csr-approver-leader-election",
            "RoleBinding/certs/kcert-csr-approver-leader-election",
            "Role/default/kcert-csr-approver-events",
            "RoleBinding/default/kcert-csr-approver-events",
            "Role/kube-system/kcert-csr-approver-kubeadm-config",
            "RoleBinding/kube-system/kcert-csr-approver-kubeadm-config",
            "Deployment/certs/kcert-csr-approver",
            "PodDisruptionBudget/certs/kcert-csr-approver",
            "Service/certs/kcert-csr-approver");
  }

  @Test
  void rbacGrantsOnlyWhatTheApproverUsesAndEventsOnlyWhereItWritesThem() {
    List<HasMetadata> objects = render(Map.of());
    assertThat(one(objects, ClusterRole.class).getRules()).containsExactly(
        rule("certificates.k8s.io", "certificatesigningrequests", List.of(), "get", "list", "watch"),
        rule("certificates.k8s.io", "certificatesigningrequests/approval", List.of(), "update"),
        rule("certificates.k8s.io", "signers", List.of("kubernetes.io/kubelet-serving"), "approve"),
        rule("", "nodes", List.of(), "get", "list", "watch"));
    List<Role> roles = objects.stream().filter(Role.class::isInstance).map(Role.class::cast).toList();
    Role lease = roles.stream().filter(r -> r.getMetadata().getName().endsWith("leader-election")).findFirst().orElseThrow();
    assertThat(lease.getRules()).containsExactly(
        rule("coordination.k8s.io", "leases", List.of(), "create"),
        rule("coordination.k8s.io", "leases", List.of(NAME), "get", "update", "patch"));
    Role events = roles.stream().filter(r -> r.getMetadata().getName().endsWith("events")).findFirst().orElseThrow();
    // the API server takes events about cluster-scoped objects in "default" only (Settings)
    assertThat(events.getMetadata().getNamespace()).isEqualTo(Settings.EVENT_NAMESPACE);
    assertThat(events.getRules()).containsExactly(rule("", "events", List.of(), "create"));
    Role kubeadm = roles.stream().filter(r -> r.getMetadata().getName().endsWith("kubeadm-config")).findFirst().orElseThrow();
    // the approver reads and watches this one ConfigMap by name (ClusterNames), nothing else there
    assertThat(kubeadm.getMetadata().getNamespace()).isEqualTo("kube-system");
    assertThat(kubeadm.getRules()).containsExactly(rule("", "configmaps", List.of("kubeadm-config"), "get", "watch"));
    String sa = one(objects, ServiceAccount.class).getMetadata().getName();
    assertThat(one(objects, ClusterRoleBinding.class).getSubjects()).singleElement()
        .satisfies(s -> assertThat(s.getName() + "@" + s.getNamespace()).isEqualTo(sa + "@" + NS));
    for (RoleBinding rb : objects.stream().filter(RoleBinding.class::isInstance).map(RoleBinding.class::cast).toList()) {
      assertThat(rb.getRoleRef().getKind()).isEqualTo("Role");
      assertThat(roles.stream().map(r -> r.getMetadata().getName() + "@" + r.getMetadata().getNamespace()))
          .contains(rb.getRoleRef().getName() + "@" + rb.getMetadata().getNamespace());
      assertThat(rb.getSubjects()).singleElement()
          .satisfies(s -> assertThat(s.getName() + "@" + s.getNamespace()).isEqualTo(sa + "@" + NS));
    }
  }

  @Test
  void deploymentIsTwoRestrictedReplicasWithProbesAndPriority() {
    List<HasMetadata> objects = render(Map.of());
    Deployment d = one(objects, Deployment.class);
    assertThat(d.getSpec().getReplicas()).isEqualTo(2);
    assertThat(d.getSpec().getTemplate().getMetadata().getLabels())
        .containsAllEntriesOf(d.getSpec().getSelector().getMatchLabels());
    PodSpec pod = d.getSpec().getTemplate().getSpec();
    assertThat(pod.getPriorityClassName()).isEqualTo("system-cluster-critical");
    assertThat(pod.getServiceAccountName()).isEqualTo(one(objects, ServiceAccount.class).getMetadata().getName());
    PodSecurityContext psc = pod.getSecurityContext();
    assertThat(psc.getRunAsNonRoot()).isTrue();
    assertThat(psc.getRunAsUser()).isEqualTo(65532L);
    assertThat(psc.getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
    Container c = pod.getContainers().get(0);
    assertThat(c.getImage()).isEqualTo("ghcr.io/kcert/kcert-csr-approver:0.1.0");
    SecurityContext sc = c.getSecurityContext();
    assertThat(sc.getAllowPrivilegeEscalation()).isFalse();
    assertThat(sc.getReadOnlyRootFilesystem()).isTrue();
    assertThat(sc.getRunAsNonRoot()).isTrue();
    assertThat(sc.getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(c.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/healthz");
    assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/readyz");
    assertThat(c.getLivenessProbe().getHttpGet().getPort().getStrVal()).isEqualTo("http");
    assertThat(c.getPorts()).singleElement().satisfies(p -> {
      assertThat(p.getName()).isEqualTo("http");
      assertThat(p.getContainerPort()).isEqualTo(8080);
    });
    PodDisruptionBudget pdb = one(objects, PodDisruptionBudget.class);
    assertThat(pdb.getSpec().getMinAvailable().getIntVal()).isEqualTo(1);
    assertThat(pdb.getSpec().getSelector().getMatchLabels()).isEqualTo(d.getSpec().getSelector().getMatchLabels());
    Service svc = one(objects, Service.class);
    assertThat(svc.getSpec().getSelector()).isEqualTo(d.getSpec().getSelector().getMatchLabels());
    assertThat(svc.getSpec().getPorts().get(0).getTargetPort().getStrVal()).isEqualTo("http");
  }

  /** The rendered args name every option of the approver, and the approver accepts them. */
  @Test
  void argsCoverEveryFlagAndParse() {
    Container c = one(render(Map.of()), Deployment.class).getSpec().getTemplate().getSpec().getContainers().get(0);
    List<String> args = c.getArgs();
    Set<String> given = args.stream().map(a -> a.replaceFirst("=.*", "")).collect(Collectors.toCollection(TreeSet::new));
    CommandLine cl = new CommandLine(new Main());
    Set<String> flags = new TreeSet<>();
    for (OptionSpec o : cl.getCommandSpec().options()) {
      if (!o.usageHelp() && !o.versionHelp()) {
        flags.add(o.longestName());
      }
    }
    // --identity comes from POD_NAME; the strings only when set; the lists when not empty
    flags.removeAll(OPTIONAL);
    assertThat(given).containsAll(flags);
    cl.parseArgs(args.toArray(String[]::new));
    Settings s = ((Main) cl.getCommand()).settings();
    assertThat(s.leaseNamespace()).isEqualTo(NS);
    assertThat(s.leaseName()).isEqualTo(NAME);
    assertThat(s.dryRun()).isFalse();
  }

  /** Flags whose value is empty by default, so their args line appears only once a value is set. */
  static final Set<String> OPTIONAL = Set.of("--identity", "--kubeconfig", "--allowed-dns-pattern",
      "--allowed-ip-range", "--node-dns-pattern", "--node-ip-ranges", "--service-cidr", "--cluster-domain",
      "--control-plane-endpoint", "--api-server-cert-sans");

  /** Values for every optional flag: then every flag but --identity has its args line. */
  static final Map<String, Object> ALL_SET = Map.ofEntries(
      Map.entry("approver.kubeconfig", "/etc/kcert/kubeconfig"),
      Map.entry("approver.allowedDnsPatterns[0]", "[a-z]+[.]edge[.]example[.]com"),
      Map.entry("approver.allowedIpRanges[0]", "10.0.0.0/8"),
      Map.entry("approver.nodeDnsPattern", "[a-z0-9-]+[.]nodes[.]example[.]com"),
      Map.entry("approver.nodeIpRanges[0]", "192.168.0.0/16"),
      Map.entry("approver.nodeIpRanges[1]", "fd00::/8"),
      Map.entry("approver.serviceCidr[0]", "10.112.0.0/12"),
      Map.entry("approver.serviceCidr[1]", "fd01::/108"),
      Map.entry("approver.clusterDomain", "corp.internal"),
      Map.entry("approver.controlPlaneEndpoint", "api.example.com:6443"),
      Map.entry("approver.apiServerCertSans[0]", "api.example.com"),
      Map.entry("approver.apiServerCertSans[1]", "10.0.0.100"));

  static Container container(Map<String, Object> set) {
    return one(render(set), Deployment.class).getSpec().getTemplate().getSpec().getContainers().get(0);
  }

  static Set<String> flagsOf(CommandLine cl) {
    Set<String> flags = new TreeSet<>();
    for (OptionSpec o : cl.getCommandSpec().options()) {
      if (!o.usageHelp() && !o.versionHelp()) {
        flags.add(o.longestName());
      }
    }
    return flags;
  }

  @Test
  void everyOptionalFlagHasItsLineOnceSet() {
    List<String> args = container(ALL_SET).getArgs();
    Set<String> given = args.stream().map(a -> a.replaceFirst("=.*", "")).collect(Collectors.toCollection(TreeSet::new));
    CommandLine cl = new CommandLine(new Main());
    Set<String> flags = flagsOf(cl);
    flags.remove("--identity");
    assertThat(given).containsAll(flags);
    cl.parseArgs(args.toArray(String[]::new));
    Settings s = ((Main) cl.getCommand()).settings();
    Settings.NameFlags names = s.names();
    assertThat(names.serviceCidrs().orElseThrow()).extracting(Object::toString)
        .containsExactly("10.112.0.0/12", "fd01::/108");
    assertThat(names.clusterDomain()).contains("corp.internal");
    assertThat(names.controlPlaneEndpoint()).contains("api.example.com:6443");
    assertThat(names.apiServerCertSans().orElseThrow()).containsExactly("api.example.com", "10.0.0.100");
    Main m = (Main) cl.getCommand();
    assertThat(m.nodeIpRanges).containsExactly("192.168.0.0/16", "fd00::/8");
    assertThat(m.nodeDnsPattern).isEqualTo("[a-z0-9-]+[.]nodes[.]example[.]com");
  }

  /** Installed with no values, the chart runs the approver exactly as its own defaults would. */
  @Test
  void chartDefaultsAreTheApproversDefaults() {
    CommandLine bare = new CommandLine(new Main());
    bare.parseArgs();
    CommandLine charted = new CommandLine(new Main());
    charted.parseArgs(container(Map.of()).getArgs().toArray(String[]::new));
    int compared = 0;
    for (OptionSpec o : bare.getCommandSpec().options()) {
      String flag = o.longestName();
      // the Lease's namespace and name follow the release; --identity is unique per process
      if (o.usageHelp() || o.versionHelp() || Set.of("--lease-namespace", "--lease-name", "--identity").contains(flag)) {
        continue;
      }
      Object chart = charted.getCommandSpec().findOption(flag).getValue();
      assertThat(chart).as(flag).isEqualTo(o.getValue());
      compared++;
    }
    assertThat(compared).isGreaterThan(30);
  }

  @Test
  void kubeadmConfigRoleOnlyWhenItIsRead() {
    List<HasMetadata> objects = render(Map.of("approver.readKubeadmConfig", "false"));
    assertThat(objects).noneMatch(o -> "kube-system".equals(o.getMetadata().getNamespace()));
    Container c = one(objects, Deployment.class).getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(c.getArgs()).contains("--read-kubeadm-config=false");
    CommandLine cl = new CommandLine(new Main());
    cl.parseArgs(c.getArgs().toArray(String[]::new));
    assertThat(((Main) cl.getCommand()).settings().names().readKubeadmConfig()).isFalse();
  }

  @Test
  void valuesReachTheApprover() {
    Container c = one(render(values(
            "approver.dryRun", "true",
            "approver.allowedDnsPatterns[0]", ".*\\.nodes\\.example\\.com",
            "approver.allowedIpRanges[0]", "10.0.0.0/8",
            "approver.kubeconfig", "/etc/kcert/kubeconfig",
            "approver.minRsaBits", "3072",
            "approver.ecdsaCurves[0]", "P-256",
            "approver.skipDeny", "true",
            "approver.verifyDns", "true",
            "approver.dnsTimeout", "5s",
            "approver.nodeRequestLimit", "40",
            "approver.logFormat", "json")),
        Deployment.class).getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(c.getArgs()).contains("--dry-run=true", "--allowed-ip-range=10.0.0.0/8",
        "--kubeconfig=/etc/kcert/kubeconfig", "--min-rsa-bits=3072", "--ecdsa-curves=P-256", "--skip-deny=true",
        "--verify-dns=true", "--dns-timeout=5s", "--node-request-limit=40", "--log-format=json");
    CommandLine cl = new CommandLine(new Main());
    cl.parseArgs(c.getArgs().toArray(String[]::new));
    Settings s = ((Main) cl.getCommand()).settings();
    assertThat(s.dryRun()).isTrue();
    assertThat(s.skipDeny()).isTrue();
    assertThat(s.dnsTimeout()).hasSeconds(5);
    assertThat(((Main) cl.getCommand()).ecdsaCurves).containsExactly("P-256");
  }

  @Test
  void emptyCurveListRefusesEcdsa(@TempDir Path dir) throws Exception {
    Path values = Files.writeString(dir.resolve("values.yaml"), "approver:\n  ecdsaCurves: []\n");
    String yaml = new Helm(CHART).template().withName(NAME).withNamespace(NS).withKubeVersion("v1.31.0")
        .withValuesFile(values).call();
    List<String> args = yaml.lines().map(String::strip).filter(l -> l.startsWith("- \"--ecdsa-curves="))
        .map(l -> l.substring(3, l.length() - 1)).toList();
    assertThat(args).contains("--ecdsa-curves=none");
    CommandLine cl = new CommandLine(new Main());
    cl.parseArgs(args.toArray(String[]::new));
    KeyPolicy keys = ((Main) cl.getCommand()).settings().policy().keyPolicy();
    assertThat(keys.ecCurves()).isEmpty();
    assertThat(keys.minRsaBits()).isEqualTo(2048);
  }

  @Test
  void monitoringObjectsOnRequest() {
    List<HasMetadata> objects = render(Map.of("serviceMonitor.enabled", "true", "prometheusRule.enabled", "true",
        "podDisruptionBudget.enabled", "false", "priorityClassName", ""));
    assertThat(objects).noneMatch(PodDisruptionBudget.class::isInstance);
    assertThat(one(objects, Deployment.class).getSpec().getTemplate().getSpec().getPriorityClassName()).isNull();
    List<GenericKubernetesResource> crs = objects.stream().filter(GenericKubernetesResource.class::isInstance)
        .map(GenericKubernetesResource.class::cast).toList();
    assertThat(crs).extracting(HasMetadata::getKind).containsExactlyInAnyOrder("ServiceMonitor", "PrometheusRule");
    GenericKubernetesResource sm = crs.stream().filter(r -> r.getKind().equals("ServiceMonitor")).findFirst().orElseThrow();
    assertThat(sm.<String>get("spec", "endpoints", 0, "port")).isEqualTo("http");
    assertThat(sm.<String>get("spec", "endpoints", 0, "path")).isEqualTo("/metrics");
    GenericKubernetesResource rule = crs.stream().filter(r -> r.getKind().equals("PrometheusRule")).findFirst().orElseThrow();
    List<Map<String, Object>> rules = rule.get("spec", "groups", 0, "rules");
    assertThat(rules).extracting(r -> r.get("alert"))
        .containsExactly("KcertApproverNoLeader", "KcertApproverWriteErrors", "KcertApproverFloodGuard");
    assertThat(rules).allSatisfy(r -> assertThat((String) r.get("expr")).contains("kcert_approver_"));
    // the per-node flood guard's gauge (Metrics)
    assertThat((String) rules.get(2).get("expr")).contains("kcert_approver_flood_guard_nodes{");
  }
}
