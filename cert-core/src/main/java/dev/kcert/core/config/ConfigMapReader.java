package dev.kcert.core.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kcert.core.kubeapi.ApiClient;
import dev.kcert.core.model.KcertException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Reads kubeadm's {@code kubeadm-config} ConfigMap in {@code kube-system} from the API server a
 * kubeconfig names, as {@code kubeadm certs renew} and {@code check-expiration} do, with {@link
 * ApiClient}: TLS with the kubeconfig's CA as the only trust anchor and its client certificate and
 * key, one GET, a short timeout. Anything that keeps the answer from coming (no route, refused,
 * timeout, a TLS failure such as an expired serving certificate) is {@link Outcome#UNREACHABLE},
 * never an error: a node whose API server is down must still renew from its files.
 *
 * <p>What the input can influence: the kubeconfig decides where the request goes and which
 * credentials it presents (the same ones kubectl would use); the API server's answer is parsed as
 * a kubeadm configuration ({@link KubeadmConfigParser}), strictly, and is as trusted as a {@code
 * --config} file would be.
 */
public final class ConfigMapReader {
  /** The ConfigMap's path on the API server. */
  public static final String PATH = "/api/v1/namespaces/kube-system/configmaps/kubeadm-config";

  /** How the line that says where the configuration came from names the ConfigMap. */
  public static final String SOURCE = "the \"kubeadm-config\" ConfigMap in namespace \"kube-system\"";

  private ConfigMapReader() {}

  /** What happened. */
  public enum Outcome {
    /** The ConfigMap was read: {@link Result#config()} holds it. */
    FOUND,
    /** The API server answered that there is no such ConfigMap (or no ClusterConfiguration in it). */
    ABSENT,
    /** No answer: {@link Result#reason()} says why, in one line. */
    UNREACHABLE
  }

  /**
   * The outcome of a read.
   *
   * @param outcome what happened
   * @param config the configuration when found
   * @param server the API server asked
   * @param reason why it is absent or unreachable, one line
   */
  public record Result(Outcome outcome, ClusterConfig config, String server, String reason) {}

  /**
   * Asks the API server of {@code kubeconfig} for the ConfigMap.
   *
   * @param kubeconfig the kubeconfig file ({@code admin.conf})
   * @param nodeRoot where absolute paths inside the kubeconfig are read below, or {@code null}
   * @param timeout the connect timeout and the request timeout
   * @throws KcertException when the kubeconfig cannot be read or used, or the API server's answer
   *     is not a ConfigMap or holds a configuration that does not parse
   */
  public static Result read(Path kubeconfig, Path nodeRoot, Duration timeout) {
    ApiClient api = ApiClient.connect(kubeconfig, nodeRoot, timeout);
    String server = api.server();
    ApiClient.Response response;
    try {
      response = api.get(PATH);
    } catch (ApiClient.Unreachable e) {
      return new Result(Outcome.UNREACHABLE, null, server, e.getMessage());
    }
    if (response.status() == 404) {
      return new Result(Outcome.ABSENT, null, server, "the API server has no such ConfigMap");
    }
    if (response.status() != 200) {
      return new Result(
          Outcome.UNREACHABLE, null, server,
          "the API server answered HTTP " + response.status());
    }
    String yaml = clusterConfiguration(response.body(), server);
    if (yaml == null) {
      return new Result(Outcome.ABSENT, null, server, "the ConfigMap has no ClusterConfiguration");
    }
    ClusterConfig config =
        KubeadmConfigParser.parse(yaml.getBytes(StandardCharsets.UTF_8), SOURCE);
    return new Result(Outcome.FOUND, config, server, null);
  }

  /** The {@code data.ClusterConfiguration} text of a ConfigMap in JSON, or null when it has none. */
  static String clusterConfiguration(byte[] json, String server) {
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(json);
    } catch (IOException e) {
      throw new KcertException(
          SOURCE + " from " + server + ": not JSON: " + KcertException.oneLine(e), e);
    }
    if (root == null || !"ConfigMap".equals(root.path("kind").asText())) {
      throw new KcertException(SOURCE + " from " + server + ": the answer is not a ConfigMap");
    }
    JsonNode text = root.path("data").path("ClusterConfiguration");
    if (text.isMissingNode() || text.isNull()) {
      return null;
    }
    if (!text.isTextual()) {
      throw new KcertException(
          SOURCE + " from " + server + ": data.ClusterConfiguration is not text");
    }
    return text.asText();
  }
}
