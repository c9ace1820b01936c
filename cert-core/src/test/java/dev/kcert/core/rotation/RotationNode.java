package dev.kcert.core.rotation;

import dev.kcert.core.keys.KeyAlgorithm;
import dev.kcert.core.testing.StaticPods;
import dev.kcert.core.testing.TestPki;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * A control-plane node for the rotation tests: a kubeadm PKI with its kubeconfigs and the static
 * pod manifests, in a fresh folder for each test.
 */
abstract class RotationNode {
  /** A new CA as {@code prepare} makes it by default, with a fast key type. */
  static final NewCa GENERATE = new NewCa.Generate(KeyAlgorithm.ECDSA_P256, Duration.ofDays(3650));

  @TempDir Path root;
  NodeFiles node;

  @BeforeEach
  void pki() {
    TestPki.in(root).create();
    StaticPods.write(root);
    node = NodeFiles.under(root);
  }

  Rotation rotation(String ca) {
    return Rotation.of(node, ca, TestPki.CLOCK);
  }
}
