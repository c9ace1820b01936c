package dev.kcert.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The completion scripts {@code kcert completion SHELL} prints, loaded in the real shells (bash,
 * zsh, fish; .ci/run installs them): completing {@code kcert certs re} offers {@code renew} and
 * nothing else. zsh is driven through a pseudo-terminal ({@code zsh/zpty}) with a TAB keystroke,
 * so its own completion system and bashcompinit do the work; fish answers {@code complete -C};
 * bash runs the completion function with the variables bash itself sets.
 */
class CompletionIT {
  static final Duration LIMIT = Duration.ofMinutes(1);

  @TempDir static Path tmp;
  static Path home;

  @BeforeAll
  static void unpack() throws Exception {
    Dist.Result r =
        Dist.run(List.of("tar", "-xzf", Dist.tarball().toString(), "-C", tmp.toString()),
            Map.of(), false, LIMIT);
    assertThat(r.code()).as(r.err()).isZero();
    home = tmp.resolve("kcert-" + Dist.VERSION);
  }

  /** {@code kcert completion SHELL} from the tarball, in a file; the shipped copy is the same. */
  static Path script(String shell, String shipped) throws Exception {
    Dist.Result r =
        Dist.run(List.of(home.resolve("bin/kcert").toString(), "completion", shell), Map.of(),
            false, LIMIT);
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(Files.readString(home.resolve(shipped))).isEqualTo(r.out());
    Path file = tmp.resolve("kcert-completion." + shell);
    Files.writeString(file, r.out());
    return file;
  }

  static void assumeShell(String shell) throws Exception {
    Dist.Result r = Dist.run(List.of("sh", "-c", "command -v " + shell), Map.of(), false, LIMIT);
    assumeTrue(r.code() == 0, shell + " is not installed (.ci/run installs it): its completion is not tried");
  }

  @Test
  void bashOffersRenew() throws Exception {
    assumeShell("bash");
    Path file = script("bash", "share/bash-completion/completions/kcert");
    String program =
        "source \"$1\"; COMP_WORDS=(kcert certs re); COMP_CWORD=2; COMP_LINE='kcert certs re';"
            + " COMP_POINT=${#COMP_LINE}; _complete_kcert kcert re certs;"
            + " printf '%s\\n' \"${COMPREPLY[@]}\"";
    Dist.Result r = Dist.run(List.of("bash", "--norc", "--noprofile", "-c", program, "bash", file.toString()),
        Map.of(), false, LIMIT);
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out().lines()).containsExactly("renew");
  }

  @Test
  void zshCompletesRenewOnTab() throws Exception {
    assumeShell("zsh");
    Path file = script("zsh", "share/zsh/site-functions/_kcert");
    // an interactive zsh in a pseudo-terminal: load compinit and the script, type the line and TAB,
    // read what the line editor shows until the completed word appears or a second has passed
    String driver =
        """
        zmodload zsh/zpty
        zpty z zsh -f -i
        zpty -w z "PS1='> '; autoload -U +X compinit && compinit -u; source ${(q)1}; print loaded"
        zpty -w -n z $'kcert certs re\\t'
        out=""
        for i in {1..100}; do
          zpty -r -t z chunk && out+="$chunk"
          [[ $out == *"certs renew"* ]] && break
          sleep 0.05
        done
        zpty -d z
        print -r -- "$out"
        """;
    Path program = tmp.resolve("complete.zsh");
    Files.writeString(program, driver);
    Dist.Result r = Dist.run(List.of("zsh", "-f", program.toString(), file.toString()),
        Map.of(), false, LIMIT);
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("loaded").contains("kcert certs renew");
  }

  @Test
  void fishOffersRenew() throws Exception {
    assumeShell("fish");
    Path file = script("fish", "share/fish/vendor_completions.d/kcert.fish");
    Dist.Result r =
        Dist.run(List.of("fish", "--no-config", "-c", "source $argv[1]; complete -C 'kcert certs re'",
            file.toString()), Map.of(), false, LIMIT);
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out().lines().map(l -> l.split("\t")[0])).containsExactly("renew");
  }
}
