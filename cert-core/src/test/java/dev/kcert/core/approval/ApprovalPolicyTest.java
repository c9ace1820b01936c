package dev.kcert.core.approval;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kcert.core.approval.CsrRequest.CsrState;
import dev.kcert.core.csr.KubeletCsrs;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

class ApprovalPolicyTest {
  static final Instant CREATED = Instant.parse("2026-05-01T10:00:00Z");
  static final Instant NOW = CREATED.plusSeconds(30);
  static final List<String> DS_SA = List.of("digital signature", "server auth");
  static final List<String> DS_KE_SA = List.of("digital signature", "key encipherment", "server auth");

  static final NodeInfo IPV4_NODE =
      new NodeInfo(
          "node-a",
          List.of(
              new NodeInfo.Address("Hostname", "node-a"),
              new NodeInfo.Address("InternalDNS", "node-a.cluster.internal"),
              new NodeInfo.Address("ExternalDNS", "Node-A.Example.COM"),
              new NodeInfo.Address("InternalIP", "10.0.0.11"),
              new NodeInfo.Address("ExternalIP", "203.0.113.7")));
  static final NodeInfo IPV6_NODE =
      new NodeInfo(
          "node-a",
          List.of(
              new NodeInfo.Address("Hostname", "node-a"),
              new NodeInfo.Address("InternalIP", "fd00:10::11")));
  static final NodeInfo DUAL_STACK_NODE =
      new NodeInfo(
          "node-a",
          List.of(
              new NodeInfo.Address("Hostname", "node-a"),
              new NodeInfo.Address("InternalIP", "10.0.0.11"),
              new NodeInfo.Address("InternalIP", "fd00:10::11")));

  final ApprovalPolicy policy = new ApprovalPolicy(PolicyConfig.defaults());

  static CsrRequest csr(byte[] pem, List<String> usages) {
    return new CsrRequest(
        "csr-1", ApprovalPolicy.KUBELET_SERVING_SIGNER, "system:node:node-a",
        List.of("system:nodes", "system:authenticated"), usages, OptionalLong.empty(),
        CsrState.PENDING, pem, CREATED);
  }

  static CsrRequest csr(KubeletCsrs req) {
    return csr(req.pem(), DS_KE_SA);
  }

  static KubeletCsrs nodeA() {
    return KubeletCsrs.forNode("node-a");
  }

  Decision judge(CsrRequest c, NodeInfo node) {
    return policy.judge(c, Optional.ofNullable(node), FloodGuard.Status.OFF, NOW);
  }

  // ---------------------------------------------------------------- approve

