package dev.kcert.core.approval;

import static dev.kcert.core.approval.ApprovalPolicyTest.CREATED;
import static dev.kcert.core.approval.ApprovalPolicyTest.DS_SA;
import static dev.kcert.core.approval.ApprovalPolicyTest.NOW;
import static dev.kcert.core.approval.ApprovalPolicyTest.csr;
import static dev.kcert.core.approval.ApprovalPolicyTest.nodeA;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kcert.core.csr.KubeletCsrs;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Reserved names and addresses, and the options that narrow what a node may ask for. A node
 * writes its own {@code status.addresses}: every test node here claims the SAN it asks for.
 */
class RestrictionsTest {

  /** A node that wrote everything it asks for into its own status. */
  static NodeInfo claiming(List<String> dns, List<String> ips) {
    List<NodeInfo.Address> a = new ArrayList<>();
    a.add(new NodeInfo.Address("Hostname", "node-a"));
    a.add(new NodeInfo.Address("InternalIP", "10.0.0.11"));
    dns.forEach(d -> a.add(new NodeInfo.Address("InternalDNS", d)));
    ips.forEach(i -> a.add(new NodeInfo.Address("ExternalIP", i)));
    return new NodeInfo("node-a", a);
  }

  static Decision judge(PolicyConfig cfg, KubeletCsrs req, NodeInfo node) {
    return new ApprovalPolicy(cfg).judge(csr(req.pem(), DS_SA), Optional.of(node), FloodGuard.Status.OFF, NOW);
  }

  static Decision judgeDns(PolicyConfig cfg, String dns, Function<String, DnsAnswer> resolver) {
    return new ApprovalPolicy(cfg).judge(csr(nodeA().dns(dns).pem(), DS_SA),
        Optional.of(claiming(List.of(dns), List.of())), FloodGuard.Status.OFF, resolver, NOW);
  }

  static ReservedNames fromKubeadm() {
    KubeadmClusterConfig k = KubeadmClusterConfig.parse(KubeadmClusterConfigTest.KUBEADM, "test");
    return new ReservedNames(
        k.serviceSubnets().stream().map(Cidr::parse).toList(), k.dnsDomain().orElseThrow(),
        k.controlPlaneHost(), k.certSans());
  }

  // ------------------------------------------------------------- reserved, denied

