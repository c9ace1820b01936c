package dev.kcert.core.pem;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kcert.core.model.KcertException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PemTest {
  @TempDir Path tmp;

  @Test
  void roundTripsBlocksAndSkipsTextAround() {
    byte[] der = new byte[100];
    for (int i = 0; i < der.length; i++) {
      der[i] = (byte) i;
    }
    String text = "comment\n" + Pem.encode("THING", der) + "trailer\n" + Pem.encode("OTHER", der);
    List<PemBlock> blocks = Pem.parse(text.getBytes(StandardCharsets.US_ASCII), "x");
    assertThat(blocks).extracting(PemBlock::type).containsExactly("THING", "OTHER");
    assertThat(blocks.get(0).der()).isEqualTo(der);
    assertThat(Pem.encode("THING", der).lines().skip(1).findFirst().orElseThrow()).hasSize(64);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "truncated block|-----BEGIN CERTIFICATE-----\\nMIIB|src: truncated PEM block (BEGIN"
            + " CERTIFICATE without END CERTIFICATE)",
        "bad base64|-----BEGIN CERTIFICATE-----\\n!!!!\\n-----END CERTIFICATE-----|src: invalid"
            + " base64 in PEM block CERTIFICATE",
        "empty block|-----BEGIN CERTIFICATE-----\\n-----END CERTIFICATE-----|src: empty PEM block"
            + " CERTIFICATE",
        "encrypted|-----BEGIN RSA PRIVATE KEY-----\\nProc-Type: 4,ENCRYPTED\\nAAAA\\n-----END RSA"
            + " PRIVATE KEY-----|src: encrypted or annotated PEM block RSA PRIVATE KEY is not"
            + " supported"
      })
  void rejectsMalformedBlocks(String name, String text, String message) {
    byte[] data = text.replace("\\n", "\n").getBytes(StandardCharsets.US_ASCII);
    assertThatThrownBy(() -> Pem.parse(data, "src"))
        .isInstanceOf(KcertException.class)
        .hasMessage(message);
  }

  @Test
  void certificateErrorsNameTheFile() throws Exception {
    Path noPem = tmp.resolve("a.crt");
    Files.writeString(noPem, "hello\n");
    assertThatThrownBy(() -> Certificates.readBundle(noPem))
        .hasMessage(noPem + ": does not contain a valid PEM encoded certificate");

    Path garbage = tmp.resolve("b.crt");
    Files.writeString(garbage, Pem.encode("CERTIFICATE", new byte[] {0x30, 0x03, 1, 2, 3}));
    assertThatThrownBy(() -> Certificates.readBundle(garbage))
        .hasMessageStartingWith(garbage + ": malformed certificate: ");

    Path dir = tmp.resolve("c.crt");
    Files.createDirectory(dir);
    assertThatThrownBy(() -> Certificates.readBundle(dir))
        .hasMessage(dir + ": is a directory, not a file");

    Path missing = tmp.resolve("d.crt");
    assertThatThrownBy(() -> Certificates.readBundle(missing))
        .hasMessage(missing + ": no such file");
  }

  @Test
  void base64AcrossLinesIgnoresOnlyWhiteSpace() {
    assertThat(Pem.decodeBase64("QUJD\r\nREVG\n\tR0g=")).isEqualTo("ABCDEFGH".getBytes());
    assertThat(Pem.decodeBase64("QUJDREVGR0g=")).isEqualTo("ABCDEFGH".getBytes());
    for (String bad : new String[] {"QUJD\nRE\u00e9VG", "QUJD\nRE\u20acVG", "QUJD\nRE*VG", "QUJD\nREV\uFFFDG"}) {
      assertThatThrownBy(() -> Pem.decodeBase64(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
    }
  }
}
