package dev.kcert.cli;

import dev.kcert.core.config.ClusterConfig;
import dev.kcert.core.keys.KeyAlgorithm;
import picocli.CommandLine.Option;

/** The key type of commands that make every key new ({@code init}, {@code generate-csr}). */
public final class NewKeyOptions {
  @Option(
      names = "--key-algorithm",
      paramLabel = "ALG",
      converter = KeyAlgorithmConverter.class,
      description =
          "Type of every new key: RSA-2048, RSA-3072, RSA-4096, ECDSA-P256 or ECDSA-P384"
              + " (default: encryptionAlgorithm of the kubeadm configuration, else RSA-2048).")
  KeyAlgorithm keyAlgorithm;

  /** The key type: the flag, then the configuration's encryptionAlgorithm, then RSA-2048. */
  public KeyAlgorithm keyAlgorithm(ClusterConfig config) {
    if (keyAlgorithm != null) {
      return keyAlgorithm;
    }
    return config.encryptionAlgorithm() != null ? config.encryptionAlgorithm() : KeyAlgorithm.RSA_2048;
  }
}
