package dev.kcert.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** main adds only the command a command line names; the rest of the tree stays as declared. */
class KcertCommandLineTest {
  @Test
  void registryNamesEachCommandAsItsAnnotationDoes() {
    Kcert.CERTS.forEach(
        (name, command) -> assertThat(new CommandLine(command.get()).getCommandName()).isEqualTo(name));
  }

  @Test
  void fullTreeHasEveryCommandInHelpOrder() {
    CommandLine cl = Kcert.newCommandLine(Cli.CLOCK);
    assertThat(cl.getSubcommands().keySet())
        .containsExactly("certs", "demo", "version", "completion", "ca");
    assertThat(cl.getSubcommands().get("certs").getSubcommands().keySet())
        .containsExactly("check-expiration", "check-served", "renew", "generate-csr", "import", "init");
  }

  @Test
  void aNamedCommandGetsOnlyItsOwnModel() {
    CommandLine cl = Kcert.newCommandLine(Cli.CLOCK, new String[] {"certs", "renew", "all"});
    assertThat(cl.getSubcommands().keySet()).containsExactly("certs");
    assertThat(cl.getSubcommands().get("certs").getSubcommands().keySet()).containsExactly("renew");
    CommandLine demo = Kcert.newCommandLine(Cli.CLOCK, new String[] {"demo"});
    assertThat(demo.getSubcommands().keySet()).containsExactly("demo");
  }

  @Test
  void anythingElseGetsTheWholeTree() {
    for (List<String> args :
        List.of(
            List.<String>of(),
            List.of("--help"),
            List.of("certs"),
            List.of("certs", "--help"),
            List.of("certs", "renw"),
            List.of("--stacktrace", "certs", "renew"))) {
      CommandLine cl = Kcert.newCommandLine(Cli.CLOCK, args.toArray(String[]::new));
      assertThat(cl.getSubcommands().get("certs").getSubcommands()).as(args.toString()).hasSize(6);
      assertThat(cl.getSubcommands()).as(args.toString()).containsKey("demo");
    }
  }

  @Test
  void usageAndSuggestionsStillListEveryCommand() {
    Cli.Run certs = Cli.run("certs", "--help");
    assertThat(certs.out()).contains("check-expiration", "check-served", "renew", "generate-csr", "import", "init");
    Cli.Run typo = Cli.run("certs", "renw");
    assertThat(typo.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(typo.err()).contains("renw").contains("renew");
  }

  @Test
  void inheritedOptionReachesAnAddedCommand(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp)
      throws Exception {
    java.nio.file.Files.createDirectories(tmp.resolve("pki"));
    java.nio.file.Files.writeString(tmp.resolve("pki/apiserver.crt"), "not a certificate");
    String[] args = {"certs", "renew", "apiserver", "--cert-dir", tmp.resolve("pki").toString(),
        "--kubeconfig-dir", tmp.toString()};
    Cli.Run plain = Cli.run(args);
    Cli.Run traced = Cli.run(java.util.stream.Stream.concat(java.util.Arrays.stream(args),
        java.util.stream.Stream.of("--stacktrace")).toArray(String[]::new));
    assertThat(plain.code()).isEqualTo(ExitCodes.ERROR);
    assertThat(plain.err())
        .startsWith("error: " + tmp.resolve("pki/apiserver.crt") + ": does not contain")
        .doesNotContain("\tat ");
    assertThat(traced.code()).isEqualTo(ExitCodes.ERROR);
    assertThat(traced.err()).contains("\tat dev.kcert.");
  }
}
