package dev.kcert.approver;

import dev.kcert.core.approval.CsrRequest;
import dev.kcert.core.approval.CsrRequest.CsrState;
import dev.kcert.core.approval.NodeInfo;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequest;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequestCondition;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequestSpec;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequestStatus;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.List;
import java.util.OptionalLong;

/** Maps fabric8 objects to the plain records the policy judges. */
final class CsrMapping {
  private CsrMapping() {}

  static CsrRequest toRequest(CertificateSigningRequest csr, Instant fallbackCreated) {
    CertificateSigningRequestSpec spec =
        csr.getSpec() != null ? csr.getSpec() : new CertificateSigningRequestSpec();
    Integer exp = spec.getExpirationSeconds();
    return new CsrRequest(
        csr.getMetadata().getName(),
        spec.getSignerName(),
        spec.getUsername(),
        spec.getGroups(),
        spec.getUsages(),
        exp == null ? OptionalLong.empty() : OptionalLong.of(exp),
        state(csr),
        decodeRequest(spec.getRequest()),
        created(csr, fallbackCreated));
  }

  /**
   * The PEM text of {@code spec.request}. The API carries it base64-encoded; text that is not valid
   * base64 is handed on as it is, and the policy then denies it as an invalid request.
   */
  static byte[] decodeRequest(String base64) {
    if (base64 == null) {
      return new byte[0];
    }
    try {
      return Base64.getDecoder().decode(base64.strip());
    } catch (IllegalArgumentException e) {
      return base64.getBytes(StandardCharsets.UTF_8);
    }
  }

  static CsrState state(CertificateSigningRequest csr) {
    CertificateSigningRequestStatus status = csr.getStatus();
    if (status == null) {
      return CsrState.PENDING;
    }
    if (status.getCertificate() != null && !status.getCertificate().isEmpty()) {
      return CsrState.ISSUED;
    }
    List<CertificateSigningRequestCondition> conditions = status.getConditions();
    if (conditions == null) {
      return CsrState.PENDING;
    }
    CsrState found = CsrState.PENDING;
    for (CertificateSigningRequestCondition c : conditions) {
      if (c.getStatus() != null && !"True".equals(c.getStatus())) {
        continue;
      }
      switch (String.valueOf(c.getType())) {
        case "Denied" -> found = CsrState.DENIED;
        case "Failed" -> {
          if (found != CsrState.DENIED) {
            found = CsrState.FAILED;
          }
        }
        case "Approved" -> {
          if (found == CsrState.PENDING) {
            found = CsrState.APPROVED;
          }
        }
        default -> {}
      }
    }
    return found;
  }

  static Instant created(CertificateSigningRequest csr, Instant fallback) {
    String ts = csr.getMetadata().getCreationTimestamp();
    if (ts == null || ts.isEmpty()) {
      return fallback;
    }
    try {
      return Instant.parse(ts);
    } catch (DateTimeParseException e) {
      return fallback;
    }
  }

  static NodeInfo toNode(Node node) {
    List<NodeInfo.Address> addresses =
        node.getStatus() == null || node.getStatus().getAddresses() == null
            ? List.of()
            : node.getStatus().getAddresses().stream()
                .map(a -> new NodeInfo.Address(a.getType(), a.getAddress()))
                .toList();
    return new NodeInfo(node.getMetadata().getName(), addresses);
  }
}
