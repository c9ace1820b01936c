package dev.kcert.core.approval;

import dev.kcert.core.csr.CsrInfo.PublicKeyInfo;
import java.util.Optional;
import java.util.Set;

/**
 * Which public keys a kubelet may put in its serving certificate.
 *
 * @param minRsaBits the smallest RSA modulus allowed; 0 forbids RSA
 * @param ecCurves the allowed ECDSA curves, by name: {@code P-256}, {@code P-384}, {@code P-521}
 * @param allowEd25519 whether Ed25519 keys are allowed
 */
public record KeyPolicy(int minRsaBits, Set<String> ecCurves, boolean allowEd25519) {
  /** The curves this policy can name. */
  public static final Set<String> KNOWN_CURVES = Set.of("P-256", "P-384", "P-521");

  /**
   * RSA of at least 2048 bits, ECDSA P-256 or P-384. Ed25519 is off: kubelets make ECDSA P-256 or
   * RSA keys, and many TLS clients cannot use an Ed25519 serving certificate.
   */
  public static final KeyPolicy DEFAULT = new KeyPolicy(2048, Set.of("P-256", "P-384"), false);

  public KeyPolicy {
    if (minRsaBits < 0) {
      throw new IllegalArgumentException("minimum RSA size must not be negative: " + minRsaBits);
    }
    ecCurves = Set.copyOf(ecCurves);
    for (String c : ecCurves) {
      if (!KNOWN_CURVES.contains(c)) {
        throw new IllegalArgumentException(
            "unknown ECDSA curve '" + c + "' (expected P-256, P-384 or P-521)");
      }
    }
  }

  /** Why a key is not allowed, or empty when it is. */
  public Optional<String> problem(PublicKeyInfo key) {
    return switch (key.type()) {
      case RSA ->
          minRsaBits == 0
              ? Optional.of("RSA keys are not allowed")
              : key.bits() < minRsaBits
                  ? Optional.of(
                      "RSA key of " + key.bits() + " bits, at least " + minRsaBits + " required")
                  : Optional.empty();
      case ECDSA ->
          ecCurves.contains(key.curve())
              ? Optional.empty()
              : Optional.of(
                  "ECDSA key on "
                      + key.curve()
                      + ", allowed curves are "
                      + (ecCurves.isEmpty() ? "none" : String.join(", ", ecCurves.stream().sorted().toList())));
      case ED25519 ->
          allowEd25519 ? Optional.empty() : Optional.of("Ed25519 keys are not allowed");
      case OTHER -> Optional.of("unsupported " + key.describe());
    };
  }
}
