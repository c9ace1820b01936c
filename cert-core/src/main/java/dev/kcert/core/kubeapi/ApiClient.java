package dev.kcert.core.kubeapi;

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
 * A small client for the Kubernetes API with the JDK's HTTP client, set up from a kubeconfig as
 * kubectl would: TLS with the kubeconfig's CA as the only trust anchor, its client certificate and
 * key, no redirects, a timeout on connecting and on every request. It speaks JSON and nothing
 * else; callers name the paths.
 *
 * <p>Anything that keeps an answer from coming (no route, refused, timeout, a TLS failure such as
 * an expired serving certificate) is an {@link Unreachable}, a checked exception, so that every
 * caller decides whether to go on without the API server.
 *
 * <p>What the input can influence: the kubeconfig decides where requests go and which credentials
 * they present; answers are parsed as JSON and are as trusted as the API server is.
 */
public final class ApiClient {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient http;
  private final String server;
  private final Duration timeout;

  private ApiClient(HttpClient http, String server, Duration timeout) {
    this.http = http;
    this.server = server.replaceAll("/+$", "");
    this.timeout = timeout;
  }

  /** The API server could not be asked; {@link #getMessage()} says why, in one line. */
  public static final class Unreachable extends Exception {
    private static final long serialVersionUID = 1L;

    public Unreachable(String reason) {
      super(reason);
    }
  }

  /** An answer: the HTTP status and the body. */
  public record Response(int status, byte[] body) {
    public boolean ok() {
      return status / 100 == 2;
    }
  }

  /**
   * Sets up a client for the current context of {@code kubeconfig}.
   *
   * @param nodeRoot where absolute paths inside the kubeconfig are read below, or {@code null}
   * @param timeout the connect timeout and the timeout of each request
   * @throws KcertException when the kubeconfig cannot be read or used
   */
  public static ApiClient connect(Path kubeconfig, Path nodeRoot, Duration timeout) {
    KubeconfigCredentials creds = Kubeconfig.read(kubeconfig).under(nodeRoot).credentials();
    String server = creds.server();
    if (server.isEmpty()) {
      throw KcertException.about(kubeconfig, "cluster \"" + creds.clusterName() + "\" has no server");
    }
    URI uri;
    try {
      uri = URI.create(server);
    } catch (IllegalArgumentException e) {
      throw KcertException.about(kubeconfig, "server \"" + server + "\" is not a URL", e);
    }
    if (!"https".equals(uri.getScheme())) {
      throw KcertException.about(kubeconfig, "server \"" + server + "\" is not an https URL");
    }
    HttpClient client =
        HttpClient.newBuilder()
            .sslContext(tls(kubeconfig, creds))
            .version(HttpClient.Version.HTTP_1_1) // a few requests: no need to negotiate HTTP/2
            .connectTimeout(timeout)
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
    return new ApiClient(client, server, timeout);
  }

  /** The API server's URL, as the kubeconfig names it. */
  public String server() {
    return server;
  }

  public Response get(String path) throws Unreachable {
    return send(request(path).GET().build());
  }

  /** Replaces an object with {@code json} (which carries its resourceVersion, so a race is a 409). */
  public Response put(String path, JsonNode json) throws Unreachable {
    return send(
        request(path)
            .header("Content-Type", "application/json")
            .PUT(HttpRequest.BodyPublishers.ofByteArray(bytes(json)))
            .build());
  }

  /** Creates an object with {@code json}; an object of that name already there is a 409. */
  public Response post(String path, JsonNode json) throws Unreachable {
    return send(
        request(path)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofByteArray(bytes(json)))
            .build());
  }

  /** GETs {@code path} and parses the answer; a 404 is {@code null}, any other failure an error. */
  public JsonNode getJson(String path) throws Unreachable {
    Response r = get(path);
    if (r.status() == 404) {
      return null;
    }
    check(r, "GET", path);
    return parse(r, path);
  }

  /** Throws a one-line error naming the request when the answer is not a success. */
  public void check(Response r, String verb, String path) {
    if (!r.ok()) {
      throw new KcertException(
          verb + " " + path + " at " + server + ": the API server answered HTTP " + r.status()
              + reason(r));
    }
  }

  /** The JSON of an answer. */
  public JsonNode parse(Response r, String path) {
    try {
      JsonNode n = JSON.readTree(r.body());
      if (n == null || !n.isObject()) {
        throw new KcertException(path + " at " + server + ": the answer is not a JSON object");
      }
      return n;
    } catch (IOException e) {
      throw new KcertException(
          path + " at " + server + ": not JSON: " + KcertException.oneLine(e), e);
    }
  }

  private static String reason(Response r) {
    try {
      JsonNode n = JSON.readTree(r.body());
      String m = n == null ? "" : n.path("message").asText("");
      return m.isEmpty() ? "" : " (" + KcertException.oneLine(new KcertException(m)) + ")";
    } catch (IOException e) {
      return "";
    }
  }

  private static byte[] bytes(JsonNode json) {
    try {
      return JSON.writeValueAsBytes(json);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private HttpRequest.Builder request(String path) {
    URI uri;
    try {
      uri = URI.create(server + path);
    } catch (IllegalArgumentException e) {
      throw new KcertException(server + path + ": not a URL", e);
    }
    return HttpRequest.newBuilder(uri).timeout(timeout).header("Accept", "application/json");
  }

  private Response send(HttpRequest request) throws Unreachable {
    HttpResponse<byte[]> response;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
    } catch (HttpTimeoutException e) {
      throw new Unreachable("no answer within " + timeout.toMillis() + " ms");
    } catch (java.net.ConnectException e) {
      throw new Unreachable("connection refused");
    } catch (IOException e) {
      throw new Unreachable(KcertException.oneLine(rootCause(e)));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Unreachable("interrupted");
    }
    return new Response(response.statusCode(), response.body());
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
