package dev.kcert.cli;

import dev.kcert.core.keys.KeyAlgorithm;
import picocli.CommandLine.Option;

/** The key type of commands that make every key new ({@code init}, {@code generate-csr}). */
public final class NewKeyOptions {
  @Option(
      names = "--key-algorithm",
      paramLabel = "ALG",
      converter = KeyAlgorithmConverter.class,
      defaultValue = "RSA-2048",
      description =
          "Type of every new key: RSA-2048, RSA-3072, RSA-4096, ECDSA-P256 or ECDSA-P384"
              + " (default: ${DEFAULT-VALUE}).")
  KeyAlgorithm keyAlgorithm;
}
