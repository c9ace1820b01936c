package dev.kcert.core.approval;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class EscapesTest {
  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "plain name | node-a.example.com | node-a.example.com",
        "newline forging a log line | 'a\nlevel=INFO' | a\\x0alevel=INFO",
        "carriage return and escape | 'a\r\u001b[31m' | a\\x0d\\x1b[31m",
        "DEL and a C1 control | 'a\u007fb\u0085' | a\\x7fb\\x85",
        "line separator and bidi override | 'a\u2028b\u202ec' | a\\u2028b\\u202ec",
        "non-ASCII letters are kept | 'nœud-ä' | 'nœud-ä'",
      })
  void escapesControlsOnly(String name, String in, String out) {
    assertThat(Escapes.controls(in)).isEqualTo(out);
  }
}
