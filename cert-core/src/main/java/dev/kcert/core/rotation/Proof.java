package dev.kcert.core.rotation;

import java.util.List;

/**
 * The simulation run before a phase writes anything: every leaf and kubeconfig client
 * certificate, as it will be once the phase is done, checked against the trust bundle of the
 * phase entered and of the one after.
 *
 * @param entered the phase being entered
 * @param next the phase after it (itself for the last one)
 * @param rows one per certificate
 */
public record Proof(Phase entered, Phase next, List<Row> rows) {
  public Proof {
    rows = List.copyOf(rows);
  }

  /**
   * One certificate.
   *
   * @param name its catalogue name
   * @param signedBy {@code old}, {@code new} or {@code other}: its signer once the phase is done
   * @param inEntered whether it verifies under the entered phase's bundle
   * @param inNext whether it verifies under the next phase's bundle
   */
  public record Row(String name, String signedBy, boolean inEntered, boolean inNext) {}

  public boolean ok() {
    return rows.stream().allMatch(r -> r.inEntered() && r.inNext());
  }

  /** The rows that fail, for messages. */
  public List<Row> failures() {
    return rows.stream().filter(r -> !(r.inEntered() && r.inNext())).toList();
  }
}
