package dev.kcert.core.approval;

import dev.kcert.core.approval.CsrRequest.CsrState;
import dev.kcert.core.csr.CsrInfo;
import dev.kcert.core.csr.CsrParser;
import dev.kcert.core.model.KcertException;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Decides whether a kubelet-serving CertificateSigningRequest is approved, denied, left for later
 * or ignored. Pure: the same inputs always give the same decision.
 *
 * <p>The node is found by the requester's username ({@code system:node:<name>}), never by a SAN:
 * a node can only obtain a certificate for its own addresses.
 */
public final class ApprovalPolicy {
  public static final String KUBELET_SERVING_SIGNER = "kubernetes.io/kubelet-serving";
  public static final String NODE_USER_PREFIX = "system:node:";
  public static final String NODES_GROUP = "system:nodes";

  public static final String DIGITAL_SIGNATURE = "digital signature";
  public static final String KEY_ENCIPHERMENT = "key encipherment";
  public static final String SERVER_AUTH = "server auth";

  private static final Set<Set<String>> ALLOWED_USAGES =
      Set.of(
          Set.of(DIGITAL_SIGNATURE, SERVER_AUTH),
          Set.of(DIGITAL_SIGNATURE, KEY_ENCIPHERMENT, SERVER_AUTH));
  private static final Set<String> DNS_ADDRESS_TYPES = Set.of("Hostname", "InternalDNS", "ExternalDNS");
  private static final Set<String> IP_ADDRESS_TYPES = Set.of("InternalIP", "ExternalIP");

  private final PolicyConfig config;

  public ApprovalPolicy(PolicyConfig config) {
    this.config = Objects.requireNonNull(config);
  }

  /** The node name a username designates, or empty when it is not a node's username. */
  public static Optional<String> nodeName(String username) {
    if (username != null && username.startsWith(NODE_USER_PREFIX)) {
      String name = username.substring(NODE_USER_PREFIX.length());
      if (!name.isEmpty()) {
        return Optional.of(name);
      }
    }
    return Optional.empty();
  }

  /**
   * Judges one request.
   *
   * @param node the Node named by the requester's username, empty when none is registered
   * @param flood the requesting node's flood-guard status; only approvals are held back by it
   * @param now the current time, for the node grace period
   */
  public Decision judge(CsrRequest csr, Optional<NodeInfo> node, FloodGuard.Status flood, Instant now) {
    return judge(csr, node, flood, name -> {
      throw new IllegalStateException("DNS verification is on but no resolver was given");
    }, now);
  }

