package dev.kcert.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kcert.core.pki.PkiLayout;
import dev.kcert.core.testing.TestPki;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The picocli-free start-up path reads exactly what picocli reads, and declines the rest. */
class FastPathTest {
  @TempDir Path tmp;
  PkiLayout layout;

  @BeforeEach
  void pki() throws Exception {
    Instant now = TestPki.NOW;
    layout =
        TestPki.in(tmp.resolve("etc"))
            .window("apiserver", now.minus(Duration.ofDays(300)), now.plus(Duration.ofDays(10)))
            .window("admin.conf", now.minus(Duration.ofDays(300)), now.minus(Duration.ofDays(1)))
            .create();
    Files.writeString(layout.certDir().resolve("etcd/peer.crt"), "garbage\n");
  }

  /** Command lines with {@code $C}, {@code $K} and {@code $R} for the folders of the test PKI. */
  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "--cert-dir $C --kubeconfig-dir $K",
        "--cert-dir $C --kubeconfig-dir $K -o json",
        "--output yaml --kubeconfig-dir $K --cert-dir $C",
        "--cert-dir $C --kubeconfig-dir $K --warn-within 30d",
        "--cert-dir $C --kubeconfig-dir $K --warn-within 30d --fail-within 2w",
        "--cert-dir $C --kubeconfig-dir $K --fail-within 1d12h --check-keys",
        "--cert-dir $C --kubeconfig-dir $K --include-kubelet --kubelet-dir $R/none",
        "$R $R -o json --warn-within 1h",
        "--cert-dir $R/missing --kubeconfig-dir $R/missing",
      })
  void acceptedLinesPrintWhatPicocliPrints(String line) {
    String[] args = args(line);
    Optional<CheckExpiration.Request> request = FastPath.parse(args);
    assertThat(request).as("accepted").isPresent();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code =
        FastPath.run(request.get(), Cli.CLOCK, new PrintWriter(out, true), new PrintWriter(err, true));
    Cli.Run picocli = Cli.run(Cli.CLOCK, args);
    assertThat(code).isEqualTo(picocli.code());
    assertThat(out.toString()).isEqualTo(picocli.out());
    assertThat(err.toString()).isEqualTo(picocli.err());
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "--help",
        "-h",
        "--version",
        "--stacktrace",
        "--output=json",
        "-ojson",
        "-o xml",
        "--warn-within 30x",
        "--warn-within",
        "--cert-dir $C --cert-dir $C",
        "--cert-dir -x",
        "--include-kubelet=true",
        "--no-such-option",
        "$R --cert-dir $C",
        "--",
      })
  void otherLinesAreLeftToPicocli(String line) {
    assertThat(FastPath.parse(args(line))).isEmpty();
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"certs renew all", "demo", "certs", "check-expiration"})
  void otherCommandsAreLeftToPicocli(String line) {
    assertThat(FastPath.parse(line.split(" "))).isEmpty();
  }

  private String[] args(String line) {
    List<String> args = new ArrayList<>(List.of("certs", "check-expiration"));
    for (String a : line.split(" ")) {
      args.add(
          a.replace("$C", layout.certDir().toString())
              .replace("$K", layout.kubeconfigDir().toString())
              .replace("$R", layout.kubeconfigDir().toString()));
    }
    return args.toArray(String[]::new);
  }
}
