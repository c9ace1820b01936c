package dev.kcert.approver;

import dev.kcert.core.approval.Decision;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequest;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequestBuilder;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequestCondition;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequestConditionBuilder;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequestStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Writes a decision through the {@code approval} subresource: the judged object, with one condition
 * appended to those already there, on the resourceVersion that was judged. The API server answers
 * 409 when the object changed since; the caller then re-reads and judges again.
 *
 * <p>fabric8's {@code approve()}/{@code deny()} are not used: they replace the existing conditions
 * and write generic reasons.
 */
final class ApprovalWriter {
  /** What became of a write. */
  enum Outcome {
    WRITTEN,
    /** The object changed after it was judged. */
    CONFLICT,
    /** The object is gone. */
    GONE
  }

  /** A write that failed for another reason than a conflict: retried with backoff. */
  static final class WriteException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    WriteException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private static final long TIMEOUT_SECONDS = 30;

  private final KubernetesClient client;
  private final Clock clock;

  ApprovalWriter(KubernetesClient client, Clock clock) {
    this.client = client;
    this.clock = clock;
  }

  /** The object to PUT: a copy of the judged one, with the decision's condition appended. */
  static CertificateSigningRequest withCondition(
      CertificateSigningRequest judged, Decision decision, Instant now) {
    String type;
    if (decision instanceof Decision.Approve) {
      type = "Approved";
    } else if (decision instanceof Decision.Deny) {
      type = "Denied";
    } else {
      throw new IllegalArgumentException("only approve and deny are written: " + decision);
    }
    String ts = now.truncatedTo(ChronoUnit.SECONDS).toString();
    CertificateSigningRequestCondition condition =
        new CertificateSigningRequestConditionBuilder()
            .withType(type)
            .withStatus("True")
            .withReason(decision.reason())
            .withMessage(decision.message())
            .withLastUpdateTime(ts)
            .withLastTransitionTime(ts)
            .build();
    CertificateSigningRequest copy = new CertificateSigningRequestBuilder(judged).build();
    if (copy.getStatus() == null) {
      copy.setStatus(new CertificateSigningRequestStatus());
    }
    List<CertificateSigningRequestCondition> conditions =
        new ArrayList<>(copy.getStatus().getConditions() == null ? List.of() : copy.getStatus().getConditions());
    conditions.add(condition);
    copy.getStatus().setConditions(conditions);
    return copy;
  }

  /**
   * @param budget the longest the request may take (what is left of the leader's lease); the
   *     client gives up after it, so a write never lands long after the lease could have passed
   *     to another replica
   */
  Outcome write(CertificateSigningRequest judged, Decision decision, java.time.Duration budget) {
    long timeoutMillis = Math.max(1, Math.min(TIMEOUT_SECONDS * 1000, budget.toMillis()));
    String name = judged.getMetadata().getName();
    CertificateSigningRequest body = withCondition(judged, decision, clock.instant());
    String base = client.getMasterUrl().toString();
    if (!base.endsWith("/")) {
      base += "/";
    }
    String url =
        base + "apis/certificates.k8s.io/v1/certificatesigningrequests/"
            + URLEncoder.encode(name, StandardCharsets.UTF_8) + "/approval";
    HttpRequest request =
        client.getHttpClient().newHttpRequestBuilder()
            .uri(url)
            .put("application/json", Serialization.asJson(body))
            .timeout(timeoutMillis, TimeUnit.MILLISECONDS)
            .build();
    HttpResponse<String> response;
    java.util.concurrent.CompletableFuture<HttpResponse<String>> sent =
        client.getHttpClient().sendAsync(request, String.class);
    try {
      response = sent.get(timeoutMillis, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      sent.cancel(true);
      Thread.currentThread().interrupt();
      throw new WriteException("interrupted while writing approval of " + name, e);
    } catch (ExecutionException | TimeoutException e) {
      sent.cancel(true);
      throw new WriteException("cannot write approval of " + name + ": " + e, e);
    }
    return switch (response.code()) {
      case 200, 201 -> Outcome.WRITTEN;
      case 409 -> Outcome.CONFLICT;
      case 404 -> Outcome.GONE;
      default -> throw new WriteException(
          "approval of " + name + " refused: HTTP " + response.code() + " " + firstLine(response.body()), null);
    };
  }

  private static String firstLine(String body) {
    if (body == null) {
      return "";
    }
    String b = body.strip();
    int nl = b.indexOf('\n');
    b = nl >= 0 ? b.substring(0, nl) : b;
    return b.length() > 300 ? b.substring(0, 300) : b;
  }
}
