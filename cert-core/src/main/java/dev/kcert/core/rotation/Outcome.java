package dev.kcert.core.rotation;

import java.nio.file.Path;
import java.util.List;

/**
 * What a rotation command did, or would do.
 *
 * @param caName the CA
 * @param phase the phase entered (or, with {@code alreadyDone}, found in place)
 * @param alreadyDone whether the phase was complete already, so nothing was written
 * @param dryRun whether nothing was written because it was a dry run
 * @param proof the simulation run before writing; {@code null} for {@code prepare}
 * @param backupDir the folder holding the files replaced; {@code null} when none were
 * @param written the files written, in order
 * @param discoveryHash the join discovery hash of the new CA ({@code finish} of {@code ca} only)
 * @param notes what the user should know next (one line each)
 */
public record Outcome(
    String caName,
    Phase phase,
    boolean alreadyDone,
    boolean dryRun,
    Proof proof,
    Path backupDir,
    List<Path> written,
    String discoveryHash,
    List<String> notes) {
  public Outcome {
    written = List.copyOf(written);
    notes = List.copyOf(notes);
  }
}
