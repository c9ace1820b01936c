package dev.kcert.core.rotation;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kcert.core.kubeapi.ApiClient;
import dev.kcert.core.model.KcertException;
import dev.kcert.core.pem.Certificates;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * Where a worker node (no CA key) gets the new CA's certificate from, and when it accepts it.
 *
 * <p>Trust model: a file copied from a control-plane node and the API server's {@code
 * kube-public/cluster-info} are both attacker-controlled. A certificate is accepted as the new CA
 * only when it is a CA certificate ({@code CA:TRUE}, and {@code keyCertSign} when it has a key
 * usage), is valid now, has another key than the old CA, and, when a pin is given, its public key
 * hashes to the pin ({@code sha256:<hex>} of its DER SubjectPublicKeyInfo, kubeadm's
 * discovery-token-ca-cert-hash). From {@code cluster-info} the pin is required; from a file it is
 * optional and the certificate's pin is printed for the admin to compare.
 */
public final class WorkerCa {
  private static final Pattern PIN = Pattern.compile("sha256:[0-9a-f]{64}");

  private WorkerCa() {}

  /** Checks the form of a pin; the pin in lower case. */
  public static String pin(String text) {
    String p = text.trim().toLowerCase(Locale.ROOT);
    if (!PIN.matcher(p).matches()) {
      throw new IllegalArgumentException("--new-ca-hash must be sha256:<64 hex digits> (kubeadm's"
          + " discovery-token-ca-cert-hash form), not \"" + text + "\"");
    }
    return p;
  }

  /**
   * The new CA among {@code candidates} (read from {@code source}): with a pin, the one whose key
   * matches it; without one, the first certificate. It must be a CA, valid at {@code now}, and not
   * the old CA's key.
   *
   * @throws KcertException naming {@code source} when no certificate qualifies
   */
  public static X509Certificate accept(List<X509Certificate> candidates, X509Certificate old,
      String pin, String source, Instant now) {
    X509Certificate chosen;
    if (pin != null) {
      List<X509Certificate> matching = candidates.stream()
          .filter(c -> Rotation.discoveryHash(c).equals(pin)).toList();
      if (matching.isEmpty()) {
        List<String> held = candidates.stream().map(Rotation::discoveryHash).distinct().toList();
        throw new KcertException(source + ": holds no certificate whose key matches --new-ca-hash "
            + pin + " (it holds " + String.join(", ", held) + "); nothing was written");
      }
      chosen = matching.get(0);
    } else {
      chosen = candidates.get(0);
    }
    if (chosen.getPublicKey().equals(old.getPublicKey())) {
      throw new KcertException(source + ": the certificate " + (pin != null ? "pinned" : "given")
          + " has the old CA's key (" + Rotation.discoveryHash(old) + "); a rotation needs the new"
          + " CA; nothing was written");
    }
    if (chosen.getBasicConstraints() < 0) {
      throw new KcertException(source + ": " + Rotation.discoveryHash(chosen)
          + " is not a CA certificate (basicConstraints CA:TRUE missing); nothing was written");
    }
    boolean[] usage = chosen.getKeyUsage();
    if (usage != null && (usage.length < 6 || !usage[5])) {
      throw new KcertException(source + ": " + Rotation.discoveryHash(chosen)
          + " may not sign certificates (keyUsage lacks keyCertSign); nothing was written");
    }
    if (now.isBefore(chosen.getNotBefore().toInstant()) || now.isAfter(chosen.getNotAfter().toInstant())) {
      throw new KcertException(source + ": " + Rotation.discoveryHash(chosen) + " is not valid now"
          + " (valid " + chosen.getNotBefore().toInstant() + " to " + chosen.getNotAfter().toInstant()
          + "); nothing was written");
    }
    return chosen;
  }

  /**
   * The CA certificates that {@code kube-public/cluster-info} publishes (its kubeconfig's first
   * cluster's {@code certificate-authority-data}).
   */
  public static List<X509Certificate> fromClusterInfo(ApiClient api) throws ApiClient.Unreachable {
    String where = "ConfigMap kube-public/cluster-info at " + api.server();
    JsonNode cm = api.getJson(ClusterTrust.CLUSTER_INFO_PATH);
    if (cm == null) {
      throw new KcertException(where + ": not found; nothing was written");
    }
    Object root;
    try {
      root = new Yaml(new SafeConstructor(new LoaderOptions()))
          .load(cm.path("data").path("kubeconfig").asText(""));
    } catch (YAMLException e) {
      throw new KcertException(where + ": data.kubeconfig is not YAML: " + KcertException.oneLine(e), e);
    }
    Object data = null;
    if (root instanceof Map<?, ?> m && m.get("clusters") instanceof List<?> clusters
        && !clusters.isEmpty() && clusters.get(0) instanceof Map<?, ?> named
        && named.get("cluster") instanceof Map<?, ?> cluster) {
      data = cluster.get("certificate-authority-data");
    }
    if (data == null) {
      throw new KcertException(where + ": data.kubeconfig has no cluster with"
          + " certificate-authority-data; nothing was written");
    }
    byte[] pem;
    try {
      pem = Base64.getMimeDecoder().decode(data.toString().getBytes(StandardCharsets.US_ASCII));
    } catch (IllegalArgumentException e) {
      throw new KcertException(where + ": certificate-authority-data is not base64; nothing was written", e);
    }
    return new ArrayList<>(Certificates.parseBundle(pem, where));
  }
}
