package dev.kcert.core.rotation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kcert.core.model.Catalogue;
import dev.kcert.core.node.Component;
import dev.kcert.core.renewal.FileOps;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What {@code status} says a killed command left, and what the commands do with it, for the states
 * a kill leaves behind, made here by hand: a state file one phase behind its files, a rotation
 * folder without a state, and the commit hook that writes the restarts record before any file.
 */
class InterruptionTest extends RotationNode {
  @Test
  void nothingInterruptedSaysNothing() {
    Rotation r = rotation(Catalogue.CA);
    assertThat(Interruption.of(r, node)).isEmpty();
    r.prepare(GENERATE, false);
    r.advance(Phase.TRUST_BOTH, false);
    assertThat(Interruption.of(r, node)).isEmpty();
  }

  @Test
  void filesAheadOfTheStateNameThePhaseToRunAgain() throws Exception {
    Rotation r = rotation(Catalogue.CA);
    r.prepare(GENERATE, false);
    r.advance(Phase.TRUST_BOTH, false);
    byte[] trustBoth = Files.readAllBytes(r.stateFile());
    r.advance(Phase.REISSUED, false);
    Files.write(r.stateFile(), trustBoth); // as a run killed between its files and its state
    assertThat(Interruption.of(r, node)).hasValue("the files hold reissue already: a run of kcert ca"
        + " reissue was killed before it recorded the phase; run it again (it records it), or kcert"
        + " ca abort --ca ca");
    assertThat(r.advance(Phase.REISSUED, false).alreadyDone()).isTrue();
    assertThat(r.phase()).isEqualTo(Phase.REISSUED);
    assertThat(Interruption.of(r, node)).isEmpty();
  }

  @Test
  void anAbortKilledBeforeItsStateWentIsNamedAndFinishedByAbort() throws Exception {
    Rotation r = rotation(Catalogue.ETCD_CA);
    r.prepare(GENERATE, false);
    r.advance(Phase.TRUST_BOTH, false);
    r.advance(Phase.REISSUED, false);
    byte[] state = Files.readAllBytes(r.stateFile());
    byte[] newCrt = Files.readAllBytes(r.newCrt());
    r.abort(false);
    // as an abort killed after its files, before it removed the state and the new CA
    Files.write(r.newCrt(), newCrt);
    Files.write(r.stateFile(), state);
    assertThat(Interruption.of(r, node)).hasValue("the files hold the old CA alone: a run of kcert"
        + " ca abort was killed before it completed; run kcert ca abort --ca etcd-ca again");
    Outcome again = r.abort(false);
    assertThat(r.state()).isEmpty();
    assertThat(r.newCrt()).doesNotExist();
    assertThat(again.phase()).isEqualTo(Phase.NONE);
    assertThat(Interruption.of(r, node)).isEmpty();
  }

  @Test
  void aRotationFolderWithoutStateIsRemovedByAbortAndAnEmptyNodeIsAbortedAlready() throws Exception {
    Rotation r = rotation(Catalogue.FRONT_PROXY_CA);
    r.prepare(GENERATE, false);
    Files.delete(r.stateFile()); // as a prepare killed before its state (written last)
    assertThat(Interruption.of(r, node).orElseThrow()).startsWith("a prepare or an abort of"
        + " front-proxy-ca was killed before it completed (");
    Outcome removed = r.abort(false);
    assertThat(removed.alreadyDone()).isFalse();
    assertThat(removed.notes().get(0)).startsWith("removed what an interrupted prepare or abort left in ");
    assertThat(r.dir().resolve("new.key")).doesNotExist();
    assertThat(r.dir().resolve("old.key")).doesNotExist();
    assertThat(Interruption.of(r, node)).isEmpty();
    Outcome again = r.abort(false);
    assertThat(again.alreadyDone()).isTrue();
  }

  @Test
  void theCommitHookRunsBeforeThePhasesFirstFileWithTheFilesItWillWrite() throws Exception {
    Rotation r = rotation(Catalogue.ETCD_CA);
    r.prepare(GENERATE, false);
    byte[] before = Files.readAllBytes(node.layout().certFile(Catalogue.ca(Catalogue.ETCD_CA)));
    List<Path> seen = new ArrayList<>();
    r.advance(Phase.TRUST_BOTH, false, (target, files) -> {
      assertThat(target).isEqualTo(Phase.TRUST_BOTH);
      try {
        assertThat(Files.readAllBytes(node.layout().certFile(Catalogue.ca(Catalogue.ETCD_CA))))
            .as("nothing written yet").isEqualTo(before);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      seen.addAll(files);
      PhaseRestarts.begin(r, node, FileOps.system(), target, files);
    });
    assertThat(seen).contains(node.layout().certFile(Catalogue.ca(Catalogue.ETCD_CA)));
    assertThat(PhaseRestarts.recorded(r).orElseThrow())
        .isEqualTo(new PhaseRestarts.Record(Phase.TRUST_BOTH, List.of(Component.ETCD, Component.KUBE_APISERVER)));
    // recorded phase = state phase: not proven, the next phase refuses
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> PhaseRestarts.requireProven(r, Phase.REISSUED))
        .hasMessageContaining("etcd-ca: phase trust-both is not proven");
  }
}