  /**
   * Judges one request.
   *
   * @param node the Node named by the requester's username, empty when none is registered
   * @param flood the requesting node's flood-guard status; only approvals are held back by it
   * @param dns what each DNS SAN (lower case, no trailing dot) resolves to; asked only with
   *     {@link PolicyConfig#verifyDns()} and only once every other check has passed
   * @param now the current time, for the node grace period
   */
  public Decision judge(
      CsrRequest csr, Optional<NodeInfo> node, FloodGuard.Status flood, Function<String, DnsAnswer> dns,
      Instant now) {
    if (!KUBELET_SERVING_SIGNER.equals(csr.signerName())) {
      return new Decision.Ignore(
          IgnoreReason.OTHER_SIGNER, "signer " + csr.signerName() + " is not " + KUBELET_SERVING_SIGNER);
    }
    if (csr.state() != CsrState.PENDING) {
      return new Decision.Ignore(
          IgnoreReason.ALREADY_DECIDED, "request is already " + csr.state().name().toLowerCase(Locale.ROOT));
    }

    Optional<String> nodeName = nodeName(csr.username());
    if (nodeName.isEmpty() || !csr.groups().contains(NODES_GROUP)) {
      String why =
          nodeName.isEmpty()
              ? "requester '" + csr.username() + "' is not system:node:<name>"
              : "requester '" + csr.username() + "' is not in group " + NODES_GROUP;
      return config.ignoreNonNodeRequesters()
          ? new Decision.Ignore(IgnoreReason.NOT_A_NODE, why)
          : deny(DenyReason.NOT_A_NODE, why);
    }

    if (csr.expirationSeconds().isPresent()) {
      long secs = csr.expirationSeconds().getAsLong();
      if (secs > config.maxExpiration().getSeconds()) {
        return deny(
            DenyReason.EXPIRATION_TOO_LONG,
            "expirationSeconds " + secs + " is above the limit of " + config.maxExpiration().getSeconds()
                + " (" + days(config.maxExpiration()) + ")");
      }
    }

    Set<String> usages = new HashSet<>(csr.usages());
    if (usages.size() != csr.usages().size() || !ALLOWED_USAGES.contains(usages)) {
      return deny(
          DenyReason.BAD_USAGES,
          "usages " + csr.usages() + " are not [digital signature, server auth] with optional key encipherment");
    }

    CsrInfo info;
    try {
      info = CsrParser.parsePem(csr.request(), "spec.request");
    } catch (KcertException e) {
      return deny(DenyReason.INVALID_REQUEST, e.getMessage());
    }
    if (!info.signatureValid()) {
      return deny(DenyReason.BAD_SIGNATURE, info.signatureProblem());
    }

    if (info.commonNames().size() != 1 || !info.commonNames().get(0).equals(csr.username())) {
      return deny(
          DenyReason.SUBJECT_MISMATCH,
          "subject CN " + info.commonNames() + " is not [" + csr.username() + "]");
    }
    if (!info.organizations().equals(List.of(NODES_GROUP))) {
      return deny(
          DenyReason.SUBJECT_MISMATCH,
          "subject O " + info.organizations() + " is not [" + NODES_GROUP + "]");
    }
    if (!info.otherSubjectAttributes().isEmpty()) {
      return deny(
          DenyReason.SUBJECT_MISMATCH,
          "subject has attributes other than CN and O: " + info.otherSubjectAttributes());
    }
    if (info.caRequested()) {
      return deny(DenyReason.CA_REQUESTED, "request asks for CA rights (basicConstraints cA or keyCertSign/cRLSign)");
    }

    List<String> forbidden = new ArrayList<>();
    info.emailAddresses().forEach(e -> forbidden.add("email " + e));
    info.uris().forEach(u -> forbidden.add("URI " + u));
    forbidden.addAll(info.otherSanTypes());
    if (!forbidden.isEmpty()) {
      return deny(DenyReason.FORBIDDEN_SAN_TYPE, "SANs other than DNS and IP are not allowed: " + forbidden);
    }
    if (info.dnsNames().isEmpty() && info.ipAddresses().isEmpty()) {
      return deny(DenyReason.NO_SAN, "request has no DNS or IP SAN");
    }
    int sanCount = info.dnsNames().size() + info.ipAddresses().size();
    if (sanCount > config.maxSans()) {
      return deny(DenyReason.TOO_MANY_SANS,
          "request has " + sanCount + " DNS and IP SANs, at most " + config.maxSans() + " are allowed");
    }
    // before ownership: whatever the node wrote into its own status, these are never its own
    for (String dnsName : info.dnsNames()) {
      Optional<String> rule = config.reserved().dnsRule(dnsName);
      if (rule.isPresent()) {
        return deny(DenyReason.RESERVED_NAME, "DNS SAN " + dnsName + " is reserved: " + rule.get());
      }
    }
    for (InetAddress ip : info.ipAddresses()) {
      Optional<String> rule = config.reserved().ipRule(ip);
      if (rule.isPresent()) {
        return deny(DenyReason.RESERVED_ADDRESS, "IP SAN " + IpLiterals.format(ip) + " is reserved: " + rule.get());
      }
    }

    Optional<String> keyProblem = config.keyPolicy().problem(info.key());
    if (keyProblem.isPresent()) {
      return deny(DenyReason.WEAK_KEY, keyProblem.get());
    }

    Instant graceEnd = csr.created().plus(config.nodeGracePeriod());
    String name = nodeName.get();
    if (node.isEmpty()) {
      return waitOrDeny(
          now, graceEnd, RetryReason.NODE_NOT_REGISTERED, DenyReason.NODE_NOT_FOUND,
          "node " + name + " is not registered");
    }
    if (!node.get().name().equals(name)) {
      throw new IllegalArgumentException(
          "node " + node.get().name() + " given for requester " + csr.username());
    }
    List<NodeInfo.Address> addresses = node.get().addresses();
    if (addresses.isEmpty()) {
      return waitOrDeny(
          now, graceEnd, RetryReason.NODE_WITHOUT_ADDRESSES, DenyReason.NODE_WITHOUT_ADDRESSES,
          "node " + name + " has no addresses");
    }

    Set<String> nodeDns = new HashSet<>();
    Set<InetAddress> nodeIps = new HashSet<>();
    for (NodeInfo.Address a : addresses) {
      if (a.address() == null) {
        continue;
      }
      if (DNS_ADDRESS_TYPES.contains(a.type())) {
        nodeDns.add(normalizeDns(a.address()));
      } else if (IP_ADDRESS_TYPES.contains(a.type())) {
        IpLiterals.parse(a.address()).ifPresent(nodeIps::add);
      }
    }
    for (String dnsName : info.dnsNames()) {
      String n = normalizeDns(dnsName);
      if (!n.isEmpty() && (nodeDns.contains(n) || matchesPattern(n))) {
        continue;
      }
      return deny(
          DenyReason.SAN_NOT_OWNED_BY_NODE,
          "DNS SAN " + dnsName + " is not a Hostname, InternalDNS or ExternalDNS address of node " + name
              + " " + sorted(nodeDns) + " and matches no allowed DNS pattern");
    }
    for (InetAddress ip : info.ipAddresses()) {
      if (nodeIps.contains(ip) || config.allowedIpRanges().stream().anyMatch(c -> c.contains(ip))) {
        continue;
      }
      return deny(
          DenyReason.SAN_NOT_OWNED_BY_NODE,
          "IP SAN " + IpLiterals.format(ip) + " is not an InternalIP or ExternalIP address of node " + name
              + " " + sorted(nodeIps.stream().map(IpLiterals::format).collect(Collectors.toSet()))
              + " and lies in no allowed range");
    }

    if (config.nodeDnsPattern().isPresent()) {
      Pattern p = config.nodeDnsPattern().get();
      for (String dnsName : info.dnsNames()) {
        if (!p.matcher(normalizeDns(dnsName)).matches()) {
          return deny(DenyReason.SAN_NOT_PERMITTED,
              "DNS SAN " + dnsName + " does not match the node DNS pattern " + p.pattern());
        }
      }
    }
    if (!config.nodeIpRanges().isEmpty()) {
      for (InetAddress ip : info.ipAddresses()) {
        if (config.nodeIpRanges().stream().noneMatch(c -> c.contains(ip))) {
          return deny(DenyReason.SAN_NOT_PERMITTED,
              "IP SAN " + IpLiterals.format(ip) + " lies in none of the node IP ranges " + config.nodeIpRanges());
        }
      }
    }
    if (config.verifyDns()) {
      for (String dnsName : info.dnsNames()) {
        DnsAnswer answer = dns.apply(normalizeDns(dnsName));
        if (answer instanceof DnsAnswer.Failed failed) {
          return new Decision.Retry(RetryReason.DNS_UNRESOLVED,
              "DNS SAN " + dnsName + " could not be resolved: " + failed.why(), Optional.empty());
        }
        Set<InetAddress> resolved = ((DnsAnswer.Addresses) answer).addresses();
        if (resolved.isEmpty()) {
          return waitOrDeny(now, graceEnd, RetryReason.DNS_UNRESOLVED, DenyReason.DNS_NOT_NODE,
              "DNS SAN " + dnsName + " resolves to no address");
        }
        if (resolved.stream().noneMatch(nodeIps::contains)) {
          return deny(DenyReason.DNS_NOT_NODE,
              "DNS SAN " + dnsName + " resolves to "
                  + sorted(resolved.stream().map(IpLiterals::format).collect(Collectors.toSet()))
                  + ", none of them an InternalIP or ExternalIP address of node " + name + " "
                  + sorted(nodeIps.stream().map(IpLiterals::format).collect(Collectors.toSet())));
        }
      }
    }

    String summary =
        "node " + name + " owns SANs " + sans(info) + "; key " + info.key().describe()
            + "; usages " + csr.usages();
    if (flood.active()) {
      return new Decision.Retry(
          RetryReason.FLOOD_GUARD, "approvals held back: " + flood.describe() + "; would approve: " + summary,
          Optional.empty());
    }
    return new Decision.Approve(summary);
  }

