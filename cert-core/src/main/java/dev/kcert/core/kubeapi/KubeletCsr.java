package dev.kcert.core.kubeapi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kcert.core.model.KcertException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;

/**
 * Asks the cluster's signer for a kubelet client certificate as the kubelet does: a
 * CertificateSigningRequest ({@code certificates.k8s.io/v1}) with signer {@code
 * kubernetes.io/kube-apiserver-client-kubelet}, sent with the node's own credentials so that
 * kube-controller-manager's approver recognises a node renewing its own certificate; then waits,
 * bounded, until it is approved and issued.
 *
 * <p>What the input can influence: the answers come from the API server and say whether the
 * request was approved, denied or issued, and hand back a certificate; the caller checks that
 * certificate (issuer, key, names) before it is used. Nothing here writes a file.
 */
public final class KubeletCsr {
  public static final String SIGNER = "kubernetes.io/kube-apiserver-client-kubelet";
  static final String PATH = "/apis/certificates.k8s.io/v1/certificatesigningrequests";
  private static final ObjectMapper JSON = new ObjectMapper();

  private KubeletCsr() {}

  /**
   * Creates the request {@code name} for {@code csrPem} and returns the PEM the signer issued.
   *
   * @param usages the key usages asked for ({@code digital signature}, {@code client auth}, ...)
   * @param timeout how long to wait for the certificate
   * @param poll how often to look
   * @throws KcertException when the request is refused, denied, fails, or is not issued in time
   */
  public static byte[] request(ApiClient api, String name, String csrPem, List<String> usages,
      Duration timeout, Duration poll) throws ApiClient.Unreachable {
    ObjectNode body = JSON.createObjectNode();
    body.put("apiVersion", "certificates.k8s.io/v1");
    body.put("kind", "CertificateSigningRequest");
    body.putObject("metadata").put("name", name);
    ObjectNode spec = body.putObject("spec");
    spec.put("request",
        Base64.getEncoder().encodeToString(csrPem.getBytes(StandardCharsets.US_ASCII)));
    spec.put("signerName", SIGNER);
    ArrayNode u = spec.putArray("usages");
    usages.forEach(u::add);
    ApiClient.Response created = api.post(PATH, body);
    api.check(created, "POST", PATH + " (CertificateSigningRequest " + name + ")");
    String path = PATH + "/" + name;
    long deadline = System.nanoTime() + timeout.toNanos();
    boolean approved = false;
    while (true) {
      JsonNode csr = api.getJson(path);
      if (csr == null) {
        throw new KcertException("CertificateSigningRequest " + name + " at " + api.server()
            + " disappeared before it was issued");
      }
      for (JsonNode c : csr.path("status").path("conditions")) {
        String type = c.path("type").asText("");
        if (type.equals("Denied") || type.equals("Failed")) {
          throw new KcertException("CertificateSigningRequest " + name + " was "
              + type.toLowerCase() + " (" + c.path("reason").asText("no reason") + ": "
              + KcertException.shown(c.path("message").asText("")) + ")");
        }
        if (type.equals("Approved") && c.path("status").asText("True").equals("True")) {
          approved = true;
        }
      }
      String issued = csr.path("status").path("certificate").asText("");
      if (!issued.isEmpty()) {
        try {
          return Base64.getMimeDecoder().decode(issued.getBytes(StandardCharsets.US_ASCII));
        } catch (IllegalArgumentException e) {
          throw new KcertException("CertificateSigningRequest " + name
              + ": status.certificate is not base64", e);
        }
      }
      if (System.nanoTime() >= deadline) {
        throw new KcertException("CertificateSigningRequest " + name + " was not issued within "
            + timeout.toSeconds() + "s (" + (approved ? "approved, but the signer did not issue it"
            : "not approved: is kube-controller-manager running, and does this node's user have"
            + " the selfnodeclient permission?") + ")");
      }
      try {
        Thread.sleep(poll.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new KcertException("interrupted while waiting for CertificateSigningRequest " + name, e);
      }
    }
  }
}
