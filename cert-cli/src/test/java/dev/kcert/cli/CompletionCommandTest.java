package dev.kcert.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The completion scripts cover the whole command tree. */
class CompletionCommandTest {
  @Test
  void bashScriptNamesEveryCommandAndOption() {
    Cli.Run r = Cli.run("completion", "bash");
    assertThat(r.code()).isZero();
    assertThat(r.out())
        .contains("complete -F _complete_kcert")
        .contains("check-expiration", "renew", "generate-csr", "import", "init", "demo", "version")
        .contains("--cert-dir", "--warn-within", "--renew-within", "--stacktrace");
  }

  @Test
  void zshGetsTheBashScriptThroughBashcompinit() {
    Cli.Run r = Cli.run("completion", "zsh");
    assertThat(r.code()).isZero();
    assertThat(r.out()).startsWith("#compdef kcert\n").contains("bashcompinit");
  }

  @Test
  void fishHasALinePerCommandAndOption() {
    Cli.Run r = Cli.run("completion", "fish");
    assertThat(r.code()).isZero();
    assertThat(r.out())
        .contains("complete -c kcert -n '__fish_use_subcommand' -a 'certs'")
        .contains(
            "complete -c kcert -n '__fish_seen_subcommand_from certs; and not"
                + " __fish_seen_subcommand_from check-expiration check-served renew generate-csr import init'"
                + " -a 'check-expiration'")
        .contains("complete -c kcert -n '__fish_seen_subcommand_from check-expiration' -l cert-dir -r -F")
        .contains("complete -c kcert -n '__fish_seen_subcommand_from version' -s o -l output -x -a"
            + " 'text short json yaml'")
        .contains("complete -c kcert -n '__fish_seen_subcommand_from completion' -x -a 'bash zsh fish'");
  }

  @Test
  void fishQuotesDescriptions() {
    assertThat(CompletionCommand.quote("it's a \\ path")).isEqualTo("'it\\'s a \\\\ path'");
  }

  @Test
  void unknownShellIsAUsageError() {
    Cli.Run r = Cli.run("completion", "powershell");
    assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(r.err()).contains("powershell");
  }
}
