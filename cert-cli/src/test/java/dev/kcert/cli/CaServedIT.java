package dev.kcert.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kcert.core.node.NodeEndpoints;
import dev.kcert.core.testing.FakeNode;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code kcert ca status --served} on the fake node, whose kubelet serves every component. */
class CaServedIT {
  @TempDir Path root;

  @Test
  void statusServedShowsWhatEachPortServesAgainstThePhaseAndTheNext() {
    try (FakeNode node = FakeNode.create(root).start()) {
      Path kc = node.layout().kubeconfigDir();
      String[] dirs = {"--cert-dir", node.layout().certDir().toString(), "--kubeconfig-dir",
          kc.toString(), "--manifest-dir", NodeEndpoints.manifestsDir(kc).toString(),
          "--kubelet-config", node.kubeletConfig().toString()};
      assertThat(Cli.run(Cli.args(new String[] {"ca", "prepare", "--key-algorithm", "ECDSA-P256"}, dirs)).code())
          .isZero();
      Cli.Run both = Cli.run(Cli.args(new String[] {"ca", "trust-both"}, dirs));
      assertThat(both.code()).as(both.err()).isZero();
      Cli.Run r = Cli.run(Cli.args(new String[] {"ca", "status", "--served"}, dirs));
      assertThat(r.code()).as(r.out() + r.err()).isZero();
      assertThat(r.out())
          .containsPattern("PORT +SERVES +TRUST-BOTH +REISSUE +DETAIL\n")
          .containsPattern("kube-apiserver :" + node.port("kube-apiserver") + " +signed by old +ok +ok +-\n")
          .containsPattern("etcd :" + node.port("etcd") + " +other CA +- +- +-\n")
          .contains("served: every port of this CA serves a certificate the trust-both bundle accepts\n");
    }
  }
}
