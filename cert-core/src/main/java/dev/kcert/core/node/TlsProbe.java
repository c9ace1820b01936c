package dev.kcert.core.node;

import dev.kcert.core.model.KcertException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * Looks at what a port serves. The served certificate is fetched without trusting it: it is only
 * recorded and compared with the file on disk by the caller, which is a stronger check than a chain
 * to the CA. The served certificate is attacker-controlled input (anyone who can bind the port
 * chooses it); it is parsed by the JDK and only its serial, key and dates are used.
 */
public final class TlsProbe {
  private static final int MAX_BODY = 4096;

  private final Duration timeout;
  private final KeyManager[] clientKey;

  private TlsProbe(Duration timeout, KeyManager[] clientKey) {
    this.timeout = timeout;
    this.clientKey = clientKey;
  }

  public static TlsProbe withTimeout(Duration timeout) {
    return new TlsProbe(timeout, null);
  }

  /** The same probe presenting a client certificate (etcd's health endpoint asks for one). */
  public TlsProbe withClientCertificate(X509Certificate cert, PrivateKey key) {
    try {
      char[] pw = new char[0];
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, pw);
      ks.setKeyEntry("client", key, pw, new X509Certificate[] {cert});
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(ks, pw);
      return new TlsProbe(timeout, kmf.getKeyManagers());
    } catch (GeneralSecurityException | IOException e) {
      throw new KcertException("cannot use the client certificate: " + KcertException.oneLine(e), e);
    }
  }

  /** What a port served, or why it could not be reached. */
  public record Served(X509Certificate leaf, String error) {
    public boolean reached() {
      return leaf != null;
    }
  }

  /** What a health request returned, and the certificate served with it. */
  public record Health(int status, String body, X509Certificate leaf, String error) {
    public boolean ok() {
      return status == 200;
    }
  }

  /**
   * Handshakes with {@code host:port} and returns the leaf it served. A handshake that fails after
   * the server sent its certificate (a server that wants a client certificate) still counts.
   */
  public Served fetch(String host, int port) {
    Capture capture = new Capture();
    SSLContext ctx = context(capture);
    int ms = (int) Math.max(1, timeout.toMillis());
    try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket()) {
      s.connect(new InetSocketAddress(host, port), ms);
      s.setSoTimeout(ms);
      s.startHandshake();
    } catch (IOException e) {
      if (capture.leaf == null) {
        return new Served(null, reason(e));
      }
    }
    return new Served(capture.leaf, null);
  }

  /** GETs {@code https://host:port/path}; the body is read up to 4 KiB. */
  public Health get(String host, int port, String path) {
    Capture capture = new Capture();
    SSLContext ctx = context(capture);
    HttpsURLConnection c = null;
    try {
      String h = host.contains(":") ? "[" + host + "]" : host;
      c = (HttpsURLConnection) java.net.URI.create("https://" + h + ":" + port + path)
                  .toURL()
                  .openConnection(java.net.Proxy.NO_PROXY);
      c.setSSLSocketFactory(ctx.getSocketFactory());
      c.setHostnameVerifier((name, session) -> true); // the leaf is compared with the disk instead
      c.setConnectTimeout((int) Math.max(1, timeout.toMillis()));
      c.setReadTimeout((int) Math.max(1, timeout.toMillis()));
      c.setInstanceFollowRedirects(false);
      c.setUseCaches(false);
      int status = c.getResponseCode();
      InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream();
      String body = "";
      if (in != null) {
        try (in) {
          body = new String(in.readNBytes(MAX_BODY), java.nio.charset.StandardCharsets.UTF_8);
        }
      }
      return new Health(status, body.trim(), capture.leaf, null);
    } catch (IOException e) {
      return new Health(-1, "", capture.leaf, reason(e));
    } finally {
      if (c != null) {
        c.disconnect();
      }
    }
  }

  private SSLContext context(Capture capture) {
    try {
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(clientKey, new TrustManager[] {capture}, new SecureRandom());
      return ctx;
    } catch (GeneralSecurityException e) {
      throw new KcertException("cannot set up TLS: " + KcertException.oneLine(e), e);
    }
  }

  private static String reason(IOException e) {
    if (e instanceof java.net.ConnectException) {
      return "connection refused";
    }
    if (e instanceof java.net.SocketTimeoutException) {
      return "timed out";
    }
    if (e instanceof SSLException) {
      return "TLS handshake failed: " + KcertException.oneLine(e);
    }
    return KcertException.oneLine(e);
  }

  /** Accepts any server chain and keeps its leaf; used only to look, never to trust. */
  private static final class Capture implements X509TrustManager {
    volatile X509Certificate leaf;

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {
      throw new UnsupportedOperationException("client side only");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {
      if (chain != null && chain.length > 0) {
        leaf = chain[0];
      }
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }

}
