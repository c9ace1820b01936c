package dev.kcert.core.testing;

import dev.kcert.core.generate.GenerationOptions;
import dev.kcert.core.generate.GenerationOptions.Window;
import dev.kcert.core.generate.PkiGenerator;
import dev.kcert.core.keys.KeyAlgorithm;
import dev.kcert.core.pki.NodeParameters;
import dev.kcert.core.pki.PkiLayout;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Builds kubeadm-shaped PKIs in temporary folders for tests: the one helper every test uses, so
 * that tests stand on their own. ECDSA P-256 keys unless asked otherwise (RSA is slow to make).
 */
public final class TestPki {
  /** The instant every test PKI is made at unless a test says otherwise. */
  public static final Instant NOW = Instant.parse("2026-11-23T10:00:00Z");

  public static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

  public static final NodeParameters NODE = NodeParameters.of("cp-1", "192.168.10.11");

  private final Path root;
  private KeyAlgorithm keyAlgorithm = KeyAlgorithm.ECDSA_P256;
  private Clock clock = CLOCK;
  private final Map<String, Window> windows = new HashMap<>();
  private boolean kubeletConf = true;

  private TestPki(Path root) {
    this.root = root;
  }

  /** A PKI below {@code root}: {@code root/pki}, kubeconfigs in {@code root}. */
  public static TestPki in(Path root) {
    return new TestPki(root);
  }

  public TestPki keyAlgorithm(KeyAlgorithm a) {
    this.keyAlgorithm = a;
    return this;
  }

  public TestPki clock(Clock c) {
    this.clock = c;
    return this;
  }

  /** Gives one entry a validity window. */
  public TestPki window(String name, Instant notBefore, Instant notAfter) {
    windows.put(name, new Window(notBefore, notAfter));
    return this;
  }

  public TestPki withoutKubeletConf() {
    this.kubeletConf = false;
    return this;
  }

  public PkiLayout layout() {
    return PkiLayout.under(root);
  }

  /** Writes the PKI and returns its layout. */
  public PkiLayout create() {
    GenerationOptions options =
        new GenerationOptions(
            keyAlgorithm,
            GenerationOptions.DEFAULT_CA_VALIDITY,
            GenerationOptions.DEFAULT_VALIDITY,
            windows,
            kubeletConf,
            clock);
    PkiGenerator.generate(layout(), NODE, options);
    return layout();
  }

  /** Copies a folder tree (fixtures are only ever used as copies). */
  public static void copyTree(Path from, Path to) {
    try (Stream<Path> paths = Files.walk(from)) {
      for (Path p : (Iterable<Path>) paths::iterator) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target, StandardCopyOption.REPLACE_EXISTING);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
