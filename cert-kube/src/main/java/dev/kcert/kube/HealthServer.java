package dev.kcert.kube;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.prometheus.metrics.exporter.httpserver.MetricsHandler;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * {@code /healthz}, {@code /readyz} and {@code /metrics} on one port. {@code /healthz} fails when
 * the process cannot recover by itself (so the kubelet restarts it); {@code /readyz} fails while it
 * is still starting.
 */
public final class HealthServer implements AutoCloseable {
  private static final String NODELAY = "sun.net.httpserver.nodelay";

  static {
    // The JDK's server writes a response's headers and body separately; with Nagle's algorithm on,
    // the body waits for the client's delayed ACK of the headers, about 40 ms on Linux, which put
    // every scrape of one agent at 45-55 ms in bench/run. Read once, when the first server starts.
    if (System.getProperty(NODELAY) == null) {
      System.setProperty(NODELAY, "true");
    }
  }

  private final HttpServer server;
  private final ExecutorService executor;

  /**
   * @param liveness why the process is broken for good, or null when it is not
   * @param readiness why the process is not ready, or null when it is
   */
  public HealthServer(String host, int port, PrometheusRegistry registry, Supplier<String> liveness,
      Supplier<String> readiness)
      throws IOException {
    server = HttpServer.create(new InetSocketAddress(host, port), 16);
    executor =
        Executors.newFixedThreadPool(
            2,
            r -> {
              Thread t = new Thread(r, "kcert-http");
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(executor);
    server.createContext(
        "/healthz",
        ex -> {
          String problem = liveness.get();
          reply(ex, problem == null ? 200 : 503, problem == null ? "ok\n" : problem + "\n");
        });
    server.createContext(
        "/readyz",
        ex -> {
          String problem = readiness.get();
          reply(ex, problem == null ? 200 : 503, problem == null ? "ok\n" : problem + "\n");
        });
    server.createContext("/metrics", new MetricsHandler(registry));
    server.createContext("/", ex -> reply(ex, 404, "not found\n"));
    server.start();
  }

  public int port() {
    return server.getAddress().getPort();
  }

  private static void reply(HttpExchange ex, int code, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
    ex.sendResponseHeaders(code, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
