package dev.kcert.core.expiry;

import dev.kcert.core.inventory.Inventory;
import dev.kcert.core.inventory.InventoryRow;
import dev.kcert.core.inventory.Problem;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;

/**
 * When each certificate of an inventory expires, seen from one instant.
 *
 * @param now the instant residual times are measured from
 * @param certificates leaf, kubeconfig and kubelet rows, sorted by name
 * @param authorities CA rows, sorted by name
 * @param problems the inventory's problems
 */
public record ExpiryReport(
    Instant now, List<ExpiryEntry> certificates, List<ExpiryEntry> authorities, List<Problem> problems) {

  public ExpiryReport {
    certificates = List.copyOf(certificates);
    authorities = List.copyOf(authorities);
    problems = List.copyOf(problems);
  }

  public static ExpiryReport of(Inventory inventory, Clock clock) {
    Instant now = clock.instant();
    return new ExpiryReport(
        now,
        inventory.certificates().stream().map(r -> entry(r, now)).toList(),
        inventory.authorities().stream().map(r -> entry(r, now)).toList(),
        inventory.problems());
  }

  /** Seconds from {@code now} to {@code then}, truncated toward zero as Go's integer division does. */
  public static long residualSeconds(Instant now, Instant then) {
    Duration d = Duration.between(now, then);
    try {
      return d.toNanos() / 1_000_000_000L;
    } catch (ArithmeticException overflow) {
      return d.getSeconds();
    }
  }

  private static ExpiryEntry entry(InventoryRow r, Instant now) {
    if (r.isMissing()) {
      // as kubeadm: a missing row carries its name and missing: true, nothing else
      return new ExpiryEntry(r.name(), null, 0, "", false, true, null);
    }
    if (!r.isPresent()) {
      return new ExpiryEntry(
          r.name(), null, 0, r.entry().caName(), r.externallyManaged(), false, r.error());
    }
    Instant notAfter = r.certificate().getNotAfter().toInstant();
    return new ExpiryEntry(
        r.name(),
        notAfter,
        residualSeconds(now, notAfter),
        r.entry().caName(),
        r.externallyManaged(),
        false,
        null);
  }

  /** The row of one catalogue entry. */
  public ExpiryEntry entry(String name) {
    return all()
        .filter(e -> e.name().equals(name))
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no row named " + name));
  }

  /** All rows, CAs last. */
  public Stream<ExpiryEntry> all() {
    return Stream.concat(certificates.stream(), authorities.stream());
  }

  /**
   * The readable rows that have expired or expire within {@code threshold} of {@code now}. Missing
   * and invalid rows are never counted here (a missing {@code super-admin.conf} is normal on a
   * joined control-plane node; invalid rows are errors of their own).
   */
  public List<ExpiryEntry> expiringWithin(Duration threshold) {
    long limit = threshold.getSeconds();
    return all().filter(ExpiryEntry::hasDate).filter(e -> e.residualSeconds() <= limit).toList();
  }

  public boolean hasErrors() {
    return problems.stream().anyMatch(Problem::isError);
  }
}
