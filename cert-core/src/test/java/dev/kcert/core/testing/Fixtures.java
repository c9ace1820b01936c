package dev.kcert.core.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The real kubeadm trees in {@code ../shared/fixtures/kubeadm}, beside the project's root. They are
 * not part of the project: tests that use them skip, with a message, when the folder is absent.
 */
public final class Fixtures {
  /** The fixture set whose certificates come without any private key. */
  public static final String KEYLESS = "Thiago-Sorrilha__k8s_hello_world_cka";

  private Fixtures() {}

  /** The fixture folder, if present. {@code KCERT_FIXTURES} overrides where it is looked for. */
  public static Optional<Path> root() {
    String override = System.getenv("KCERT_FIXTURES");
    if (override != null && !override.isBlank()) {
      Path p = Path.of(override);
      return Files.isDirectory(p) ? Optional.of(p) : Optional.empty();
    }
    Path dir = Path.of("").toAbsolutePath();
    Path projectRoot = null;
    for (Path d = dir; d != null; d = d.getParent()) {
      if (Files.isRegularFile(d.resolve("pom.xml"))) {
        projectRoot = d;
      } else if (projectRoot != null) {
        break;
      }
    }
    if (projectRoot == null || projectRoot.getParent() == null) {
      return Optional.empty();
    }
    Path p = projectRoot.getParent().resolve("shared/fixtures/kubeadm");
    return Files.isDirectory(p) ? Optional.of(p) : Optional.empty();
  }

  /** The fixture folder; skips the calling test when it is absent. */
  public static Path require() {
    Optional<Path> root = root();
    assumeTrue(
        root.isPresent(),
        "kubeadm fixtures not found beside the project (../shared/fixtures/kubeadm); skipping");
    return root.get();
  }

  /** Every fixture tree's name, or none (parameterized tests then skip via {@link #require}). */
  public static List<String> names() {
    Optional<Path> root = root();
    if (root.isEmpty()) {
      return List.of("(fixtures absent)");
    }
    try (Stream<Path> s = Files.list(root.get())) {
      return s.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Copies one fixture tree into {@code target} (an {@code /etc/kubernetes}-like folder). */
  public static Path copy(String name, Path target) {
    Path from = require().resolve(name);
    assumeTrue(Files.isDirectory(from), "fixture " + name + " absent; skipping");
    TestPki.copyTree(from, target);
    return target;
  }
}
