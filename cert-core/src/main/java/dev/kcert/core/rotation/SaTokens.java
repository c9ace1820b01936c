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
}
