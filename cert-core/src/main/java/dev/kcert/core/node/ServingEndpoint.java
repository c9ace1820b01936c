package dev.kcert.core.node;

import java.nio.file.Path;

/**
 * One TLS port of a component on this node and the certificate file it is configured to serve.
 *
 * @param component the component
 * @param host the address to connect to (a loopback address when the component listens on all)
 * @param port the port
 * @param certFile the certificate file the component serves, or {@code null} when it is configured
 *     with none and serves a certificate it makes itself at start-up (kubeadm's controller-manager
 *     and scheduler)
 * @param healthPath the health endpoint on this port ({@code /livez}, {@code /healthz}, {@code
 *     /health}), or {@code null} when the port has none (etcd's peer port)
 * @param source where the settings came from: the manifest or kubelet configuration file, or
 *     {@code null} for kubeadm's defaults
 */
public record ServingEndpoint(
    Component component, String host, int port, Path certFile, String healthPath, Path source) {

  /** {@code host:port}, with brackets around an IPv6 address. */
  public String address() {
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }

  /** A short name for messages: {@code etcd :2380}. */
  public String describe() {
    return component.podName() + " :" + port;
  }
}
