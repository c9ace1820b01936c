package dev.kcert.core.rotation;

import dev.kcert.core.keys.KeyAlgorithm;
import java.nio.file.Path;
import java.time.Duration;

/** Where {@code prepare} gets the new CA from. */
public sealed interface NewCa {
  /** A new self-signed CA made here, with the old CA's subject. */
  record Generate(KeyAlgorithm keyAlgorithm, Duration validity) implements NewCa {}

  /** A CA made elsewhere: its certificate (optionally followed by its chain) and its key. */
  record Import(Path certificate, Path key) implements NewCa {}

  /**
   * The first half of a round trip with an external root: a new key and a certificate request for
   * an intermediate CA are written to the rotation folder; nothing else changes.
   */
  record Request(KeyAlgorithm keyAlgorithm) implements NewCa {}

  /** The second half: the certificate the external root signed for the requested key. */
  record Complete(Path certificate) implements NewCa {}
}
