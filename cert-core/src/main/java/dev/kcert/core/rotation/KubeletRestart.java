package dev.kcert.core.rotation;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kcert.core.kubeapi.ApiClient;
import dev.kcert.core.model.KcertException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Restarts the kubelet after a phase changed what it reads at start-up ({@code ca.crt}, its {@code
 * clientCAFile}, {@code kubelet.conf}, its client certificate), and proves it came back: its
 * health endpoint answers {@code 200}, and, where the API server answers, the Node's {@code Ready}
 * condition is {@code True} with a heartbeat newer than the restart.
 *
 * <p>What the input can influence: the restart command and the health URL are the admin's options
 * (the command is split on blanks and run without a shell); the health endpoint's answer is only
 * compared with {@code 200}; the Node object is read, never written, and its heartbeat time only
 * decides whether the gate passes.
 */
public final class KubeletRestart {
  public static final String DEFAULT_COMMAND = "systemctl restart kubelet";
  public static final String DEFAULT_HEALTHZ = "http://127.0.0.1:10248/healthz";

  /**
   * How to restart and how long to wait.
   *
   * @param command the restart command, split on blanks
   * @param healthz the kubelet's health endpoint
   * @param timeout how long the kubelet has to come back (the command included)
   * @param poll how often to look
   * @param clock the time of the restart, compared with the Node's heartbeat
   */
  public record Options(String command, URI healthz, Duration timeout, Duration poll, Clock clock) {
    List<String> argv() {
      return Arrays.stream(command.trim().split("\\s+")).filter(s -> !s.isEmpty()).toList();
    }
  }

  private KubeletRestart() {}

  /**
   * Restarts the kubelet and waits for it.
   *
   * @param api the API server, or {@code null} when there is none to ask
   * @param nodeName the Node to watch; {@code null} skips the Node check
   * @return {@code null} when the kubelet is back, else one line saying why not
   */
  public static String run(Options o, ApiClient api, String nodeName, Consumer<String> progress) {
    List<String> argv = o.argv();
    if (argv.isEmpty()) {
      return "the kubelet restart command is empty";
    }
    Instant restartedAt = o.clock().instant();
    long deadline = System.nanoTime() + o.timeout().toNanos();
    progress.accept("Restarting the kubelet (" + String.join(" ", argv) + ")");
    String failed = runCommand(argv, deadline);
    if (failed != null) {
      return failed;
    }
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2))
        .followRedirects(HttpClient.Redirect.NEVER).build();
    String last = "no answer yet";
    while (true) {
      last = healthz(http, o.healthz());
      if (last == null) {
        break;
      }
      if (System.nanoTime() >= deadline) {
        return "the kubelet did not come back within " + o.timeout().toSeconds() + "s after its"
            + " restart: " + o.healthz() + ": " + last;
      }
      sleep(o.poll());
    }
    progress.accept("The kubelet answers " + o.healthz());
    if (api == null || nodeName == null) {
      return null;
    }
    String path = "/api/v1/nodes/" + nodeName;
    String seen = "no Ready condition";
    while (true) {
      try {
        JsonNode node = api.getJson(path);
        seen = node == null ? "Node " + nodeName + " not found" : ready(node, restartedAt);
        if (seen == null) {
          progress.accept("Node " + nodeName + " is Ready with a heartbeat since the restart");
          return null;
        }
      } catch (ApiClient.Unreachable e) {
        progress.accept("The API server at " + api.server() + " does not answer (" + e.getMessage()
            + "); the Node's Ready condition is not checked");
        return null;
      }
      if (System.nanoTime() >= deadline) {
        return "Node " + nodeName + " did not report Ready since the kubelet's restart at "
            + restartedAt.truncatedTo(ChronoUnit.SECONDS) + " within " + o.timeout().toSeconds()
            + "s (" + seen + ")";
      }
      sleep(o.poll());
    }
  }

  /** {@code null} when the Node is Ready with a heartbeat after {@code since}; else what it says. */
  static String ready(JsonNode node, Instant since) {
    for (JsonNode c : node.path("status").path("conditions")) {
      if (!c.path("type").asText("").equals("Ready")) {
        continue;
      }
      String beat = c.path("lastHeartbeatTime").asText("");
      Instant at;
      try {
        at = Instant.parse(beat);
      } catch (DateTimeParseException e) {
        return "Ready condition without a readable lastHeartbeatTime";
      }
      // the API keeps whole seconds: a heartbeat in the restart's second may precede it
      if (!at.isAfter(since.truncatedTo(ChronoUnit.SECONDS))) {
        return "last heartbeat " + at + ", before the restart";
      }
      if (!c.path("status").asText("").equals("True")) {
        return "Ready is " + c.path("status").asText("unknown") + ": "
            + KcertException.shown(c.path("reason").asText(""));
      }
      return null;
    }
    return "no Ready condition";
  }

  private static String runCommand(List<String> argv, long deadline) {
    Process p;
    try {
      p = new ProcessBuilder(argv).redirectErrorStream(true).start();
    } catch (IOException e) {
      return "the kubelet restart command (" + String.join(" ", argv) + ") could not start: "
          + KcertException.oneLine(e);
    }
    byte[][] out = {new byte[0]};
    Thread reader = new Thread(() -> {
      try (InputStream in = p.getInputStream()) {
        out[0] = in.readNBytes(4096);
        in.transferTo(java.io.OutputStream.nullOutputStream());
      } catch (IOException e) {
        // its output is only for the message
      }
    }, "kcert-kubelet-restart-output");
    reader.setDaemon(true);
    reader.start();
    try {
      p.getOutputStream().close();
      long left = Math.max(1, deadline - System.nanoTime());
      if (!p.waitFor(left, TimeUnit.NANOSECONDS)) {
        p.destroyForcibly();
        return "the kubelet restart command (" + String.join(" ", argv) + ") did not end in time";
      }
      reader.join(1000);
    } catch (IOException e) {
      // its input was closed already
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
      return "interrupted while the kubelet restart command ran";
    }
    if (p.exitValue() != 0) {
      String first = new String(out[0], StandardCharsets.UTF_8).lines().findFirst().orElse("").strip();
      return "the kubelet restart command (" + String.join(" ", argv) + ") exited with "
          + p.exitValue() + (first.isEmpty() ? "" : ": " + KcertException.shown(first));
    }
    return null;
  }

  private static String healthz(HttpClient http, URI url) {
    try {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(2))
          .GET().build(), HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? null : "HTTP " + r.statusCode();
    } catch (IOException e) {
      return KcertException.oneLine(e).isEmpty() ? "no answer" : KcertException.oneLine(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted";
    }
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
