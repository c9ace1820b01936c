package dev.kcert.core.approval;

import java.util.List;
import java.util.Objects;

/**
 * A registered Node, as far as the policy needs it.
 *
 * @param name {@code metadata.name}
 * @param addresses {@code status.addresses}
 */
public record NodeInfo(String name, List<Address> addresses) {

  public NodeInfo {
    Objects.requireNonNull(name, "name");
    addresses = addresses == null ? List.of() : List.copyOf(addresses);
  }

  /**
   * One entry of {@code status.addresses}.
   *
   * @param type {@code Hostname}, {@code InternalDNS}, {@code ExternalDNS}, {@code InternalIP} or
   *     {@code ExternalIP}; other types are never trusted
   * @param address the value as the API holds it
   */
  public record Address(String type, String address) {}
}
