package dev.kcert.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tarball built a second time from the same inputs has the same entries, bytes, modes and
 * times. One entry is left out of the byte comparison: JDK 25's AOT cache ({@code lib/kcert.aot})
 * differs between two runs of the JVM's own cache writer, even from one recorded configuration; it
 * is checked to be there and, by {@link TarballIT}, to be accepted by the runtime.
 */
class ReproducibleIT {
  static final String AOT = "/lib/kcert.aot";

  @TempDir Path tmp;

  @Test
  void secondBuildGivesTheSameEntries() throws Exception {
    Path top = Path.of("..").toAbsolutePath().normalize();
    Path first = Dist.tarball();
    Dist.Result r =
        Dist.run(
            List.of(
                "bash",
                top.resolve("dist/src/main/build/make-dist.sh").toString(),
                Files.readString(Path.of("target/jdk25.home")).trim(),
                top.resolve("cert-cli/target/kcert.jar").toString(),
                top.resolve("cert-csr-approver/target/cert-csr-approver-" + Dist.VERSION + "-all.jar")
                    .toString(),
                "target/man",
                top.toString(),
                Dist.VERSION,
                Dist.TIME.toString(),
                tmp.toString()),
            Map.of("KCERT_DIST_SKIP_APPROVER", "1"),
            false,
            Duration.ofMinutes(10));
    assertThat(r.code()).as(r.err()).isZero();
    Path second = tmp.resolve(first.getFileName());
    Map<String, String> a = digests(first);
    Map<String, String> b = digests(second);
    assertThat(b.keySet()).containsExactlyElementsOf(a.keySet());
    a.keySet().removeIf(n -> n.endsWith(AOT));
    b.keySet().removeIf(n -> n.endsWith(AOT));
    assertThat(b).isEqualTo(a);
    System.out.println("reproducible: " + a.size() + " entries equal (the AOT cache excepted) in " + first.getFileName());
  }

  /** Name to mode, time, owner and SHA-256 of the bytes, in archive order. */
  static Map<String, String> digests(Path tarball) throws Exception {
    Map<String, String> m = new LinkedHashMap<>();
    try (InputStream in = new BufferedInputStream(Files.newInputStream(tarball));
        TarArchiveInputStream tar = new TarArchiveInputStream(new GzipCompressorInputStream(in))) {
      TarArchiveEntry e;
      while ((e = tar.getNextEntry()) != null) {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        byte[] buf = new byte[1 << 16];
        int n;
        while ((n = tar.read(buf)) > 0) {
          sha.update(buf, 0, n);
        }
        m.put(
            e.getName(),
            Integer.toOctalString(e.getMode()) + " " + e.getModTime().getTime() + " "
                + e.getLongUserId() + ":" + e.getLongGroupId() + " " + e.getLinkName() + " "
                + HexFormat.of().formatHex(sha.digest()));
      }
    }
    return m;
  }
}
