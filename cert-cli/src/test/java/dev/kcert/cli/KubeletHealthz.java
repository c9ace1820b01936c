package dev.kcert.cli;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in for the kubelet's health endpoint on loopback: {@code /healthz} answers 200 {@code
 * ok} while it is up, 503 while it is down; it counts the questions.
 */
final class KubeletHealthz implements AutoCloseable {
  private final HttpServer server;
  private final AtomicBoolean up = new AtomicBoolean(true);
  private final AtomicInteger asked = new AtomicInteger();

  private KubeletHealthz(HttpServer server) {
    this.server = server;
  }

  static KubeletHealthz start() {
    try {
      HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      KubeletHealthz h = new KubeletHealthz(s);
      s.createContext("/healthz", ex -> {
        h.asked.incrementAndGet();
        byte[] body = (h.up.get() ? "ok" : "not ready").getBytes(StandardCharsets.US_ASCII);
        ex.sendResponseHeaders(h.up.get() ? 200 : 503, body.length);
        ex.getResponseBody().write(body);
        ex.close();
      });
      s.start();
      return h;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/healthz";
  }

  void up(boolean answersOk) {
    up.set(answersOk);
  }

  int asked() {
    return asked.get();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
