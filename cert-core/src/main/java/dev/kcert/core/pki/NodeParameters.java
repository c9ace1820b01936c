package dev.kcert.core.pki;

import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The facts about a control-plane node that kubeadm puts into its certificates.
 *
 * @param nodeName the node's name (etcd certificates' CN and a SAN of the API server)
 * @param advertiseAddress the API server's advertise address
 * @param serviceCidr the service subnet; its first address is the {@code kubernetes} service IP
 * @param dnsDomain the cluster DNS domain
 * @param controlPlaneEndpoint optional {@code host[:port]} shared by all control-plane nodes
 * @param apiServerCertSans extra SANs (DNS names or IPs) for the API server certificate
 * @param clusterName the cluster name used in kubeconfig files
 * @param bindPort the port the API server listens on (kubeadm: 6443)
 * @param etcdServerCertSans extra SANs of etcd's serving certificate ({@code
 *     etcd.local.serverCertSANs})
 * @param etcdPeerCertSans extra SANs of etcd's peer certificate ({@code etcd.local.peerCertSANs})
 */
public record NodeParameters(
    String nodeName,
    String advertiseAddress,
    String serviceCidr,
    String dnsDomain,
    String controlPlaneEndpoint,
    List<String> apiServerCertSans,
    String clusterName,
    int bindPort,
    List<String> etcdServerCertSans,
    List<String> etcdPeerCertSans) {

  public static final String DEFAULT_SERVICE_CIDR = "10.96.0.0/12";
  public static final String DEFAULT_DNS_DOMAIN = "cluster.local";
  public static final String DEFAULT_CLUSTER_NAME = "kubernetes";
  public static final int API_SERVER_PORT = 6443;

  /** A node whose API server listens on kubeadm's port and whose etcd has no extra SANs. */
  public NodeParameters(
      String nodeName,
      String advertiseAddress,
      String serviceCidr,
      String dnsDomain,
      String controlPlaneEndpoint,
      List<String> apiServerCertSans,
      String clusterName) {
    this(
        nodeName, advertiseAddress, serviceCidr, dnsDomain, controlPlaneEndpoint,
        apiServerCertSans, clusterName, API_SERVER_PORT, List.of(), List.of());
  }

  public NodeParameters {
    if (nodeName == null || nodeName.isBlank()) {
      throw new IllegalArgumentException("node name must not be empty");
    }
    nodeName = nodeName.toLowerCase(Locale.ROOT);
    ip(advertiseAddress, "advertise address");
    serviceCidr = serviceCidr == null || serviceCidr.isBlank() ? DEFAULT_SERVICE_CIDR : serviceCidr;
    dnsDomain = dnsDomain == null || dnsDomain.isBlank() ? DEFAULT_DNS_DOMAIN : dnsDomain;
    controlPlaneEndpoint = controlPlaneEndpoint == null ? "" : controlPlaneEndpoint.trim();
    apiServerCertSans = apiServerCertSans == null ? List.of() : List.copyOf(apiServerCertSans);
    clusterName = clusterName == null || clusterName.isBlank() ? DEFAULT_CLUSTER_NAME : clusterName;
    if (bindPort < 1 || bindPort > 65535) {
      throw new IllegalArgumentException("API server bind port " + bindPort + " is not in 1-65535");
    }
    etcdServerCertSans = etcdServerCertSans == null ? List.of() : List.copyOf(etcdServerCertSans);
    etcdPeerCertSans = etcdPeerCertSans == null ? List.of() : List.copyOf(etcdPeerCertSans);
    if (!controlPlaneEndpoint.isEmpty()) {
      Endpoints.checkHostPort(controlPlaneEndpoint, "control-plane endpoint");
    }
    serviceIp(serviceCidr);
  }

  /** A node with kubeadm's defaults for everything but its name and address. */
  public static NodeParameters of(String nodeName, String advertiseAddress) {
    return new NodeParameters(nodeName, advertiseAddress, null, null, null, List.of(), null);
  }

  /** The first address of the first service subnet ({@code 10.96.0.1} by default). */
  public InetAddress kubernetesServiceIp() {
    return serviceIp(serviceCidr.split(",")[0].trim());
  }

  /**
   * The API server's URL as {@code admin.conf}, {@code super-admin.conf} and {@code kubelet.conf}
   * carry it: the control-plane endpoint (with the bind port when it names none), else the local
   * endpoint.
   */
  public String serverUrl() {
    if (controlPlaneEndpoint.isEmpty()) {
      return localServerUrl();
    }
    return "https://" + Endpoints.withPort(controlPlaneEndpoint, bindPort);
  }

  /**
   * The node's own API server, as kubeadm writes it into {@code controller-manager.conf} and
   * {@code scheduler.conf}: the advertise address and the bind port.
   */
  public String localServerUrl() {
    return "https://" + Endpoints.withPort(advertiseAddress, bindPort);
  }

  /** The API server's DNS SANs, in kubeadm's order. */
  public List<String> apiServerDnsNames() {
    Set<String> dns = new LinkedHashSet<>();
    dns.add(nodeName);
    dns.add("kubernetes");
    dns.add("kubernetes.default");
    dns.add("kubernetes.default.svc");
    dns.add("kubernetes.default.svc." + dnsDomain);
    String endpointHost = endpointHost();
    if (!endpointHost.isEmpty() && !isIpLiteral(endpointHost)) {
      dns.add(endpointHost);
    }
    for (String san : apiServerCertSans) {
      if (!isIpLiteral(san)) {
        dns.add(san);
      }
    }
    return List.copyOf(dns);
  }

  /** The API server's IP SANs, in kubeadm's order. */
  public List<InetAddress> apiServerIps() {
    Set<InetAddress> ips = new LinkedHashSet<>();
    ips.add(kubernetesServiceIp());
    ips.add(ip(advertiseAddress, "advertise address"));
    String endpointHost = endpointHost();
    if (!endpointHost.isEmpty() && isIpLiteral(endpointHost)) {
      ips.add(ip(endpointHost, "control-plane endpoint"));
    }
    for (String san : apiServerCertSans) {
      if (isIpLiteral(san)) {
        ips.add(ip(san, "API server SAN"));
      }
    }
    return List.copyOf(ips);
  }

  /** etcd's DNS SANs: the node name and {@code localhost}. */
  public List<String> etcdDnsNames() {
    return List.of(nodeName, "localhost");
  }

  /** etcd's IP SANs: the advertise address and both loopbacks. */
  public List<InetAddress> etcdIps() {
    Set<InetAddress> ips = new LinkedHashSet<>();
    ips.add(ip(advertiseAddress, "advertise address"));
    ips.add(ip("127.0.0.1", "loopback"));
    ips.add(ip("::1", "loopback"));
    return new ArrayList<>(ips);
  }

  /** The DNS SANs of etcd's serving ({@code peer} false) or peer certificate, extras appended. */
  public List<String> etcdDnsNames(boolean peer) {
    Set<String> dns = new LinkedHashSet<>(etcdDnsNames());
    for (String san : peer ? etcdPeerCertSans : etcdServerCertSans) {
      if (!isIpLiteral(san)) {
        dns.add(san);
      }
    }
    return List.copyOf(dns);
  }

  /** The IP SANs of etcd's serving ({@code peer} false) or peer certificate, extras appended. */
  public List<InetAddress> etcdIps(boolean peer) {
    Set<InetAddress> ips = new LinkedHashSet<>(etcdIps());
    for (String san : peer ? etcdPeerCertSans : etcdServerCertSans) {
      if (isIpLiteral(san)) {
        ips.add(ip(san, "etcd SAN"));
      }
    }
    return List.copyOf(ips);
  }

  private String endpointHost() {
    return controlPlaneEndpoint.isEmpty() ? "" : Endpoints.host(controlPlaneEndpoint);
  }

  static boolean isIpLiteral(String s) {
    return s.matches("[0-9.]+") && s.chars().filter(c -> c == '.').count() == 3
        || s.contains(":") && s.matches("[0-9a-fA-F:.]+");
  }

  static InetAddress ip(String literal, String what) {
    if (literal == null || !isIpLiteral(literal)) {
      throw new IllegalArgumentException(what + " '" + literal + "' is not an IP address");
    }
    try {
      return InetAddress.getByName(literal);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(what + " '" + literal + "' is not an IP address", e);
    }
  }

  private static InetAddress serviceIp(String cidr) {
    String first = cidr.split(",")[0].trim();
    int slash = first.indexOf('/');
    if (slash < 0) {
      throw new IllegalArgumentException("service CIDR '" + cidr + "' has no prefix length");
    }
    InetAddress base = ip(first.substring(0, slash), "service CIDR");
    int prefix;
    try {
      prefix = Integer.parseInt(first.substring(slash + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("service CIDR '" + cidr + "' has a bad prefix length", e);
    }
    byte[] addr = base.getAddress();
    if (prefix < 0 || prefix >= addr.length * 8) {
      throw new IllegalArgumentException("service CIDR '" + cidr + "' has a bad prefix length");
    }
    BigInteger value = new BigInteger(1, addr);
    BigInteger mask = BigInteger.ONE.shiftLeft(addr.length * 8).subtract(BigInteger.ONE)
        .shiftRight(prefix).not();
    BigInteger network = value.and(mask).add(BigInteger.ONE);
    byte[] raw = network.toByteArray();
    byte[] out = new byte[addr.length];
    int copy = Math.min(raw.length, out.length);
    System.arraycopy(raw, raw.length - copy, out, out.length - copy, copy);
    try {
      return InetAddress.getByAddress(out);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("service CIDR '" + cidr + "'", e);
    }
  }
}
