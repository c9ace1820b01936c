package dev.kcert.core.rotation;

import dev.kcert.core.model.KcertException;
import dev.kcert.core.renewal.FileOps;
import dev.kcert.core.renewal.Installer;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * What a killed {@code kcert ca} command left on a node, told from the files alone, and what to
 * run next. {@code status} prints it; the next run of the same command (or {@code abort}) is what
 * clears it, and neither needs this class to do so: it only puts into words what they will find.
 *
 * <ul>
 *   <li>an installation whose journal still says {@code in-progress}: killed while it replaced
 *       files; the next command restores the backup first;
 *   <li>the files hold the phase after the recorded one (or the old CA alone, for abort): killed
 *       between the phase's files and its state; the same command records it;
 *   <li>no state but files in the rotation folder: a {@code prepare} killed before its state (it is
 *       written last) or an abort killed before it removed the state (removed last).
 * </ul>
 *
 * <p>What the input can influence: the journal's state line and the rotation folder's files are
 * only read; every judgement on the PKI is {@link Rotation}'s own check of the files.
 */
public final class Interruption {
  private Interruption() {}

  /** One line saying what was interrupted and what to run; empty when nothing was. */
  public static Optional<String> of(Rotation r, NodeFiles node) {
    String ca = r.caName();
    List<Path> journals = new Installer(FileOps.system()).interrupted(node.layout());
    if (!journals.isEmpty()) {
      return Optional.of("a kcert run was killed while it replaced files (journal in-progress in "
          + journals.get(0) + "): run the same kcert ca command again (it restores the backup"
          + " first, then does the phase), or kcert ca abort --ca " + ca);
    }
    Optional<RotationState> st;
    try {
      st = r.state();
    } catch (KcertException e) {
      return Optional.empty(); // status reports the broken state file itself
    }
    if (st.isEmpty()) {
      for (Path p : List.of(r.newCrt(), r.newKey(), r.oldCrt(), r.oldKey(), r.signerCopy())) {
        if (java.nio.file.Files.exists(p)) {
          return Optional.of("a prepare or an abort of " + ca + " was killed before it completed ("
              + p + " is left): run kcert ca prepare --ca " + ca + " again, or kcert ca abort --ca "
              + ca + " to remove what is left");
        }
      }
      return Optional.empty();
    }
    RotationState state = st.get();
    Rotation.Cas cas;
    try {
      cas = r.cas();
      if (r.check(state.phase(), state, cas).isEmpty()) {
        return Optional.empty();
      }
    } catch (KcertException e) {
      return Optional.empty();
    }
    Optional<Phase> next = state.phase().next();
    if (next.isPresent() && next.get() != Phase.PREPARED && holds(r, next.get(), state, cas)) {
      return Optional.of("the files hold " + next.get().command() + " already: a run of kcert ca "
          + next.get().command() + " was killed before it recorded the phase; run it again (it"
          + " records it), or kcert ca abort --ca " + ca);
    }
    if (state.phase() != Phase.FINISHED && holds(r, Phase.NONE, state, new Rotation.Cas(cas.old(), null))) {
      return Optional.of("the files hold the old CA alone: a run of kcert ca abort was killed before"
          + " it completed; run kcert ca abort --ca " + ca + " again");
    }
    return Optional.empty();
  }

  private static boolean holds(Rotation r, Phase phase, RotationState st, Rotation.Cas cas) {
    try {
      return r.checkFiles(phase, st, cas).isEmpty();
    } catch (KcertException e) {
      return false;
    }
  }
}
