package dev.kcert.core.rotation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kcert.core.model.Catalogue;
import dev.kcert.core.model.KcertException;
import dev.kcert.core.node.Component;
import dev.kcert.core.testing.TestPki;
import java.nio.file.Files;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PhaseRestartsTest extends RotationNode {
  static Stream<Arguments> readers() {
    return Stream.of(
        Arguments.of("pki/ca.crt", List.of(Component.KUBE_APISERVER, Component.KUBE_CONTROLLER_MANAGER)),
        Arguments.of("pki/etcd/ca.crt", List.of(Component.ETCD, Component.KUBE_APISERVER)),
        Arguments.of("pki/front-proxy-ca.crt",
            List.of(Component.KUBE_APISERVER, Component.KUBE_CONTROLLER_MANAGER)),
        Arguments.of("scheduler.conf", List.of(Component.KUBE_SCHEDULER)),
        Arguments.of("manifests/kube-scheduler.yaml", List.of(Component.KUBE_SCHEDULER)),
        Arguments.of("admin.conf", List.of()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource
  void readers(String written, List<Component> expected) {
    assertThat(PhaseRestarts.readers(node, List.of(root.resolve(written)))).isEqualTo(expected);
  }

  @Test
  void theRecordBlocksTheNextPhaseUntilItIsCleared() throws Exception {
    Rotation r = Rotation.of(node, Catalogue.ETCD_CA, TestPki.CLOCK);
    r.prepare(new NewCa.Generate(dev.kcert.core.keys.KeyAlgorithm.ECDSA_P256,
        java.time.Duration.ofDays(3650)), false);
    PhaseRestarts.requireProven(r, Phase.TRUST_BOTH); // no record: passes
    Files.writeString(PhaseRestarts.file(r), "phase\tprepare\npod\tetcd\npod\tkube-apiserver\n");
    assertThat(PhaseRestarts.pending(r)).containsExactly(Component.ETCD, Component.KUBE_APISERVER);
    assertThatThrownBy(() -> PhaseRestarts.requireProven(r, Phase.TRUST_BOTH))
        .isInstanceOf(KcertException.class)
        .hasMessage("etcd-ca: phase prepare is not proven (its restarts or served proof failed; "
            + PhaseRestarts.file(r) + "), so trust-both will not start: run kcert ca prepare"
            + " --ca etcd-ca --restart again");
    PhaseRestarts.clear(r);
    PhaseRestarts.requireProven(r, Phase.TRUST_BOTH);
  }

  @Test
  void anUnknownPodInTheRecordIsAnErrorNamingTheFile() throws Exception {
    Rotation r = Rotation.of(node, Catalogue.CA, TestPki.CLOCK);
    Files.createDirectories(r.dir());
    Files.writeString(PhaseRestarts.file(r), "phase\ttrust-both\npod\tkube-proxy\n");
    assertThatThrownBy(() -> PhaseRestarts.pending(r))
        .hasMessage(PhaseRestarts.file(r) + ": names an unknown static pod: kube-proxy");
  }
}
