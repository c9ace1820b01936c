package dev.kcert.approver;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kcert.core.approval.CsrRequest;
import dev.kcert.core.approval.CsrRequest.CsrState;
import dev.kcert.core.approval.Decision;
import dev.kcert.core.approval.DenyReason;
import dev.kcert.core.approval.NodeInfo;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequest;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequestBuilder;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequestCondition;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequestConditionBuilder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class CsrMappingTest {
  static final Instant NOW = Instant.parse("2026-05-01T10:00:00Z");

  static CertificateSigningRequest csr(List<CertificateSigningRequestCondition> conditions, String certificate) {
    return new CertificateSigningRequestBuilder()
        .withNewMetadata().withName("csr-x").withResourceVersion("7")
        .withCreationTimestamp("2026-05-01T09:59:00Z").endMetadata()
        .withNewSpec()
        .withSignerName("kubernetes.io/kubelet-serving")
        .withUsername("system:node:n1")
        .withGroups("system:nodes")
        .withUsages("digital signature", "server auth")
        .withExpirationSeconds(3600)
        .withRequest(Base64.getEncoder().encodeToString("PEM".getBytes(StandardCharsets.US_ASCII)))
        .endSpec()
        .withNewStatus().withConditions(conditions).withCertificate(certificate).endStatus()
        .build();
  }

  static CertificateSigningRequestCondition cond(String type, String status) {
    return new CertificateSigningRequestConditionBuilder().withType(type).withStatus(status).build();
  }

  static Stream<Arguments> states() {
    return Stream.of(
        Arguments.of("no conditions", List.of(), null, CsrState.PENDING),
        Arguments.of("approved", List.of(cond("Approved", "True")), null, CsrState.APPROVED),
        Arguments.of("denied", List.of(cond("Denied", "True")), null, CsrState.DENIED),
        Arguments.of("failed", List.of(cond("Failed", "True")), null, CsrState.FAILED),
        Arguments.of("approved then failed", List.of(cond("Approved", "True"), cond("Failed", "True")), null,
            CsrState.FAILED),
        Arguments.of("approved with status False", List.of(cond("Approved", "False")), null, CsrState.PENDING),
        Arguments.of("unknown condition type", List.of(cond("Reviewed", "True")), null, CsrState.PENDING),
        Arguments.of("certificate issued", List.of(), "Y2VydA==", CsrState.ISSUED));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("states")
  void readsTheState(String name, List<CertificateSigningRequestCondition> conditions, String cert, CsrState state) {
    assertThat(CsrMapping.state(csr(conditions, cert))).isEqualTo(state);
  }

  @Test
  void mapsTheSpec() {
    CsrRequest r = CsrMapping.toRequest(csr(List.of(), null), NOW);
    assertThat(r.name()).isEqualTo("csr-x");
    assertThat(r.username()).isEqualTo("system:node:n1");
    assertThat(r.groups()).containsExactly("system:nodes");
    assertThat(r.usages()).containsExactly("digital signature", "server auth");
    assertThat(r.expirationSeconds()).isEqualTo(OptionalLong.of(3600));
    assertThat(new String(r.request(), StandardCharsets.US_ASCII)).isEqualTo("PEM");
    assertThat(r.created()).isEqualTo(Instant.parse("2026-05-01T09:59:00Z"));
  }

  @Test
  void invalidBase64IsHandedOnAsTextAndAMissingSpecIsEmpty() {
    assertThat(new String(CsrMapping.decodeRequest("%%%"), StandardCharsets.UTF_8)).isEqualTo("%%%");
    assertThat(CsrMapping.decodeRequest(null)).isEmpty();
    CertificateSigningRequest bare = new CertificateSigningRequestBuilder().withNewMetadata().withName("b")
        .endMetadata().build();
    CsrRequest r = CsrMapping.toRequest(bare, NOW);
    assertThat(r.signerName()).isEmpty();
    assertThat(r.created()).isEqualTo(NOW);
  }

  @Test
  void mapsNodeAddresses() {
    NodeInfo n = CsrMapping.toNode(new NodeBuilder().withNewMetadata().withName("n1").endMetadata()
        .withNewStatus().addNewAddress("10.0.0.1", "InternalIP").addNewAddress("n1", "Hostname").endStatus().build());
    assertThat(n).isEqualTo(new NodeInfo("n1", List.of(
        new NodeInfo.Address("InternalIP", "10.0.0.1"), new NodeInfo.Address("Hostname", "n1"))));
    assertThat(CsrMapping.toNode(new NodeBuilder().withNewMetadata().withName("n2").endMetadata().build()).addresses())
        .isEmpty();
  }

  @Test
  void theWrittenConditionIsAppendedToThoseAlreadyThere() {
    CertificateSigningRequest judged = csr(List.of(cond("Reviewed", "True")), null);
    CertificateSigningRequest body = ApprovalWriter.withCondition(
        judged, new Decision.Deny(DenyReason.NO_SAN, "request has no DNS or IP SAN"), Instant.parse("2026-05-01T10:00:00.123Z"));
    assertThat(body.getMetadata().getResourceVersion()).isEqualTo("7");
    assertThat(body.getStatus().getConditions()).hasSize(2);
    assertThat(body.getStatus().getConditions().get(0).getType()).isEqualTo("Reviewed");
    CertificateSigningRequestCondition c = body.getStatus().getConditions().get(1);
    assertThat(c.getType()).isEqualTo("Denied");
    assertThat(c.getStatus()).isEqualTo("True");
    assertThat(c.getReason()).isEqualTo("NoSan");
    assertThat(c.getMessage()).isEqualTo("request has no DNS or IP SAN");
    assertThat(c.getLastUpdateTime()).isEqualTo("2026-05-01T10:00:00Z");
    assertThat(c.getLastTransitionTime()).isEqualTo("2026-05-01T10:00:00Z");
    assertThat(judged.getStatus().getConditions()).as("the judged object is not changed").hasSize(1);
  }
}
