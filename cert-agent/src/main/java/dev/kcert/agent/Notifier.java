package dev.kcert.agent;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kcert.kube.Log;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The optional webhook: one JSON POST per start, success and failure of a run
 * ({@code {"node":..,"event":"started|succeeded|failed","message":..,"time":..}}). Best effort: a
 * webhook that fails is logged and never holds up the run.
 */
final class Notifier {
  private static final Logger LOG = LoggerFactory.getLogger(Notifier.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final URI url;
  private final String node;
  private final Clock clock;
  private final HttpClient http;

  /** @param url where to post, or null for no webhook */
  Notifier(URI url, String node, Clock clock) {
    this.url = url;
    this.node = node;
    this.clock = clock;
    this.http = url == null ? null : HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  }

  void send(String event, String message) {
    if (url == null) {
      return;
    }
    Map<String, String> body = new LinkedHashMap<>();
    body.put("node", node);
    body.put("event", event);
    body.put("message", message);
    body.put("time", clock.instant().toString());
    try {
      HttpRequest request =
          HttpRequest.newBuilder(url)
              .timeout(Duration.ofSeconds(10))
              .header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)))
              .build();
      HttpResponse<Void> r = http.send(request, HttpResponse.BodyHandlers.discarding());
      if (r.statusCode() / 100 != 2) {
        LOG.warn("notify=failed event={} status={}", event, r.statusCode());
      }
    } catch (java.io.IOException e) {
      LOG.warn("notify=failed event={} error={}", event, Log.q(Log.oneLine(e)));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
