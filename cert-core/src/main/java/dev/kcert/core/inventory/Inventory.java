package dev.kcert.core.inventory;

import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * What a node's PKI holds: one row per catalogue entry, and the problems found on the way.
 *
 * @param authorities the CA rows, sorted by name
 * @param certificates the leaf, kubeconfig and kubelet rows, sorted by name
 * @param problems what is wrong, in the order found
 */
public record Inventory(
    List<InventoryRow> authorities, List<InventoryRow> certificates, List<Problem> problems) {

  public Inventory {
    authorities = List.copyOf(authorities);
    certificates = List.copyOf(certificates);
    problems = List.copyOf(problems);
  }

  public Optional<InventoryRow> row(String name) {
    return Stream.concat(authorities.stream(), certificates.stream())
        .filter(r -> r.name().equals(name))
        .findFirst();
  }

  public boolean hasErrors() {
    return problems.stream().anyMatch(Problem::isError);
  }
}
