package dev.kcert.core.rotation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.Signature;
import java.util.Base64;
import java.util.List;

/**
 * Which service-account key signed a token: the compact JWS of a service-account token ({@code
 * header.payload.signature}, RS256, ES256 or ES384 as the API server signs with RSA and ECDSA
 * keys), checked with the JDK's {@link Signature} against each candidate public key. Only the
 * signature is judged; claims are not read, so nothing in a token is trusted.
 */
public final class SaTokens {
  private static final ObjectMapper JSON = new ObjectMapper();

  private SaTokens() {}

  /** Whether {@code token} carries a valid signature by {@code key}; false for anything malformed. */
  public static boolean signedBy(String token, PublicKey key) {
    String[] parts = token.trim().split("\\.", -1);
    if (parts.length != 3) {
      return false;
    }
    try {
      Base64.Decoder b64 = Base64.getUrlDecoder();
      JsonNode header = JSON.readTree(b64.decode(parts[0]));
      String alg = header.path("alg").asText();
      byte[] sig = b64.decode(parts[2]);
      Signature s = switch (alg) {
        case "RS256" -> key.getAlgorithm().equals("RSA") ? Signature.getInstance("SHA256withRSA") : null;
        // JWS carries ECDSA signatures as r and s side by side (IEEE P1363), as the JDK reads them
        case "ES256" -> key.getAlgorithm().equals("EC") ? Signature.getInstance("SHA256withECDSAinP1363Format") : null;
        case "ES384" -> key.getAlgorithm().equals("EC") ? Signature.getInstance("SHA384withECDSAinP1363Format") : null;
        default -> null;
      };
      if (s == null) {
        return false;
      }
      s.initVerify(key);
      s.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
      return s.verify(sig);
    } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
      return false;
    }
  }

  /** {@code old}, {@code new} or {@code other}: which of the rotation's keys signed the token. */
  public static String signerOf(String token, PublicKey old, PublicKey neu) {
    if (old != null && signedBy(token, old)) {
      return "old";
    }
    return neu != null && signedBy(token, neu) ? "new" : "other";
  }

  /** Whether any of {@code keys} verifies the token, as the API server tries each of its keys. */
  public static boolean acceptedBy(String token, List<PublicKey> keys) {
    return keys.stream().anyMatch(k -> signedBy(token, k));
  }

  /** A legacy service-account token Secret and which key signed its token. */
  public record LegacySecret(String namespace, String name, String signedBy) {
    /** How to have kube-controller-manager sign it again: remove its token. */
    public String regenerate() {
      return "kubectl -n " + namespace + " patch secret " + name
          + " --type=json -p '[{\"op\":\"remove\",\"path\":\"/data/token\"}]'";
    }
  }

  /**
   * Every legacy token Secret ({@code kubernetes.io/service-account-token}) and which of the
   * rotation's keys signed its {@code data.token}. Such a token is signed once, when the tokens
   * controller of kube-controller-manager fills the Secret, and refilled only when the token is
   * missing: removing {@code data.token} has it signed again with the current key.
   */
  public static List<LegacySecret> legacySecrets(dev.kcert.core.kubeapi.ApiClient api,
      PublicKey old, PublicKey neu) throws dev.kcert.core.kubeapi.ApiClient.Unreachable {
    List<LegacySecret> out = new java.util.ArrayList<>();
    JsonNode list = api.getJson(ClusterTrust.TOKEN_SECRETS_PATH);
    if (list == null) {
      return out;
    }
    for (JsonNode s : list.path("items")) {
      if (!"kubernetes.io/service-account-token".equals(s.path("type").asText())) {
        continue;
      }
      String token = "";
      String data = s.path("data").path("token").asText("");
      try {
        token = new String(Base64.getDecoder().decode(data), StandardCharsets.US_ASCII);
      } catch (IllegalArgumentException e) {
        token = "";
      }
      out.add(new LegacySecret(s.path("metadata").path("namespace").asText(),
          s.path("metadata").path("name").asText(),
          token.isEmpty() ? "none" : signerOf(token, old, neu)));
    }
    return out;
  }
}
