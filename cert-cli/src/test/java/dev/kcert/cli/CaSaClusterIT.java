package dev.kcert.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kcert.core.pem.PrivateKeys;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --ca sa} against the fabric8 mock API server: the legacy token Secrets and the key that
 * signed each are listed, and trust-new refuses while one still holds a token of the old key.
 */
class CaSaClusterIT {
  /** Kept in a field: a logger only referenced once may be collected with its level. */
  private static final Logger MOCK_LOG = Logger.getLogger("io.fabric8.mockwebserver");

  static {
    MOCK_LOG.setLevel(Level.WARNING);
  }

  private static final String PATIENT = "--api-timeout=30s";
  private static final ResourceDefinitionContext SECRETS = new ResourceDefinitionContext.Builder()
      .withGroup("").withVersion("v1").withKind("Secret").withPlural("secrets").withNamespaced(true).build();

  @TempDir Path root;
  private MockApi api;
  private KubernetesClient client;
  private Path kubeconfig;
  private String[] dirs;

  @BeforeEach
  void start() throws Exception {
    dirs = Cli.controlPlane(root);
    api = MockApi.crud();
    client = api.client();
    kubeconfig = api.adminConf(root);
  }

  @AfterEach
  void stop() {
    api.close();
  }

  private Cli.Run ca(Clock clock, String verb, String... more) {
    String[] head = verb.equals("prepare") ? new String[] {"ca", verb, "--ca", "sa"}
        : new String[] {"ca", verb, "--ca", "sa", "--kubeconfig", kubeconfig.toString(), PATIENT};
    return Cli.run(clock, Cli.args(Cli.args(head, dirs), more));
  }

  private void tokenSecret(String ns, String name, String token) {
    String json = "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"" + name
        + "\",\"namespace\":\"" + ns + "\"},\"type\":\"kubernetes.io/service-account-token\",\"data\":{"
        + (token == null ? "" : "\"token\":\"" + Base64.getEncoder().encodeToString(
            token.getBytes(StandardCharsets.US_ASCII)) + "\"") + "}}";
    GenericKubernetesResource r = Serialization.unmarshal(json, GenericKubernetesResource.class);
    client.genericKubernetesResources(SECRETS).inNamespace(ns).resource(r).createOr(x -> x.update());
  }

  @Test
  void trustNewRefusesWhileALegacyTokenOfTheOldKeyRemains() throws IOException {
    String oldToken = token(PrivateKeys.read(root.resolve("pki/sa.key")));
    tokenSecret("legacy", "builder-token", oldToken);
    tokenSecret("legacy", "pending-token", null);
    assertThat(ca(Cli.CLOCK, "prepare").code()).isZero();
    Cli.Run plan = ca(Cli.CLOCK, "plan");
    assertThat(plan.code()).as(plan.err()).isZero();
    assertThat(plan.out()).containsPattern("legacy +builder-token +old\n")
        .containsPattern("legacy +pending-token +none\n");
    assertThat(ca(Cli.CLOCK, "trust-both").code()).isZero();
    assertThat(ca(Cli.CLOCK, "reissue").code()).isZero();
    Clock later = Clock.offset(Cli.CLOCK, Duration.ofHours(25));
    Cli.Run status = ca(later, "status");
    assertThat(status.out()).contains("cluster: 2 legacy token Secret(s), 1 signed by the old key:\n"
        + "  legacy/builder-token: kubectl -n legacy patch secret builder-token --type=json -p"
        + " '[{\"op\":\"remove\",\"path\":\"/data/token\"}]'\n");
    Cli.Run refused = ca(later, "trust-new");
    assertThat(refused.code()).isEqualTo(ExitCodes.ERROR);
    assertThat(refused.err()).isEqualTo("error: sa: trust-new refused: 1 legacy token Secret(s) hold a"
        + " token signed by the old key: legacy/builder-token; have kube-controller-manager sign each"
        + " again (kubectl -n legacy patch secret builder-token --type=json -p"
        + " '[{\"op\":\"remove\",\"path\":\"/data/token\"}]'), or --force goes on\n");
    // what the tokens controller does once the token is removed: a token of the current key
    tokenSecret("legacy", "builder-token", token(PrivateKeys.read(root.resolve("pki/sa.key"))));
    Cli.Run done = ca(later, "trust-new");
    assertThat(done.code()).as(done.err()).isZero();
    assertThat(ca(later, "status").out()).contains("cluster: 2 legacy token Secret(s), 0 signed by the old key\n");
  }

  /** An ES256 token as the API server signs with an ECDSA P-256 key (the test PKI's sa.key). */
  private static String token(PrivateKey key) {
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    String head = b64.encodeToString("{\"alg\":\"ES256\"}".getBytes(StandardCharsets.UTF_8));
    String body = b64.encodeToString("{\"sub\":\"system:serviceaccount:legacy:builder\"}".getBytes(StandardCharsets.UTF_8));
    try {
      Signature s = Signature.getInstance("SHA256withECDSAinP1363Format");
      s.initSign(key);
      s.update((head + "." + body).getBytes(StandardCharsets.US_ASCII));
      return head + "." + body + "." + b64.encodeToString(s.sign());
    } catch (GeneralSecurityException e) {
      throw new AssertionError(e);
    }
  }
}
