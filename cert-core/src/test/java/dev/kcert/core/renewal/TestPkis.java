package dev.kcert.core.renewal;

import dev.kcert.core.generate.GenerationOptions;
import dev.kcert.core.generate.PkiGenerator;
import dev.kcert.core.keys.KeyAlgorithm;
import dev.kcert.core.pki.NodeParameters;
import dev.kcert.core.pki.PkiLayout;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** Small PKIs for renewal tests, made at a fixed time. */
final class TestPkis {
  /** When the test PKIs are made. */
  static final Instant MADE = Instant.parse("2026-01-10T08:00:00Z");

  /** When the tests renew: about ten months later. */
  static final Instant NOW = Instant.parse("2026-11-23T12:00:00Z");

  static final Clock MADE_CLOCK = Clock.fixed(MADE, ZoneOffset.UTC);
  static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

  static final NodeParameters NODE =
      new NodeParameters(
          "cp-1",
          "10.0.0.10",
          null,
          null,
          "k8s.example.com:6443",
          java.util.List.of("10.0.0.100", "api.example.com"),
          null);

  private TestPkis() {}

  /** A complete ECDSA-P256 PKI below {@code root} (certificates in {@code root/pki}). */
  static PkiLayout create(Path root) {
    return create(root, KeyAlgorithm.ECDSA_P256);
  }

  static PkiLayout create(Path root, KeyAlgorithm alg) {
    PkiLayout layout = PkiLayout.under(root);
    GenerationOptions options =
        new GenerationOptions(
            alg, Duration.ofDays(3650), Duration.ofDays(365), Map.of(), true, MADE_CLOCK);
    PkiGenerator.generate(layout, NODE, options);
    return layout;
  }

  /** Every regular file below {@code root} (outside {@code tmp/}) with its bytes. */
  static Map<String, byte[]> snapshot(Path root) {
    Map<String, byte[]> files = new TreeMap<>();
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        String rel = root.relativize(p).toString();
        if (Files.isRegularFile(p) && !rel.startsWith("tmp")) {
          files.put(rel, Files.readAllBytes(p));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return files;
  }
}
