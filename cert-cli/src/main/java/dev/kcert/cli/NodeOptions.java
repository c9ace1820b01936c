package dev.kcert.cli;

import dev.kcert.core.pki.NodeParameters;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** The node facts kubeadm puts into certificates, as kubeadm's flags name them. */
public final class NodeOptions {
  @Option(
      names = "--node-name",
      paramLabel = "NAME",
      required = true,
      description = "The node's name (etcd's certificates' CN, a SAN of the API server).")
  String nodeName;

  @Option(
      names = "--advertise-address",
      paramLabel = "IP",
      required = true,
      description = "The IP address the API server advertises.")
  String advertiseAddress;

  @Option(
      names = "--service-cidr",
      paramLabel = "CIDR",
      defaultValue = NodeParameters.DEFAULT_SERVICE_CIDR,
      description = "The service subnet (default: ${DEFAULT-VALUE}).")
  String serviceCidr;

  @Option(
      names = "--dns-domain",
      paramLabel = "DOMAIN",
      defaultValue = NodeParameters.DEFAULT_DNS_DOMAIN,
      description = "The cluster's DNS domain (default: ${DEFAULT-VALUE}).")
  String dnsDomain;

  @Option(
      names = "--control-plane-endpoint",
      paramLabel = "HOST[:PORT]",
      description = "A stable address shared by all control-plane nodes.")
  String controlPlaneEndpoint;

  @Option(
      names = "--apiserver-cert-extra-sans",
      paramLabel = "SAN",
      split = ",",
      description = "Extra SANs (DNS names or IPs) for the API server certificate.")
  List<String> extraSans = new ArrayList<>();

  public NodeParameters parameters() {
    return new NodeParameters(
        nodeName, advertiseAddress, serviceCidr, dnsDomain, controlPlaneEndpoint, extraSans, null);
  }
}
