package dev.kcert.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoCommandTest {
  @TempDir Path tmp;

  @Test
  void demoBuildsAPkiWithTroubleAndReportsIt() {
    CliRun r = CliRun.run(CheckExpirationCommandTest.AN_HOUR_LATER, "demo", "--dir", tmp.toString());
    assertThat(r.exitCode()).isZero();
    assertThat(r.out())
        .contains("Generated a kubeadm PKI for node demo-control-plane in " + tmp.resolve("etc-kubernetes"))
        .contains("admin.conf                 ")
        .containsPattern("\napiserver +Dec 18, 2026 11:00 UTC   25d ")
        .contains("<invalid>")
        .contains("The demo tree stays in " + tmp);
    assertThat(r.err())
        .contains("warning: 3 certificates expired or expiring within 30d (1 already expired):"
            + " admin.conf, apiserver, front-proxy-client");
    assertThat(tmp.resolve("etc-kubernetes/pki/ca.key")).exists();
  }
}
