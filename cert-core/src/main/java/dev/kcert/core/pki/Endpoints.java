package dev.kcert.core.pki;

import java.util.regex.Pattern;

/**
 * {@code host[:port]} values as kubeadm reads them ({@code --control-plane-endpoint}, {@code
 * controlPlaneEndpoint}): split at the last colon when the text splits as a host and a port ({@code
 * lb:6443}, {@code [fd00::1]:6443}), else the whole text is the host ({@code fd00::1}); the host
 * must be an IP address or an RFC 1123 DNS subdomain (lower case), the port 1 to 65535. A URL, a
 * space or an empty label is refused.
 */
public final class Endpoints {
  private static final Pattern DNS1123_SUBDOMAIN =
      Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

  private Endpoints() {}

  /** A split {@code host[:port]}; {@code port} is empty when none was given. */
  record HostPort(String host, String port) {}

  /**
   * Checks a {@code host[:port]}.
   *
   * @throws IllegalArgumentException naming {@code what} and the value when it is not one
   */
  public static void checkHostPort(String text, String what) {
    split(text, what);
  }

  /** The host of a {@code host[:port]} (without brackets). */
  static String host(String text) {
    return split(text, "endpoint").host();
  }

  /** {@code host:port} for a URL: the given port, else {@code defaultPort}; IPv6 in brackets. */
  static String withPort(String text, int defaultPort) {
    HostPort hp = split(text, "endpoint");
    String host = hp.host().contains(":") ? "[" + hp.host() + "]" : hp.host();
    return host + ":" + (hp.port().isEmpty() ? String.valueOf(defaultPort) : hp.port());
  }

  private static HostPort split(String text, String what) {
    String host = text;
    String port = "";
    HostPort hp = goSplit(text);
    if (hp != null) {
      host = hp.host();
      port = hp.port();
    }
    if (!port.isEmpty()) {
      int p;
      try {
        p = Integer.parseInt(port);
      } catch (NumberFormatException e) {
        p = -1;
      }
      if (p < 1 || p > 65535) {
        throw new IllegalArgumentException(
            what + " '" + text + "': port '" + port + "' must be a number from 1 to 65535");
      }
    }
    if (NodeParameters.isIpLiteral(host)) {
      NodeParameters.ip(host, what); // throws when it only looks like one
      return new HostPort(host, port);
    }
    if (host.length() <= 253 && DNS1123_SUBDOMAIN.matcher(host).matches()) {
      return new HostPort(host, port);
    }
    throw new IllegalArgumentException(
        what + " '" + text + "': host '" + host
            + "' must be an IP address or a lower-case DNS name (host[:port], not a URL)");
  }

  /** Splits as Go's net.SplitHostPort does; null where it would fail. */
  private static HostPort goSplit(String s) {
    int last = s.lastIndexOf(':');
    if (last < 0) {
      return null;
    }
    String host;
    if (s.startsWith("[")) {
      int end = s.indexOf(']');
      if (end < 0 || end + 1 != last) {
        return null;
      }
      host = s.substring(1, end);
    } else {
      host = s.substring(0, last);
      if (host.contains(":") || host.contains("[") || host.contains("]")) {
        return null;
      }
    }
    String port = s.substring(last + 1);
    if (port.contains("[") || port.contains("]")) {
      return null;
    }
    return new HostPort(host, port);
  }
}