  static Stream<Arguments> reservedNames() {
    return Stream.of(
        Arguments.of("kubernetes", "it names the kubernetes Service (the API server)"),
        Arguments.of("kubernetes.default", "it names the kubernetes Service (the API server)"),
        Arguments.of("Kubernetes.Default.Svc.", "it names the kubernetes Service (the API server)"),
        Arguments.of("kubernetes.default.svc.cluster.local", "names under svc.cluster.local are Service names"),
        Arguments.of("metrics.kube-system.svc", "names under svc are Service names"),
        Arguments.of("anything.cluster.local", "names under the cluster domain cluster.local belong to the cluster"),
        Arguments.of("cluster.local", "names under the cluster domain cluster.local belong to the cluster"),
        Arguments.of("*.example.com", "wildcards are never approved"),
        Arguments.of("node-*", "wildcards are never approved"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("reservedNames")
  void reservedNamesAreDeniedWhateverTheNodeClaims(String name, String rule) {
    Decision d = judge(PolicyConfig.defaults(), nodeA().dns("node-a", name), claiming(List.of(name), List.of()));
    assertThat(d).isEqualTo(new Decision.Deny(DenyReason.RESERVED_NAME, "DNS SAN " + name + " is reserved: " + rule));
  }

  static Stream<Arguments> reservedAddresses() {
    return Stream.of(
        Arguments.of("10.96.0.1", "10.96.0.1", "it lies in the service CIDR 10.96.0.0/12"),
        Arguments.of("10.111.255.254", "10.111.255.254", "it lies in the service CIDR 10.96.0.0/12"),
        Arguments.of("::ffff:10.96.0.1", "10.96.0.1", "it lies in the service CIDR 10.96.0.0/12"),
        Arguments.of("127.0.0.1", "127.0.0.1", "it is a loopback address"),
        Arguments.of("127.9.9.9", "127.9.9.9", "it is a loopback address"),
        Arguments.of("::1", "::1", "it is a loopback address"),
        Arguments.of("::ffff:127.0.0.1", "127.0.0.1", "it is a loopback address"),
        Arguments.of("0.0.0.0", "0.0.0.0", "it is an unspecified address"),
        Arguments.of("::", "::", "it is an unspecified address"),
        Arguments.of("169.254.169.254", "169.254.169.254", "it is a link-local address (cloud metadata lives there)"),
        Arguments.of("::ffff:169.254.169.254", "169.254.169.254",
            "it is a link-local address (cloud metadata lives there)"),
        Arguments.of("::169.254.169.254", "::a9fe:a9fe",
            "it is a link-local address (cloud metadata lives there) (IPv4 169.254.169.254 written as IPv6)"),
        Arguments.of("fe80::1", "fe80::1", "it is a link-local address (cloud metadata lives there)"),
        Arguments.of("224.0.0.1", "224.0.0.1", "it is a multicast address"),
        Arguments.of("ff02::1", "ff02::1", "it is a multicast address"),
        Arguments.of("255.255.255.255", "255.255.255.255", "it is the broadcast address"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("reservedAddresses")
  void reservedAddressesAreDeniedWhateverTheNodeClaims(String ip, String shown, String rule) {
    Decision d = judge(PolicyConfig.defaults(), nodeA().dns("node-a").ip(ip), claiming(List.of(), List.of(ip)));
    assertThat(d).isEqualTo(
        new Decision.Deny(DenyReason.RESERVED_ADDRESS, "IP SAN " + shown + " is reserved: " + rule));
  }

  @Test
  void reservedEvenWhenAnOperatorRangeOrPatternAllowsIt() {
    PolicyConfig wide = PolicyConfig.defaults().withAllowed(
        List.of(PolicyConfig.dnsPattern(".*")), List.of(Cidr.parse("0.0.0.0/0")));
    assertThat(judge(wide, nodeA().ip("10.96.0.1"), claiming(List.of(), List.of())).reason())
        .isEqualTo("ReservedAddress");
    assertThat(judge(wide, nodeA().dns("kubernetes.default.svc"), claiming(List.of(), List.of())).reason())
        .isEqualTo("ReservedName");
  }

  @Test
  void kubeadmConfigReservesItsServiceSubnetsDomainEndpointAndCertSans() {
    PolicyConfig cfg = PolicyConfig.defaults().withReserved(fromKubeadm());
    record Case(String dns, String ip, String message) {}
    List<Case> cases = List.of(
        new Case(null, "10.112.0.1", "IP SAN 10.112.0.1 is reserved: it lies in the service CIDR 10.112.0.0/12"),
        new Case(null, "fd00:10:96::1", "IP SAN fd00:10:96::1 is reserved: it lies in the service CIDR fd00:10:96::/112"),
        new Case("api.svc.corp.internal", null, "DNS SAN api.svc.corp.internal is reserved: names under svc.corp.internal are Service names"),
        new Case("x.corp.internal", null, "DNS SAN x.corp.internal is reserved: names under the cluster domain corp.internal belong to the cluster"),
        new Case("cp.example.com", null, "DNS SAN cp.example.com is reserved: it is the control-plane endpoint"),
        new Case("K8S.example.com.", null, "DNS SAN K8S.example.com. is reserved: it is one of the API server's certSANs"),
        new Case(null, "192.0.2.10", "IP SAN 192.0.2.10 is reserved: it is one of the API server's certSANs"));
    for (Case c : cases) {
      KubeletCsrs req = c.dns() != null ? nodeA().dns(c.dns()) : nodeA().ip(c.ip());
      NodeInfo node = claiming(c.dns() != null ? List.of(c.dns()) : List.of(), c.ip() != null ? List.of(c.ip()) : List.of());
      assertThat(judge(cfg, req, node).message()).as(c.toString()).isEqualTo(c.message());
    }
  }

  // ------------------------------------------------------------- reserved, allowed

  static Stream<Arguments> ordinaryAddresses() {
    return Stream.of(
        Arguments.of("node-a.cluster.internal", "10.95.255.255"),
        Arguments.of("node-a.svc-east.example.com", "10.112.0.1"),
        Arguments.of("kubernetes-worker-1", "192.168.1.10"),
        Arguments.of("node-a.local", "169.253.0.1"),
        Arguments.of("svc.node-a.example.com", "fd00::11"),
        Arguments.of("cluster.local.example.com", "2001:db8::11"),
        Arguments.of("node-a.example.com", "::ffff:192.168.1.10"));
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("ordinaryAddresses")
  void ordinaryNodeAddressesNextToReservedOnesAreApproved(String dns, String ip) {
    Decision d = judge(PolicyConfig.defaults(), nodeA().dns(dns).ip(ip), claiming(List.of(dns), List.of(ip)));
    assertThat(d).isInstanceOf(Decision.Approve.class);
  }

  @Test
  void aClusterDomainOtherThanTheDefaultFreesClusterLocalForNodes() {
    PolicyConfig cfg = PolicyConfig.defaults().withReserved(fromKubeadm());
    assertThat(judge(cfg, nodeA().dns("n.cluster.local").ip("10.96.0.1"),
        claiming(List.of("n.cluster.local"), List.of("10.96.0.1")))).isInstanceOf(Decision.Approve.class);
  }

  // ------------------------------------------------------------- restricting options

  @Test
  void nodeDnsPatternMustMatchEveryDnsSanEvenOwnedOnes() {
    PolicyConfig cfg = PolicyConfig.defaults().withRestrictions(
        Optional.of(PolicyConfig.dnsPattern("[a-z0-9-]+\\.nodes\\.example\\.net")), List.of(), false, 10);
    NodeInfo node = claiming(List.of("node-a.nodes.example.net", "evil.example.com"), List.of());
    assertThat(judge(cfg, nodeA().dns("Node-A.nodes.example.net."), node)).isInstanceOf(Decision.Approve.class);
    assertThat(judge(cfg, nodeA().dns("node-a.nodes.example.net", "evil.example.com"), node))
        .isEqualTo(new Decision.Deny(DenyReason.SAN_NOT_PERMITTED,
            "DNS SAN evil.example.com does not match the node DNS pattern [a-z0-9-]+\\.nodes\\.example\\.net"));
    // anchored: a suffix or prefix match is not enough
    assertThat(judge(cfg, nodeA().dns("x.node-a.nodes.example.net.evil"),
        claiming(List.of("x.node-a.nodes.example.net.evil"), List.of())).reason()).isEqualTo("SanNotPermitted");
  }

  @Test
  void nodeIpRangesMustHoldEveryIpSanEvenOwnedOnes() {
    PolicyConfig cfg = PolicyConfig.defaults().withRestrictions(
        Optional.empty(), List.of(Cidr.parse("10.0.0.0/16"), Cidr.parse("fd00::/64")), false, 10);
    NodeInfo node = claiming(List.of(), List.of("203.0.113.9", "fd00::11"));
    assertThat(judge(cfg, nodeA().ip("10.0.0.11", "fd00::11"), node)).isInstanceOf(Decision.Approve.class);
    assertThat(judge(cfg, nodeA().ip("10.0.0.11", "203.0.113.9"), node))
        .isEqualTo(new Decision.Deny(DenyReason.SAN_NOT_PERMITTED,
            "IP SAN 203.0.113.9 lies in none of the node IP ranges [10.0.0.0/16, fd00::/64]"));
  }

  @Test
  void maxSansCountsDnsAndIpTogether() {
    PolicyConfig cfg = PolicyConfig.defaults().withRestrictions(Optional.empty(), List.of(), false, 3);
    NodeInfo node = claiming(List.of("a", "b", "c"), List.of());
    assertThat(judge(cfg, nodeA().dns("a", "b").ip("10.0.0.11"), node)).isInstanceOf(Decision.Approve.class);
    assertThat(judge(cfg, nodeA().dns("a", "b", "c").ip("10.0.0.11"), node))
        .isEqualTo(new Decision.Deny(DenyReason.TOO_MANY_SANS,
            "request has 4 DNS and IP SANs, at most 3 are allowed"));
    assertThat(PolicyConfig.defaults().maxSans()).isEqualTo(10);
  }

  @Test
  void maxExpirationIsCappedAt367Days() {
    assertThatThrownBy(() -> PolicyConfig.defaults().withTimes(Duration.ofDays(368), Duration.ofMinutes(10)))
        .hasMessage("maximum expiration must be at most 367 days, not 368 days");
    assertThat(PolicyConfig.defaults().withTimes(Duration.ofDays(367), Duration.ZERO).maxExpiration())
        .isEqualTo(Duration.ofDays(367));
  }

  @Test
  void ed25519IsRefusedByDefaultAndCanBeAllowed() {
    NodeInfo node = claiming(List.of(), List.of());
    assertThat(judge(PolicyConfig.defaults(), nodeA().key("Ed25519").dns("node-a"), node))
        .isEqualTo(new Decision.Deny(DenyReason.WEAK_KEY, "Ed25519 keys are not allowed"));
    PolicyConfig allow = PolicyConfig.defaults().withKeys(new KeyPolicy(2048, Set.of("P-256"), true));
    assertThat(judge(allow, nodeA().key("Ed25519").dns("node-a"), node)).isInstanceOf(Decision.Approve.class);
  }

  // ------------------------------------------------------------- --verify-dns

  static final PolicyConfig VERIFY =
      PolicyConfig.defaults().withRestrictions(Optional.empty(), List.of(), true, 10);

  static DnsAnswer addresses(String... ips) {
    return new DnsAnswer.Addresses(
        Stream.of(ips).map(i -> IpLiterals.parse(i).orElseThrow()).collect(java.util.stream.Collectors.toSet()));
  }

  @Test
  void verifyDnsApprovesANameThatResolvesToTheNode() {
    Map<String, DnsAnswer> dns = Map.of("node-a.example.com", addresses("198.51.100.1", "10.0.0.11"));
    assertThat(judgeDns(VERIFY, "Node-A.example.com.", dns::get)).isInstanceOf(Decision.Approve.class);
  }

  @Test
  void verifyDnsDeniesANameThatResolvesElsewhere() {
    Map<String, DnsAnswer> dns = Map.of("api.example.com", addresses("198.51.100.1"));
    assertThat(judgeDns(VERIFY, "api.example.com", dns::get))
        .isEqualTo(new Decision.Deny(DenyReason.DNS_NOT_NODE,
            "DNS SAN api.example.com resolves to [198.51.100.1], none of them an InternalIP or ExternalIP "
                + "address of node node-a [10.0.0.11]"));
  }

  @Test
  void verifyDnsRetriesWithoutEndWhenResolutionFails() {
    Decision d = judgeDns(VERIFY, "node-a.example.com", n -> new DnsAnswer.Failed("timed out after 2 s"));
    assertThat(d).isEqualTo(new Decision.Retry(RetryReason.DNS_UNRESOLVED,
        "DNS SAN node-a.example.com could not be resolved: timed out after 2 s", Optional.empty()));
  }

  @Test
  void verifyDnsWaitsForAMissingNameUntilTheGracePeriodEnds() {
    Decision d = judgeDns(VERIFY, "node-a.example.com", n -> addresses());
    assertThat(d.result()).isEqualTo("retry");
    Decision late = new ApprovalPolicy(VERIFY).judge(csr(nodeA().dns("node-a.example.com").pem(), DS_SA),
        Optional.of(claiming(List.of("node-a.example.com"), List.of())), FloodGuard.Status.OFF,
        n -> addresses(), CREATED.plus(Duration.ofMinutes(11)));
    assertThat(late.reason()).isEqualTo("DnsNotNode");
  }

  @Test
  void verifyDnsIsNotAskedWhenOff() {
    Function<String, DnsAnswer> never = n -> {
      throw new AssertionError("resolved " + n);
    };
    assertThat(judgeDns(PolicyConfig.defaults(), "node-a.example.com", never)).isInstanceOf(Decision.Approve.class);
  }

  // ------------------------------------------------------------- control characters

  @Test
  void controlCharactersInRequestedNamesAreEscapedInTheMessage() {
    String evil = "node-b\nlevel=INFO csr=x decision=approve";
    Decision d = judge(PolicyConfig.defaults(), nodeA().dns(evil), claiming(List.of(), List.of()));
    assertThat(d.reason()).isEqualTo("SanNotOwnedByNode");
    assertThat(d.message()).startsWith("DNS SAN node-b\\x0alevel=INFO csr=x decision=approve is not").doesNotContain("\n");
  }

  @Test
  void ipv4MappedFormsAreUnwrapped() throws Exception {
    assertThat(ReservedNames.unmapped(InetAddress.getByName("::1"))).isEqualTo(InetAddress.getByName("::1"));
    assertThat(ReservedNames.unmapped(InetAddress.getByName("::"))).isEqualTo(InetAddress.getByName("::"));
    assertThat(ReservedNames.unmapped(InetAddress.getByName("::a9fe:a9fe")))
        .isEqualTo(InetAddress.getByName("169.254.169.254"));
  }
}
