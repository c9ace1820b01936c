package dev.kcert.core.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kcert.core.model.KcertException;
import dev.kcert.core.pki.AtomicFiles;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlannedFileTest {
  @TempDir Path tmp;

  private PlannedFile file(String name, String mode) {
    return new PlannedFile(
        tmp.resolve(name), name.getBytes(StandardCharsets.US_ASCII), PosixFilePermissions.fromString(mode));
  }

  @Test
  void writesEveryFileWithItsMode() throws Exception {
    PlannedFile.writeAllNew(List.of(file("a.key", "rw-------"), file("sub/b.crt", "rw-r--r--")));
    assertThat(Files.readString(tmp.resolve("a.key"))).isEqualTo("a.key");
    assertThat(Files.getPosixFilePermissions(tmp.resolve("a.key"))).isEqualTo(AtomicFiles.PRIVATE);
    assertThat(Files.getPosixFilePermissions(tmp.resolve("sub/b.crt"))).isEqualTo(AtomicFiles.PUBLIC);
  }

  @Test
  void anExistingFileOrDanglingLinkStopsTheWholeSetBeforeAnythingIsWritten() throws Exception {
    Files.createSymbolicLink(tmp.resolve("c.crt"), tmp.resolve("nowhere"));
    assertThatThrownBy(() -> PlannedFile.writeAllNew(List.of(file("a.key", "rw-------"), file("c.crt", "rw-r--r--"))))
        .isInstanceOf(KcertException.class)
        .hasMessage(tmp.resolve("c.crt") + ": already exists; refusing to overwrite it");
    assertThat(tmp.resolve("a.key")).doesNotExist();
    assertThat(tmp.resolve("nowhere")).doesNotExist();
  }
}
