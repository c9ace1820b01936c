package dev.kcert.approver;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kcert.core.approval.Cidr;
import dev.kcert.core.approval.KubeadmClusterConfig;
import dev.kcert.core.approval.ReservedNames;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ClusterNamesTest {
  static final KubeadmClusterConfig CONFIG = new KubeadmClusterConfig(
      List.of("10.112.0.0/12"), Optional.of("corp.internal"), Optional.of("cp.example.com"), List.of("k8s.example.com"));

  @Test
  void withoutFlagsOrConfigMapTheDefaultsComeWithWarnings() {
    ClusterNames.Merged m = ClusterNames.merge(Settings.NameFlags.NONE, Optional.empty());
    assertThat(m.names()).isEqualTo(ReservedNames.defaults());
    assertThat(m.warnings()).containsExactly(
        "service CIDR unknown (no --service-cidr, no networking.serviceSubnet in kube-system/kubeadm-config): "
            + "assuming kubeadm's default 10.96.0.0/12",
        "cluster domain unknown (no --cluster-domain, no networking.dnsDomain in kube-system/kubeadm-config): "
            + "assuming kubeadm's default cluster.local");
  }

  @Test
  void theConfigMapFillsEveryPart() {
    ClusterNames.Merged m = ClusterNames.merge(Settings.NameFlags.NONE, Optional.of(CONFIG));
    assertThat(m.names()).isEqualTo(new ReservedNames(List.of(Cidr.parse("10.112.0.0/12")), "corp.internal",
        Optional.of("cp.example.com"), List.of("k8s.example.com")));
    assertThat(m.warnings()).isEmpty();
  }

  @Test
  void flagsOverrideTheConfigMapPartByPart() {
    Settings.NameFlags flags = new Settings.NameFlags(Optional.of(List.of(Cidr.parse("10.200.0.0/16"))),
        Optional.empty(), Optional.of("[fd00::5]:6443"), Optional.empty(), true);
    ClusterNames.Merged m = ClusterNames.merge(flags, Optional.of(CONFIG));
    assertThat(m.names()).isEqualTo(new ReservedNames(List.of(Cidr.parse("10.200.0.0/16")), "corp.internal",
        Optional.of("fd00::5"), List.of("k8s.example.com")));
  }

  @Test
  void aBadServiceSubnetInTheConfigMapIsSkippedWithAWarning() {
    KubeadmClusterConfig bad = new KubeadmClusterConfig(List.of("10.112.0.1/12"), Optional.of("corp.internal"),
        Optional.empty(), List.of());
    ClusterNames.Merged m = ClusterNames.merge(Settings.NameFlags.NONE, Optional.of(bad));
    assertThat(m.names().serviceCidrs()).containsExactly(ReservedNames.DEFAULT_SERVICE_CIDR);
    assertThat(m.warnings()).first().asString().isEqualTo("kube-system/kubeadm-config: networking.serviceSubnet: "
        + "invalid CIDR '10.112.0.1/12': host bits are set after the /12 prefix; ignored");
  }
}
