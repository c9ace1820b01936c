package dev.kcert.core.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kcert.core.kubeconfig.CredentialRef;
import dev.kcert.core.kubeconfig.Kubeconfig;
import dev.kcert.core.kubeconfig.KubeconfigCredentials;
import dev.kcert.core.model.KcertException;
import dev.kcert.core.pem.Certificates;
import dev.kcert.core.pem.PrivateKeys;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Reads kubeadm's {@code kubeadm-config} ConfigMap in {@code kube-system} from the API server a
 * kubeconfig names, as {@code kubeadm certs renew} and {@code check-expiration} do, with the JDK's
 * HTTP client: TLS with the kubeconfig's CA as the only trust anchor and its client certificate and
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
    KubeconfigCredentials creds = Kubeconfig.read(kubeconfig).under(nodeRoot).credentials();
    String server = creds.server();
    if (server.isEmpty()) {
      throw KcertException.about(kubeconfig, "cluster \"" + creds.clusterName() + "\" has no server");
    }
    URI uri;
    try {
      uri = URI.create(server.replaceAll("/+$", "") + PATH);
    } catch (IllegalArgumentException e) {
      throw KcertException.about(kubeconfig, "server \"" + server + "\" is not a URL", e);
    }
    if (!"https".equals(uri.getScheme())) {
      throw KcertException.about(kubeconfig, "server \"" + server + "\" is not an https URL");
    }
    SSLContext tls = tls(kubeconfig, creds);
    HttpClient client =
        HttpClient.newBuilder()
            .sslContext(tls)
            .version(HttpClient.Version.HTTP_1_1) // one GET: no need to negotiate HTTP/2
            .connectTimeout(timeout)
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
    HttpRequest request =
        HttpRequest.newBuilder(uri).timeout(timeout).header("Accept", "application/json").GET().build();
    HttpResponse<byte[]> response;
    try {
      response = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
    } catch (HttpTimeoutException e) {
      return new Result(Outcome.UNREACHABLE, null, server, "no answer within " + timeout.toMillis() + " ms");
    } catch (java.net.ConnectException e) {
      return new Result(Outcome.UNREACHABLE, null, server, "connection refused");
    } catch (IOException e) {
      return new Result(Outcome.UNREACHABLE, null, server, KcertException.oneLine(rootCause(e)));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Result(Outcome.UNREACHABLE, null, server, "interrupted");
    }
    if (response.statusCode() == 404) {
      return new Result(Outcome.ABSENT, null, server, "the API server has no such ConfigMap");
    }
    if (response.statusCode() != 200) {
      return new Result(
          Outcome.UNREACHABLE, null, server,
          "the API server answered HTTP " + response.statusCode());
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

  private static SSLContext tls(Path kubeconfig, KubeconfigCredentials creds) {
    try {
      KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
      trust.load(null, null);
      CredentialRef caRef = creds.certificateAuthority();
      if (caRef == null) {
        throw KcertException.about(
            kubeconfig, "cluster \"" + creds.clusterName() + "\" has no certificate-authority");
      }
      List<X509Certificate> cas = Certificates.parseBundle(caRef.load(), caRef.describe());
      for (int i = 0; i < cas.size(); i++) {
        trust.setCertificateEntry("ca-" + i, cas.get(i));
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);

      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      CredentialRef certRef = creds.clientCertificate();
      CredentialRef keyRef = creds.clientKey();
      KeyStore keys = KeyStore.getInstance("PKCS12");
      keys.load(null, null);
      char[] password = new char[0];
      if (certRef != null && keyRef != null) {
        List<X509Certificate> chain = Certificates.parseBundle(certRef.load(), certRef.describe());
        PrivateKey key = PrivateKeys.parse(keyRef.load(), keyRef.describe());
        keys.setKeyEntry("client", key, password, chain.toArray(new X509Certificate[0]));
      }
      kmf.init(keys, password);

      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
      return ctx;
    } catch (GeneralSecurityException | IOException e) {
      throw KcertException.about(
          kubeconfig, "cannot set up TLS from it: " + KcertException.oneLine(e), e);
    }
  }

  private static Throwable rootCause(Throwable t) {
    Throwable c = t;
    while (c.getCause() != null && c.getCause() != c) {
      c = c.getCause();
    }
    return c.getMessage() == null && c != t ? t : c;
  }
}
