package dev.kcert.core.generate;

import dev.kcert.core.keys.KeyAlgorithm;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * How {@link PkiGenerator} builds a PKI.
 *
 * @param keyAlgorithm the type of every new key
 * @param caValidity how long new CAs are valid (kubeadm: ten years)
 * @param validity how long leaves and kubeconfig certificates are valid (kubeadm: one year)
 * @param windows validity windows for single entries by name, overriding the durations (the demo
 *     and tests use them to make certificates that are close to expiry or expired)
 * @param includeKubeletConf whether to write {@code kubelet.conf} too
 * @param clock the time the PKI is made at
 */
public record GenerationOptions(
    KeyAlgorithm keyAlgorithm,
    Duration caValidity,
    Duration validity,
    Map<String, Window> windows,
    boolean includeKubeletConf,
    Clock clock) {

  /** kubeadm backdates every certificate by five minutes against clock skew. */
  public static final Duration BACKDATE = Duration.ofMinutes(5);

  public static final Duration DEFAULT_CA_VALIDITY = Duration.ofDays(3650);
  public static final Duration DEFAULT_VALIDITY = Duration.ofDays(365);

  public GenerationOptions {
    windows = Map.copyOf(windows);
  }

  /** kubeadm's defaults with the given key type. */
  public static GenerationOptions defaults(KeyAlgorithm keyAlgorithm, Clock clock) {
    return new GenerationOptions(
        keyAlgorithm, DEFAULT_CA_VALIDITY, DEFAULT_VALIDITY, Map.of(), true, clock);
  }

  public GenerationOptions withWindows(Map<String, Window> newWindows) {
    return new GenerationOptions(
        keyAlgorithm, caValidity, validity, newWindows, includeKubeletConf, clock);
  }

  /** The validity window of an entry. */
  public Window windowFor(String name, boolean ca) {
    Window w = windows.get(name);
    if (w != null) {
      return w;
    }
    Instant now = clock.instant();
    return new Window(now.minus(BACKDATE), now.plus(ca ? caValidity : validity));
  }

  /** A validity window. */
  public record Window(Instant notBefore, Instant notAfter) {
    public Window {
      if (!notAfter.isAfter(notBefore)) {
        throw new IllegalArgumentException("window ends before it starts");
      }
    }
  }
}
