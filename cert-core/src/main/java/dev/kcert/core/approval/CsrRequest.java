package dev.kcert.core.approval;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * The parts of a {@code certificates.k8s.io/v1} CertificateSigningRequest the policy judges.
 *
 * @param name {@code metadata.name}
 * @param signerName {@code spec.signerName}
 * @param username {@code spec.username}, as the API server authenticated the requester
 * @param groups {@code spec.groups}
 * @param usages {@code spec.usages}, as written in the API ({@code "server auth"}, ...)
 * @param expirationSeconds {@code spec.expirationSeconds}, empty when not set
 * @param state where the request stands, from its conditions and {@code status.certificate}
 * @param request {@code spec.request}: the PEM text, as decoded from the API's base64
 * @param created {@code metadata.creationTimestamp}
 */
public record CsrRequest(
    String name,
    String signerName,
    String username,
    List<String> groups,
    List<String> usages,
    OptionalLong expirationSeconds,
    CsrState state,
    byte[] request,
    Instant created) {

  public CsrRequest {
    Objects.requireNonNull(name, "name");
    signerName = signerName == null ? "" : signerName;
    username = username == null ? "" : username;
    groups = groups == null ? List.of() : List.copyOf(groups);
    usages = usages == null ? List.of() : List.copyOf(usages);
    expirationSeconds = expirationSeconds == null ? OptionalLong.empty() : expirationSeconds;
    Objects.requireNonNull(state, "state");
    request = request == null ? new byte[0] : request;
    Objects.requireNonNull(created, "created");
  }

  /** Where a request stands. */
  public enum CsrState {
    /** No Approved, Denied or Failed condition, no certificate. */
    PENDING,
    APPROVED,
    DENIED,
    FAILED,
    /** A certificate was issued (whatever the conditions say). */
    ISSUED
  }
}
