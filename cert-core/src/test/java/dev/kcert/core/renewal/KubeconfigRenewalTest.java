package dev.kcert.core.renewal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.kcert.core.kubeconfig.Kubeconfig;
import dev.kcert.core.kubeconfig.KubeconfigCredentials;
import dev.kcert.core.pki.PkiLayout;
import dev.kcert.core.renewal.RenewalPlanner.Options;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Renewal of a kubeconfig changes the current user's credentials and the CA, nothing else. */
class KubeconfigRenewalTest {
  @TempDir Path root;

  @Test
  void onlyTheCurrentCredentialsAndTheCaChange() throws Exception {
    PkiLayout layout = TestPkis.create(root);
    Path admin = root.resolve("admin.conf");
    KubeconfigCredentials c = Kubeconfig.read(admin).credentials();
    String cert = Base64.getEncoder().encodeToString(c.clientCertificate().load());
    String key = Base64.getEncoder().encodeToString(c.clientKey().load());
    // a hand-edited file: another cluster and user first, odd field order, extra fields, a stale CA
    Files.writeString(
        admin,
        String.join(
            "\n",
            "kind: Config",
            "apiVersion: v1",
            "preferences:",
            "  colors: true",
            "clusters:",
            "- name: other",
            "  cluster:",
            "    server: https://other.example.com:6443",
            "    insecure-skip-tls-verify: true",
            "- name: kubernetes",
            "  cluster:",
            "    server: https://10.0.0.10:6443",
            "    certificate-authority-data: c3RhbGU=",
            "    tls-server-name: kubernetes",
            "users:",
            "- name: other-user",
            "  user:",
            "    token: abc",
            "- name: kubernetes-admin",
            "  user:",
            "    client-key-data: " + key,
            "    client-certificate-data: " + cert,
            "    username: kept",
            "contexts:",
            "- name: other",
            "  context: {cluster: other, user: other-user, namespace: dev}",
            "- name: kubernetes-admin@kubernetes",
            "  context: {cluster: kubernetes, user: kubernetes-admin}",
            "current-context: kubernetes-admin@kubernetes",
            "extensions: []",
            ""));
    JsonNode before = new YAMLMapper().readTree(admin.toFile());

    RenewalPlanner.Plan plan =
        RenewalPlanner.plan(
            layout,
            RenewalPlanner.select("admin.conf"),
            new Options(Duration.ofDays(30), null, false, null, false, TestPkis.CLOCK));
    new Installer(FileOps.system()).install(PkiLayout.under(root), TestPkis.NOW, plan.changes());

    JsonNode after = new YAMLMapper().readTree(admin.toFile());
    assertThat(fieldPaths(after)).isEqualTo(fieldPaths(before));
    ObjectNode userAfter = (ObjectNode) after.get("users").get(1).get("user");
    assertThat(userAfter.get("client-certificate-data").asText()).isNotEqualTo(cert);
    assertThat(userAfter.get("client-key-data").asText()).isNotEqualTo(key);
    assertThat(after.get("clusters").get(1).get("cluster").get("certificate-authority-data").asText())
        .isEqualTo(Base64.getEncoder().encodeToString(Files.readAllBytes(root.resolve("pki/ca.crt"))));
    // everything else is equal
    for (JsonNode n : List.of(before, after)) {
      ObjectNode u = (ObjectNode) n.get("users").get(1).get("user");
      u.remove(List.of("client-certificate-data", "client-key-data"));
      ((ObjectNode) n.get("clusters").get(1).get("cluster")).remove("certificate-authority-data");
    }
    assertThat(after).isEqualTo(before);
    Pairs.assertAllConsistent(layout);
  }

  /** Every field's path, in document order. */
  private static List<String> fieldPaths(JsonNode node) {
    List<String> out = new ArrayList<>();
    walk(node, "", out);
    return out;
  }

  private static void walk(JsonNode node, String path, List<String> out) {
    if (node.isObject()) {
      for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
        String f = it.next();
        out.add(path + "/" + f);
        walk(node.get(f), path + "/" + f, out);
      }
    } else if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        walk(node.get(i), path + "[" + i + "]", out);
      }
    }
  }
}
