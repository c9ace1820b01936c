package dev.kcert.core.config;

import dev.kcert.core.keys.KeyAlgorithm;
import java.time.Duration;
import java.util.List;

/**
 * The parts of kubeadm's configuration ({@code ClusterConfiguration}, {@code InitConfiguration},
 * {@code JoinConfiguration}) that decide what certificates look like. Every field is {@code null}
 * (or an empty list) when the configuration does not set it, so that flags and kcert's defaults can
 * fill the gaps in kubeadm's order: flags, then the configuration, then defaults.
 *
 * @param source where it came from, for the one line that says so ({@code the file ...}, {@code the
 *     "kubeadm-config" ConfigMap})
 * @param certificatesDir {@code certificatesDir}
 * @param certificateValidityPeriod {@code certificateValidityPeriod} (v1beta4)
 * @param caCertificateValidityPeriod {@code caCertificateValidityPeriod} (v1beta4)
 * @param encryptionAlgorithm {@code encryptionAlgorithm} (v1beta4)
 * @param externalEtcd whether {@code etcd.external} is set
 * @param etcdServerCertSans {@code etcd.local.serverCertSANs}
 * @param etcdPeerCertSans {@code etcd.local.peerCertSANs}
 * @param apiServerCertSans {@code apiServer.certSANs}
 * @param controlPlaneEndpoint {@code controlPlaneEndpoint}
 * @param dnsDomain {@code networking.dnsDomain}
 * @param serviceSubnet {@code networking.serviceSubnet}
 * @param clusterName {@code clusterName}
 * @param advertiseAddress {@code localAPIEndpoint.advertiseAddress} (Init) or {@code
 *     controlPlane.localAPIEndpoint.advertiseAddress} (Join)
 * @param bindPort the matching {@code bindPort}
 * @param nodeName {@code nodeRegistration.name}
 */
public record ClusterConfig(
    String source,
    String certificatesDir,
    Duration certificateValidityPeriod,
    Duration caCertificateValidityPeriod,
    KeyAlgorithm encryptionAlgorithm,
    boolean externalEtcd,
    List<String> etcdServerCertSans,
    List<String> etcdPeerCertSans,
    List<String> apiServerCertSans,
    String controlPlaneEndpoint,
    String dnsDomain,
    String serviceSubnet,
    String clusterName,
    String advertiseAddress,
    Integer bindPort,
    String nodeName) {

  public ClusterConfig {
    etcdServerCertSans = etcdServerCertSans == null ? List.of() : List.copyOf(etcdServerCertSans);
    etcdPeerCertSans = etcdPeerCertSans == null ? List.of() : List.copyOf(etcdPeerCertSans);
    apiServerCertSans = apiServerCertSans == null ? List.of() : List.copyOf(apiServerCertSans);
  }

  /** No configuration: every field unset. */
  public static ClusterConfig none() {
    return new ClusterConfig(
        null, null, null, null, null, false, null, null, null, null, null, null, null, null, null,
        null);
  }

  /** Whether this stands for a configuration that was read (not {@link #none()}). */
  public boolean isPresent() {
    return source != null;
  }
}
