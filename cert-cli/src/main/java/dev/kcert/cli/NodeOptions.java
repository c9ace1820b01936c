package dev.kcert.cli;

import dev.kcert.core.config.ClusterConfig;
import dev.kcert.core.pki.Endpoints;
import dev.kcert.core.pki.NodeParameters;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * The node facts kubeadm puts into certificates, with kubeadm's flag names (the shorter names of
 * earlier kcert versions stay as aliases). Each falls back to the kubeadm configuration, then to
 * kubeadm's default.
 */
public final class NodeOptions {
  @Option(
      names = "--node-name",
      paramLabel = "NAME",
      description =
          "The node's name (etcd's certificates' CN, a SAN of the API server); else"
              + " nodeRegistration.name of --config.")
  String nodeName;

  @Option(
      names = {"--apiserver-advertise-address", "--advertise-address"},
      paramLabel = "IP",
      description =
          "The IP address the API server advertises; else localAPIEndpoint.advertiseAddress of"
              + " --config.")
  String advertiseAddress;

  @Option(
      names = "--apiserver-bind-port",
      paramLabel = "PORT",
      description = "The port the API server listens on (default: localAPIEndpoint.bindPort, else 6443).")
  Integer bindPort;

  @Option(
      names = "--service-cidr",
      paramLabel = "CIDR",
      description =
          "The service subnet (default: networking.serviceSubnet, else "
              + NodeParameters.DEFAULT_SERVICE_CIDR + ").")
  String serviceCidr;

  @Option(
      names = {"--service-dns-domain", "--dns-domain"},
      paramLabel = "DOMAIN",
      description =
          "The cluster's DNS domain (default: networking.dnsDomain, else "
              + NodeParameters.DEFAULT_DNS_DOMAIN + ").")
  String dnsDomain;

  @Option(
      names = "--control-plane-endpoint",
      paramLabel = "HOST[:PORT]",
      description =
          "A stable address shared by all control-plane nodes: an IP address or DNS name, with an"
              + " optional port (not a URL); else controlPlaneEndpoint.")
  String controlPlaneEndpoint;

  @Option(
      names = "--apiserver-cert-extra-sans",
      paramLabel = "SAN[,SAN...]",
      split = ",",
      description =
          "Extra SANs (DNS names or IPs), comma-separated, for the API server certificate; else"
              + " apiServer.certSANs.")
  List<String> extraSans = new ArrayList<>();

  /**
   * The node's parameters: flags, then the configuration, then kubeadm's defaults.
   *
   * @throws ParameterException (exit 2) for a missing name or address or a malformed value
   */
  public NodeParameters parameters(ClusterConfig config, CommandSpec spec) {
    String name = nodeName != null ? nodeName : config.nodeName();
    String address = advertiseAddress != null ? advertiseAddress : config.advertiseAddress();
    if (name == null) {
      throw new ParameterException(
          spec.commandLine(), "--node-name is required (or nodeRegistration.name in --config)");
    }
    if (address == null) {
      throw new ParameterException(
          spec.commandLine(),
          "--apiserver-advertise-address is required (or localAPIEndpoint.advertiseAddress in"
              + " --config)");
    }
    String endpoint =
        controlPlaneEndpoint != null ? controlPlaneEndpoint : config.controlPlaneEndpoint();
    List<String> sans = extraSans.isEmpty() ? config.apiServerCertSans() : extraSans;
    try {
      if (controlPlaneEndpoint != null) {
        Endpoints.checkHostPort(controlPlaneEndpoint, "--control-plane-endpoint");
      }
      for (String san : extraSans) {
        if (san.isEmpty() || san.chars().anyMatch(c -> Character.isWhitespace(c) || c == '/')) {
          throw new IllegalArgumentException(
              "--apiserver-cert-extra-sans: '" + san
                  + "' is not a DNS name or an IP address (separate SANs with commas)");
        }
      }
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    try {
      return node(name, address, endpoint, sans, config);
    } catch (IllegalArgumentException e) {
      // a value may have come from the configuration: say where to look
      throw new IllegalArgumentException(
          config.isPresent() ? e.getMessage() + " (in the flags or " + config.source() + ")" : e.getMessage(),
          e);
    }
  }

  private NodeParameters node(
      String name, String address, String endpoint, List<String> sans, ClusterConfig config) {
    return new NodeParameters(
          name,
          address,
          serviceCidr != null ? serviceCidr : config.serviceSubnet(),
          dnsDomain != null ? dnsDomain : config.dnsDomain(),
          endpoint,
          sans,
          config.clusterName(),
          bindPort != null
              ? bindPort
              : config.bindPort() != null ? config.bindPort() : NodeParameters.API_SERVER_PORT,
          config.etcdServerCertSans(),
          config.etcdPeerCertSans());
  }
}
