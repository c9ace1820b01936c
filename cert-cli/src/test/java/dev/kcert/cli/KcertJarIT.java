package dev.kcert.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kcert.core.pki.PkiLayout;
import dev.kcert.core.testing.TestPki;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged jar as users run it, in its own process: exit codes reach the shell, and jq lines
 * written against kubeadm's JSON work unchanged.
 */
class KcertJarIT {
  static final Path JAR = Path.of("target/kcert.jar");

  @TempDir Path tmp;
  PkiLayout layout;

  @BeforeEach
  void pki() {
    layout =
        TestPki.in(tmp.resolve("etc"))
            .clock(java.time.Clock.systemUTC())
            .window("apiserver", java.time.Instant.now().minus(Duration.ofDays(300)),
                java.time.Instant.now().plus(Duration.ofDays(10)))
            .create();
  }

  @Test
  void jqLinesForKubeadmWorkUnchanged() throws Exception {
    Path json = tmp.resolve("out.json");
    Result r = run(List.of("java", "-jar", JAR.toString(), "certs", "check-expiration",
        "--cert-dir", layout.certDir().toString(), "--kubeconfig-dir", layout.kubeconfigDir().toString(),
        "-o", "json"));
    assertThat(r.code).isZero();
    Files.writeString(json, r.out);
    Result soon = run(List.of("jq", "-r",
        ".certificates[] | select(.missing == false and .residualTime < 2592000) | .name", json.toString()));
    assertThat(soon.out).isEqualTo("apiserver\n");
    Result cas = run(List.of("jq", "-r",
        ".certificateAuthorities[] | \"\\(.name) \\(.externallyManaged)\"", json.toString()));
    assertThat(cas.out).isEqualTo("ca false\netcd-ca false\nfront-proxy-ca false\n");
    Result date = run(List.of("jq", "-r",
        ".certificates[] | select(.name == \"apiserver\") | .expirationDate | fromdateiso8601", json.toString()));
    assertThat(date.code).isZero();
  }

  @Test
  void exitCodesReachTheShell() throws Exception {
    Result r = run(List.of("java", "-jar", JAR.toString(), "certs", "check-expiration",
        "--cert-dir", layout.certDir().toString(), "--kubeconfig-dir", layout.kubeconfigDir().toString(),
        "--fail-within", "30d"));
    assertThat(r.code).isEqualTo(ExitCodes.EXPIRING);
    Result usage = run(List.of("java", "-jar", JAR.toString(), "certs", "no-such-verb"));
    assertThat(usage.code).isEqualTo(ExitCodes.USAGE);
  }

  record Result(int code, String out) {}

  private static Result run(List<String> cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(new ArrayList<>(cmd)).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("%s finished", cmd.get(0)).isTrue();
    return new Result(p.exitValue(), out);
  }
}