  static Stream<Arguments> approved() {
    return Stream.of(
        Arguments.of("RSA 2048 kubelet with key encipherment, IPv4 node",
            nodeA().key("RSA-2048").dns("node-a").ip("10.0.0.11"), DS_KE_SA, IPV4_NODE),
        Arguments.of("RSA 3072 kubelet without key encipherment",
            nodeA().key("RSA-3072").dns("node-a").ip("10.0.0.11"), DS_SA, IPV4_NODE),
        Arguments.of("ECDSA P-256 kubelet without key encipherment",
            nodeA().key("EC-256").dns("node-a").ip("10.0.0.11", "203.0.113.7"), DS_SA, IPV4_NODE),
        Arguments.of("ECDSA P-256 kubelet with key encipherment",
            nodeA().key("EC-256").dns("node-a"), DS_KE_SA, IPV4_NODE),
        Arguments.of("ECDSA P-384 kubelet",
            nodeA().key("EC-384").ip("10.0.0.11"), DS_SA, IPV4_NODE),
        Arguments.of("every DNS address type, compared without case or trailing dot",
            nodeA().dns("NODE-A", "node-a.cluster.internal.", "node-a.example.com"), DS_SA, IPV4_NODE),
        Arguments.of("IPv6-only node",
            nodeA().dns("node-a").ip("fd00:10:0:0:0:0:0:11"), DS_SA, IPV6_NODE),
        Arguments.of("dual-stack node",
            nodeA().dns("node-a").ip("10.0.0.11", "fd00:10::11"), DS_KE_SA, DUAL_STACK_NODE),
        Arguments.of("IP SAN only",
            nodeA().ip("10.0.0.11"), DS_SA, DUAL_STACK_NODE));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("approved")
  void approves(String name, KubeletCsrs req, List<String> usages, NodeInfo node) {
    Decision d = judge(csr(req.pem(), usages), node);
    assertThat(d).isInstanceOf(Decision.Approve.class);
    assertThat(d.reason()).isEqualTo("KcertApproved");
    assertThat(d.message()).startsWith("node node-a owns SANs ");
  }

  @Test
  void approvalMessageNamesSansKeyAndUsages() {
    Decision d = judge(csr(nodeA().key("EC-256").dns("node-a").ip("10.0.0.11").pem(), DS_SA), IPV4_NODE);
    assertThat(d.message())
        .isEqualTo("node node-a owns SANs [node-a, 10.0.0.11]; key ECDSA P-256; usages [digital signature, server auth]");
  }

  @Test
  void approvesSansAllowedByConfiguredPatternAndRange() {
    PolicyConfig cfg =
        PolicyConfig.defaults().withAllowed(
            List.of(PolicyConfig.dnsPattern("[a-z0-9-]+\\.nodes\\.example\\.net")),
            List.of(Cidr.parse("192.0.2.0/24"), Cidr.parse("2001:db8::/32")));
    Decision d =
        new ApprovalPolicy(cfg)
            .judge(csr(nodeA().dns("node-a", "Node-A.nodes.example.net.").ip("192.0.2.200", "2001:db8::5")),
                Optional.of(IPV4_NODE), FloodGuard.Status.OFF, NOW);
    assertThat(d).isInstanceOf(Decision.Approve.class);
  }

  @Test
  void approvesExpirationAtTheCap() {
    CsrRequest c = withExpiration(csr(nodeA().dns("node-a")), 367L * 86400);
    assertThat(judge(c, IPV4_NODE)).isInstanceOf(Decision.Approve.class);
  }

  // ---------------------------------------------------------------- deny

  record DenyCase(String name, DenyReason reason, String message, UnaryOperator<CsrRequest> csr, NodeInfo node) {
    @Override
    public String toString() {
      return name;
    }
  }

  static CsrRequest good() {
    return csr(nodeA().dns("node-a").ip("10.0.0.11"));
  }

  static Stream<DenyCase> denied() {
    return Stream.of(
        new DenyCase("username is not a node", DenyReason.NOT_A_NODE,
            "requester 'alice' is not system:node:<name>",
            c -> withUser(c, "alice", List.of("system:nodes")), IPV4_NODE),
        new DenyCase("empty node name", DenyReason.NOT_A_NODE,
            "requester 'system:node:' is not system:node:<name>",
            c -> withUser(c, "system:node:", List.of("system:nodes")), IPV4_NODE),
        new DenyCase("node user outside system:nodes", DenyReason.NOT_A_NODE,
            "requester 'system:node:node-a' is not in group system:nodes",
            c -> withUser(c, "system:node:node-a", List.of("system:authenticated")), IPV4_NODE),
        new DenyCase("expirationSeconds above the cap", DenyReason.EXPIRATION_TOO_LONG,
            "expirationSeconds 31708801 is above the limit of 31708800 (367 days)",
            c -> withExpiration(c, 367L * 86400 + 1), IPV4_NODE),
        new DenyCase("client auth usage", DenyReason.BAD_USAGES,
            "usages [digital signature, client auth] are not [digital signature, server auth] with optional key encipherment",
            c -> withUsages(c, List.of("digital signature", "client auth")), IPV4_NODE),
        new DenyCase("server auth alone", DenyReason.BAD_USAGES,
            "usages [server auth] are not [digital signature, server auth] with optional key encipherment",
            c -> withUsages(c, List.of("server auth")), IPV4_NODE),
        new DenyCase("extra usage", DenyReason.BAD_USAGES,
            "usages [digital signature, server auth, client auth] are not [digital signature, server auth] with optional key encipherment",
            c -> withUsages(c, List.of("digital signature", "server auth", "client auth")), IPV4_NODE),
        new DenyCase("duplicated usage", DenyReason.BAD_USAGES,
            "usages [digital signature, server auth, server auth] are not [digital signature, server auth] with optional key encipherment",
            c -> withUsages(c, List.of("digital signature", "server auth", "server auth")), IPV4_NODE),
        new DenyCase("request is not PEM", DenyReason.INVALID_REQUEST,
            "spec.request: no PEM block found",
            c -> withRequest(c, "hello".getBytes(StandardCharsets.US_ASCII)), IPV4_NODE),
        new DenyCase("PEM of the wrong type", DenyReason.INVALID_REQUEST,
            "spec.request: PEM block is CERTIFICATE, expected CERTIFICATE REQUEST",
            c -> withRequest(c, rewrap(c.request(), "CERTIFICATE")), IPV4_NODE),
        new DenyCase("PEM with invalid base64", DenyReason.INVALID_REQUEST,
            "spec.request: invalid base64 in PEM block CERTIFICATE REQUEST",
            c -> withRequest(c, "-----BEGIN CERTIFICATE REQUEST-----\nA\n-----END CERTIFICATE REQUEST-----\n"
                .getBytes(StandardCharsets.US_ASCII)), IPV4_NODE),
        new DenyCase("signature does not verify", DenyReason.BAD_SIGNATURE,
            "signature does not verify with the request's public key",
            c -> csr(nodeA().key("RSA-2048").dns("node-a").corruptSignature()), IPV4_NODE),
        new DenyCase("CN is another node", DenyReason.SUBJECT_MISMATCH,
            "subject CN [system:node:node-b] is not [system:node:node-a]",
            c -> csr(nodeA().commonNames("system:node:node-b").dns("node-a")), IPV4_NODE),
        new DenyCase("two CNs", DenyReason.SUBJECT_MISMATCH,
            "subject CN [system:node:node-a, system:node:node-a] is not [system:node:node-a]",
            c -> csr(nodeA().commonNames("system:node:node-a", "system:node:node-a").dns("node-a")), IPV4_NODE),
        new DenyCase("O is system:masters", DenyReason.SUBJECT_MISMATCH,
            "subject O [system:masters] is not [system:nodes]",
            c -> csr(nodeA().organizations("system:masters").dns("node-a")), IPV4_NODE),
        new DenyCase("O has an extra group", DenyReason.SUBJECT_MISMATCH,
            "subject O [system:nodes, system:masters] is not [system:nodes]",
            c -> csr(nodeA().organizations("system:nodes", "system:masters").dns("node-a")), IPV4_NODE),
        new DenyCase("subject has an OU", DenyReason.SUBJECT_MISMATCH,
            "subject has attributes other than CN and O: [OU]",
            c -> csr(nodeA().organizationalUnit("ops").dns("node-a")), IPV4_NODE),
        new DenyCase("basicConstraints CA", DenyReason.CA_REQUESTED,
            "request asks for CA rights (basicConstraints cA or keyCertSign/cRLSign)",
            c -> csr(nodeA().dns("node-a").ca()), IPV4_NODE),
        new DenyCase("keyCertSign usage", DenyReason.CA_REQUESTED,
            "request asks for CA rights (basicConstraints cA or keyCertSign/cRLSign)",
            c -> csr(nodeA().dns("node-a").keyCertSign()), IPV4_NODE),
        new DenyCase("email SAN", DenyReason.FORBIDDEN_SAN_TYPE,
            "SANs other than DNS and IP are not allowed: [email root@node-a]",
            c -> csr(nodeA().dns("node-a").email("root@node-a")), IPV4_NODE),
        new DenyCase("URI SAN", DenyReason.FORBIDDEN_SAN_TYPE,
            "SANs other than DNS and IP are not allowed: [URI spiffe://cluster/ns/x]",
            c -> csr(nodeA().dns("node-a").uri("spiffe://cluster/ns/x")), IPV4_NODE),
        new DenyCase("registeredID SAN", DenyReason.FORBIDDEN_SAN_TYPE,
            "SANs other than DNS and IP are not allowed: [registeredID]",
            c -> csr(nodeA().dns("node-a").registeredId("1.2.3.4")), IPV4_NODE),
        new DenyCase("no SAN at all", DenyReason.NO_SAN,
            "request has no DNS or IP SAN",
            c -> csr(nodeA()), IPV4_NODE),
        new DenyCase("RSA 1024", DenyReason.WEAK_KEY,
            "RSA key of 1024 bits, at least 2048 required",
            c -> csr(nodeA().key("RSA-1024").dns("node-a")), IPV4_NODE),
        new DenyCase("ECDSA P-521 not in the default curves", DenyReason.WEAK_KEY,
            "ECDSA key on P-521, allowed curves are P-256, P-384",
            c -> csr(nodeA().key("EC-521").dns("node-a")), IPV4_NODE),
        new DenyCase("DNS SAN of another node (GHSA-87pw-5j2g-6376)", DenyReason.SAN_NOT_OWNED_BY_NODE,
            "DNS SAN node-b is not a Hostname, InternalDNS or ExternalDNS address of node node-a "
                + "[node-a, node-a.cluster.internal, node-a.example.com] and matches no allowed DNS pattern",
            c -> csr(nodeA().dns("node-a", "node-b")), IPV4_NODE),
        new DenyCase("DNS SAN that only suffix-matches", DenyReason.SAN_NOT_OWNED_BY_NODE,
            "DNS SAN evil.node-a is not a Hostname, InternalDNS or ExternalDNS address of node node-a "
                + "[node-a, node-a.cluster.internal, node-a.example.com] and matches no allowed DNS pattern",
            c -> csr(nodeA().dns("evil.node-a")), IPV4_NODE),
        new DenyCase("wildcard DNS SAN", DenyReason.RESERVED_NAME,
            "DNS SAN *.example.com is reserved: wildcards are never approved",
            c -> csr(nodeA().dns("*.example.com")), IPV4_NODE),
        new DenyCase("the kubernetes Service's ClusterIP", DenyReason.RESERVED_ADDRESS,
            "IP SAN 10.96.0.1 is reserved: it lies in the service CIDR 10.96.0.0/12",
            c -> csr(nodeA().dns("node-a").ip("10.96.0.1")), IPV4_NODE),
        new DenyCase("eleven SANs", DenyReason.TOO_MANY_SANS,
            "request has 11 DNS and IP SANs, at most 10 are allowed",
            c -> csr(nodeA().dns("a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k")), IPV4_NODE),
        new DenyCase("IP SAN of another machine", DenyReason.SAN_NOT_OWNED_BY_NODE,
            "IP SAN 10.0.0.12 is not an InternalIP or ExternalIP address of node node-a "
                + "[10.0.0.11, 203.0.113.7] and lies in no allowed range",
            c -> csr(nodeA().dns("node-a").ip("10.0.0.12")), IPV4_NODE),
        new DenyCase("IPv6 SAN on an IPv4-only node", DenyReason.SAN_NOT_OWNED_BY_NODE,
            "IP SAN fd00:10::11 is not an InternalIP or ExternalIP address of node node-a "
                + "[10.0.0.11, 203.0.113.7] and lies in no allowed range",
            c -> csr(nodeA().ip("fd00:10::11")), IPV4_NODE),
        new DenyCase("IP SAN matching only a Hostname address", DenyReason.SAN_NOT_OWNED_BY_NODE,
            "IP SAN 10.9.9.9 is not an InternalIP or ExternalIP address of node node-a [] and lies in no allowed range",
            c -> csr(nodeA().ip("10.9.9.9")),
            new NodeInfo("node-a", List.of(new NodeInfo.Address("Hostname", "10.9.9.9")))),
        new DenyCase("node never registered, grace over", DenyReason.NODE_NOT_FOUND,
            "node node-a is not registered and the grace period ended at 2026-05-01T10:00:30Z",
            c -> withCreated(c, NOW.minus(Duration.ofMinutes(10))), null),
        new DenyCase("node without addresses, grace over", DenyReason.NODE_WITHOUT_ADDRESSES,
            "node node-a has no addresses and the grace period ended at 2026-05-01T09:50:31Z",
            c -> withCreated(c, NOW.minus(Duration.ofMinutes(20)).plusSeconds(1)),
            new NodeInfo("node-a", List.of())));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("denied")
  void denies(DenyCase tc) {
    Decision d = judge(tc.csr().apply(good()), tc.node());
    assertThat(d).isEqualTo(new Decision.Deny(tc.reason(), tc.message()));
    assertThat(d.result()).isEqualTo("deny");
  }

  @Test
  void everyDenyReasonIsExercised() {
    Set<DenyReason> seen = new java.util.HashSet<>();
    denied().forEach(tc -> seen.add(tc.reason()));
    // these two need options that are off by default; RestrictionsTest exercises them
    seen.add(DenyReason.SAN_NOT_PERMITTED);
    seen.add(DenyReason.DNS_NOT_NODE);
    assertThat(seen).containsExactlyInAnyOrder(DenyReason.values());
  }

  @Test
  void denyReasonsAreDistinctCamelCase() {
    assertThat(Arrays.stream(DenyReason.values()).map(DenyReason::reason))
        .doesNotHaveDuplicates()
        .allMatch(r -> r.matches("[A-Z][A-Za-z]+"));
  }

  @Test
  void keyPolicyIsConfigurable() {
    PolicyConfig cfg =
        PolicyConfig.defaults().withKeys(new KeyPolicy(3072, Set.of("P-384"), false));
    ApprovalPolicy strict = new ApprovalPolicy(cfg);
    assertThat(strict.judge(csr(nodeA().key("RSA-2048").dns("node-a")), Optional.of(IPV4_NODE), FloodGuard.Status.OFF, NOW))
        .isEqualTo(new Decision.Deny(DenyReason.WEAK_KEY, "RSA key of 2048 bits, at least 3072 required"));
    assertThat(strict.judge(csr(nodeA().key("EC-256").dns("node-a")), Optional.of(IPV4_NODE), FloodGuard.Status.OFF, NOW))
        .isEqualTo(new Decision.Deny(DenyReason.WEAK_KEY, "ECDSA key on P-256, allowed curves are P-384"));
    assertThat(strict.judge(csr(nodeA().key("Ed25519").dns("node-a")), Optional.of(IPV4_NODE), FloodGuard.Status.OFF, NOW))
        .isEqualTo(new Decision.Deny(DenyReason.WEAK_KEY, "Ed25519 keys are not allowed"));
    assertThat(strict.judge(csr(nodeA().key("RSA-3072").dns("node-a")), Optional.of(IPV4_NODE), FloodGuard.Status.OFF, NOW))
        .isInstanceOf(Decision.Approve.class);
  }

  @Test
  void aOneMebibyteRequestIsDeniedNotParsed() {
    byte[] big = new byte[1024 * 1024];
    Arrays.fill(big, (byte) 'A');
    assertThat(judge(withRequest(good(), big), IPV4_NODE))
        .isEqualTo(new Decision.Deny(DenyReason.INVALID_REQUEST,
            "spec.request: request is 1048576 bytes, more than the limit of 65536"));
  }

  // ---------------------------------------------------------------- retry

  @Test
  void unregisteredNodeIsRetriedUntilTheGracePeriodEnds() {
    Decision d = judge(good(), null);
    assertThat(d).isEqualTo(new Decision.Retry(RetryReason.NODE_NOT_REGISTERED,
        "node node-a is not registered; waiting until 2026-05-01T10:10:00Z",
        Optional.of(Instant.parse("2026-05-01T10:10:00Z"))));
  }

  @Test
  void nodeWithoutAddressesIsRetriedUntilTheGracePeriodEnds() {
    Decision d = judge(good(), new NodeInfo("node-a", List.of()));
    assertThat(d).isEqualTo(new Decision.Retry(RetryReason.NODE_WITHOUT_ADDRESSES,
        "node node-a has no addresses; waiting until 2026-05-01T10:10:00Z",
        Optional.of(Instant.parse("2026-05-01T10:10:00Z"))));
  }

  @Test
  void floodGuardHoldsApprovalsButNotDenials() {
    FloodGuard.Status flood = new FloodGuard.Status(true, "node-a", 121, 120, Duration.ofHours(24));
    Decision held = policy.judge(good(), Optional.of(IPV4_NODE), flood, NOW);
    assertThat(held).isInstanceOf(Decision.Retry.class);
    assertThat(held.reason()).isEqualTo("FloodGuard");
    assertThat(((Decision.Retry) held).until()).isEmpty();
    assertThat(held.message()).startsWith(
        "approvals held back: node node-a has 121 pending or approved kubelet-serving requests created in the last 24h, limit 120; would approve: node node-a owns SANs");
    Decision denied = policy.judge(csr(nodeA().dns("node-b")), Optional.of(IPV4_NODE), flood, NOW);
    assertThat(denied.reason()).isEqualTo("SanNotOwnedByNode");
  }

  // ---------------------------------------------------------------- ignore

  @Test
  void otherSignersAreIgnored() {
    CsrRequest c = good();
    CsrRequest other = new CsrRequest(c.name(), "kubernetes.io/kube-apiserver-client-kubelet", c.username(),
        c.groups(), c.usages(), c.expirationSeconds(), c.state(), c.request(), c.created());
    assertThat(judge(other, IPV4_NODE)).isEqualTo(new Decision.Ignore(IgnoreReason.OTHER_SIGNER,
        "signer kubernetes.io/kube-apiserver-client-kubelet is not kubernetes.io/kubelet-serving"));
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(value = CsrState.class, names = {"APPROVED", "DENIED", "FAILED", "ISSUED"})
  void decidedRequestsAreIgnored(CsrState state) {
    CsrRequest c = good();
    CsrRequest decided = new CsrRequest(c.name(), c.signerName(), c.username(), c.groups(), c.usages(),
        c.expirationSeconds(), state, c.request(), c.created());
    Decision d = judge(decided, IPV4_NODE);
    assertThat(d.result()).isEqualTo("ignore");
    assertThat(d.reason()).isEqualTo("AlreadyDecided");
  }

  @Test
  void nonNodeRequestersAreIgnoredWhenConfigured() {
    PolicyConfig cfg = PolicyConfig.defaults().withIgnoreNonNodeRequesters(true);
    Decision d = new ApprovalPolicy(cfg).judge(withUser(good(), "alice", List.of()), Optional.empty(),
        FloodGuard.Status.OFF, NOW);
    assertThat(d).isEqualTo(new Decision.Ignore(IgnoreReason.NOT_A_NODE, "requester 'alice' is not system:node:<name>"));
  }

  // ---------------------------------------------------------------- helpers

  static CsrRequest withUser(CsrRequest c, String user, List<String> groups) {
    return new CsrRequest(c.name(), c.signerName(), user, groups, c.usages(), c.expirationSeconds(), c.state(),
        c.request(), c.created());
  }

  static CsrRequest withUsages(CsrRequest c, List<String> usages) {
    return new CsrRequest(c.name(), c.signerName(), c.username(), c.groups(), usages, c.expirationSeconds(),
        c.state(), c.request(), c.created());
  }

  static CsrRequest withExpiration(CsrRequest c, long secs) {
    return new CsrRequest(c.name(), c.signerName(), c.username(), c.groups(), c.usages(), OptionalLong.of(secs),
        c.state(), c.request(), c.created());
  }

  static CsrRequest withRequest(CsrRequest c, byte[] request) {
    return new CsrRequest(c.name(), c.signerName(), c.username(), c.groups(), c.usages(), c.expirationSeconds(),
        c.state(), request, c.created());
  }

  static CsrRequest withCreated(CsrRequest c, Instant created) {
    return new CsrRequest(c.name(), c.signerName(), c.username(), c.groups(), c.usages(), c.expirationSeconds(),
        c.state(), c.request(), created);
  }

  static byte[] rewrap(byte[] pem, String type) {
    return new String(pem, StandardCharsets.US_ASCII).replace("CERTIFICATE REQUEST", type)
        .getBytes(StandardCharsets.US_ASCII);
  }
}
