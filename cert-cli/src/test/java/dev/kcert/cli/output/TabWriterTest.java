package dev.kcert.cli.output;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The geometry of Go's text/tabwriter with kubeadm's settings. */
class TabWriterTest {
  @Test
  void cellsArePaddedToTheWidestPlusThreeWithAMinimumOfTen() {
    String out = TabWriter.kubeadm().line("a\tbb\tlast").line("ccccccccccccc\td\t").render();
    assertThat(out)
        .isEqualTo(
            "a" + spaces(15) + "bb" + spaces(8) + "last\n"
                + "ccccccccccccc" + spaces(3) + "d" + spaces(9) + "\n");
  }

  @Test
  void aLineWithoutTabsEndsTheBlockSoTablesAreSizedOnTheirOwn() {
    String out =
        TabWriter.kubeadm().line("long-name-here\tx").line("").line("s\ty").render();
    assertThat(out).isEqualTo("long-name-here" + spaces(3) + "x\n\ns" + spaces(9) + "y\n");
  }

  @Test
  void emptyCellsArePaddedToo() {
    String out = TabWriter.kubeadm().line("name\tdate\tz").line("!MISSING! n\t\t").render();
    assertThat(out)
        .isEqualTo("name" + spaces(10) + "date" + spaces(6) + "z\n!MISSING! n" + spaces(3 + 10) + "\n");
  }

  private static String spaces(int n) {
    return " ".repeat(n);
  }
}
