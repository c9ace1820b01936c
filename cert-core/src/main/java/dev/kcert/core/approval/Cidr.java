package dev.kcert.core.approval;

import java.net.InetAddress;
import java.util.Arrays;

/**
 * An IPv4 or IPv6 network in CIDR notation.
 *
 * @param text the notation as given, for messages
 */
public record Cidr(String text, byte[] network, int prefix) {

  /**
   * Parses {@code 10.0.0.0/8} or {@code fd00::/8}. Host bits must be zero.
   *
   * @throws IllegalArgumentException with a message naming the bad input
   */
  public static Cidr parse(String text) {
    String t = text == null ? "" : text.trim();
    int slash = t.indexOf('/');
    if (slash < 0) {
      throw new IllegalArgumentException("invalid CIDR '" + text + "': expected ADDRESS/PREFIX");
    }
    InetAddress addr =
        IpLiterals.parse(t.substring(0, slash))
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "invalid CIDR '" + text + "': not an IP address before '/'"));
    byte[] bytes = addr.getAddress();
    int prefix;
    try {
      prefix = Integer.parseInt(t.substring(slash + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("invalid CIDR '" + text + "': prefix is not a number");
    }
    if (prefix < 0 || prefix > bytes.length * 8) {
      throw new IllegalArgumentException(
          "invalid CIDR '" + text + "': prefix must be 0.." + bytes.length * 8);
    }
    for (int bit = prefix; bit < bytes.length * 8; bit++) {
      if ((bytes[bit / 8] & (0x80 >> (bit % 8))) != 0) {
        throw new IllegalArgumentException(
            "invalid CIDR '" + text + "': host bits are set after the /" + prefix + " prefix");
      }
    }
    return new Cidr(t, bytes, prefix);
  }

  /** Whether an address lies in this network (an IPv4 address never lies in an IPv6 network). */
  public boolean contains(InetAddress address) {
    byte[] a = address.getAddress();
    if (a.length != network.length) {
      return false;
    }
    for (int bit = 0; bit < prefix; bit++) {
      int mask = 0x80 >> (bit % 8);
      if ((a[bit / 8] & mask) != (network[bit / 8] & mask)) {
        return false;
      }
    }
    return true;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Cidr c && prefix == c.prefix && Arrays.equals(network, c.network);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(network) + prefix;
  }

  @Override
  public String toString() {
    return text;
  }
}
