package dev.kcert.core.approval;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Names and addresses no node may have in its serving certificate, whatever its Node object says.
 * A kubelet writes its own {@code status.addresses}, and the kubelet-serving signer signs with the
 * cluster CA that every pod trusts, so a node that claims {@code kubernetes.default.svc} or the
 * {@code kubernetes} Service's ClusterIP would otherwise be approved a certificate for the API
 * server.
 *
 * @param serviceCidrs the cluster's service networks ({@code networking.serviceSubnet})
 * @param clusterDomain the cluster's DNS domain ({@code networking.dnsDomain})
 * @param controlPlaneHost the host of {@code controlPlaneEndpoint}, a name or an address; empty
 *     when there is none
 * @param apiServerCertSans the API server's extra SANs ({@code apiServer.certSANs}), names or
 *     addresses
 */
public record ReservedNames(
    List<Cidr> serviceCidrs,
    String clusterDomain,
    Optional<String> controlPlaneHost,
    List<String> apiServerCertSans) {

  /** kubeadm's default service subnet. */
  public static final Cidr DEFAULT_SERVICE_CIDR = Cidr.parse("10.96.0.0/12");
  /** kubeadm's default DNS domain. */
  public static final String DEFAULT_CLUSTER_DOMAIN = "cluster.local";

  private static final Set<String> KUBERNETES_SERVICE =
      Set.of("kubernetes", "kubernetes.default", "kubernetes.default.svc");
  private static final Cidr THIS_NETWORK = Cidr.parse("0.0.0.0/8");
  private static final Cidr IPV4_LINK_LOCAL = Cidr.parse("169.254.0.0/16");
  private static final Cidr IPV6_LINK_LOCAL = Cidr.parse("fe80::/10");

  public ReservedNames {
    serviceCidrs = List.copyOf(serviceCidrs);
    clusterDomain = ApprovalPolicy.normalizeDns(Objects.requireNonNull(clusterDomain).trim());
    if (clusterDomain.isEmpty()) {
      throw new IllegalArgumentException("cluster domain must not be empty");
    }
    controlPlaneHost =
        Objects.requireNonNull(controlPlaneHost).map(String::trim).filter(h -> !h.isEmpty());
    apiServerCertSans =
        apiServerCertSans.stream().map(String::trim).filter(s -> !s.isEmpty()).toList();
  }

  /** kubeadm's defaults: {@code 10.96.0.0/12}, {@code cluster.local}, no endpoint, no extra SANs. */
  public static ReservedNames defaults() {
    return new ReservedNames(
        List.of(DEFAULT_SERVICE_CIDR), DEFAULT_CLUSTER_DOMAIN, Optional.empty(), List.of());
  }

  /**
   * Why no node may have this DNS name, or empty when a node may.
   *
   * @param name as requested; compared lower case without a trailing dot
   */
  public Optional<String> dnsRule(String name) {
    String n = ApprovalPolicy.normalizeDns(name);
    if (n.indexOf('*') >= 0) {
      return Optional.of("wildcards are never approved");
    }
    if (KUBERNETES_SERVICE.contains(n)) {
      return Optional.of("it names the kubernetes Service (the API server)");
    }
    if (n.equals("svc") || n.endsWith(".svc")) {
      return Optional.of("names under svc are Service names");
    }
    String svcDomain = "svc." + clusterDomain;
    if (n.equals(svcDomain) || n.endsWith("." + svcDomain)) {
      return Optional.of("names under " + svcDomain + " are Service names");
    }
    if (n.equals(clusterDomain) || n.endsWith("." + clusterDomain)) {
      return Optional.of("names under the cluster domain " + clusterDomain + " belong to the cluster");
    }
    if (controlPlaneHost.isPresent()
        && IpLiterals.parse(controlPlaneHost.get()).isEmpty()
        && n.equals(ApprovalPolicy.normalizeDns(controlPlaneHost.get()))) {
      return Optional.of("it is the control-plane endpoint");
    }
    for (String san : apiServerCertSans) {
      if (IpLiterals.parse(san).isEmpty() && n.equals(ApprovalPolicy.normalizeDns(san))) {
        return Optional.of("it is one of the API server's certSANs");
      }
    }
    return Optional.empty();
  }

  /** Why no node may have this address, or empty when a node may. */
  public Optional<String> ipRule(InetAddress requested) {
    InetAddress ip = unmapped(requested);
    String form = ip == requested ? "" : " (IPv4 " + ip.getHostAddress() + " written as IPv6)";
    for (Cidr c : serviceCidrs) {
      if (c.contains(ip)) {
        return Optional.of("it lies in the service CIDR " + c + form);
      }
    }
    if (ip.isLoopbackAddress()) {
      return Optional.of("it is a loopback address" + form);
    }
    if (ip.isAnyLocalAddress() || THIS_NETWORK.contains(ip)) {
      return Optional.of("it is an unspecified address" + form);
    }
    if (IPV4_LINK_LOCAL.contains(ip) || IPV6_LINK_LOCAL.contains(ip) || ip.isLinkLocalAddress()) {
      return Optional.of("it is a link-local address (cloud metadata lives there)" + form);
    }
    if (ip.isMulticastAddress()) {
      return Optional.of("it is a multicast address" + form);
    }
    byte[] b = ip.getAddress();
    if (b.length == 4 && (b[0] & b[1] & b[2] & b[3] & 0xff) == 0xff) {
      return Optional.of("it is the broadcast address" + form);
    }
    if (controlPlaneHost.isPresent()
        && IpLiterals.parse(controlPlaneHost.get()).map(ReservedNames::unmapped).filter(ip::equals).isPresent()) {
      return Optional.of("it is the control-plane endpoint" + form);
    }
    for (String san : apiServerCertSans) {
      if (IpLiterals.parse(san).map(ReservedNames::unmapped).filter(ip::equals).isPresent()) {
        return Optional.of("it is one of the API server's certSANs" + form);
      }
    }
    return Optional.empty();
  }

  /**
   * The IPv4 address an IPv4-mapped ({@code ::ffff:a.b.c.d}) or IPv4-compatible ({@code
   * ::a.b.c.d}) IPv6 address stands for; any other address unchanged.
   */
  static InetAddress unmapped(InetAddress ip) {
    byte[] b = ip.getAddress();
    if (b.length != 16) {
      return ip;
    }
    for (int i = 0; i < 10; i++) {
      if (b[i] != 0) {
        return ip;
      }
    }
    boolean mapped = (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff;
    long last = ((b[12] & 0xffL) << 24) | ((b[13] & 0xff) << 16) | ((b[14] & 0xff) << 8) | (b[15] & 0xff);
    // :: and ::1 are the IPv6 unspecified and loopback addresses, not IPv4-compatible ones
    boolean compat = b[10] == 0 && b[11] == 0 && last > 1;
    if (!mapped && !compat) {
      return ip;
    }
    try {
      return InetAddress.getByAddress(new byte[] {b[12], b[13], b[14], b[15]});
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }

  /** One line for logs. */
  public String describe() {
    return "service CIDRs " + serviceCidrs + ", cluster domain " + clusterDomain
        + ", control-plane endpoint " + controlPlaneHost.orElse("(none)")
        + ", API server certSANs " + apiServerCertSans;
  }
}
