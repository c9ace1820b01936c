package dev.kcert.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kcert.cli.Cli.Run;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo, which starts a stand-in API server on a loopback port. */
class DemoCommandIT {
  @TempDir Path dir;

  @Test
  void demoRenewsWhatIsDueAndChecksAgain() {
    Run r = Cli.run("demo", "--dir", dir.toString());

    assertThat(r.code()).as(r.err()).isZero();
    Path etc = dir.resolve("etc-kubernetes");
    assertThat(r.out())
        .contains("(check-expiration exited with 4: 4 means something expires within 30d)")
        .contains(
            "$ kcert certs renew all --renew-within 30d --cert-dir "
                + etc.resolve("pki")
                + " --kubeconfig-dir "
                + etc
                + "\n")
        .contains(
            "certificate embedded in the kubeconfig file for the admin to use and for kubeadm"
                + " itself renewed\n"
                + "certificate for serving the Kubernetes API renewed\n")
        .contains("\ncertificate for the front proxy client renewed\n")
        .contains("(renew exited with 0: 0 means certificates were renewed)")
        .containsPattern("\nkube-apiserver +127\\.0\\.0\\.1:\\d+ +differs ")
        .contains("(check-served exited with 6: 6 means a component serves another certificate")
        .contains("(check-expiration exited with 0: nothing expires within 30d any more)");
    assertThat(r.err())
        .startsWith(
            "warning: 3 certificates expired or expiring within 30d (1 already expired):"
                + " admin.conf, apiserver, front-proxy-client\n"
                + "error: kube-apiserver :")
        .contains(" serves a certificate other than " + etc.resolve("pki/apiserver.crt"))
        .endsWith("; restart kube-apiserver\n");
    assertThat(r.err().lines()).hasSize(2);
  }

  @Test
  void demoBuildsAPkiWithTroubleAndReportsIt() {
    Path tmp = dir;
    Cli.Run r = Cli.run(CheckExpirationCommandTest.AN_HOUR_LATER, "demo", "--dir", tmp.toString());
    assertThat(r.code()).isZero();
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