  private boolean matchesPattern(String dns) {
    for (Pattern p : config.allowedDnsPatterns()) {
      if (p.matcher(dns).matches()) {
        return true;
      }
    }
    return false;
  }

  private static Decision waitOrDeny(
      Instant now, Instant graceEnd, RetryReason retry, DenyReason deny, String what) {
    if (now.isBefore(graceEnd)) {
      return new Decision.Retry(retry, what + "; waiting until " + graceEnd, Optional.of(graceEnd));
    }
    return new Decision.Deny(deny, what + " and the grace period ended at " + graceEnd);
  }

  private static Decision deny(DenyReason reason, String message) {
    return new Decision.Deny(reason, message);
  }

  /** Lower case, one trailing dot dropped. */
  static String normalizeDns(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    return n.endsWith(".") ? n.substring(0, n.length() - 1) : n;
  }

  private static List<String> sorted(Set<String> values) {
    return values.stream().sorted().toList();
  }

  private static List<String> sans(CsrInfo info) {
    List<String> all = new ArrayList<>(info.dnsNames());
    info.ipAddresses().forEach(ip -> all.add(IpLiterals.format(ip)));
    return all;
  }

  private static String days(Duration d) {
    long days = d.toDays();
    return days * 86400 == d.getSeconds() ? days + " days" : d.getSeconds() + " seconds";
  }
}
