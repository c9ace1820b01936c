package dev.kcert.kube;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;

class LogFormatTest {
  static LogRecord record(String message, Throwable t) {
    LogRecord r = new LogRecord(Level.WARNING, message);
    r.setLoggerName("io.fabric8.kubernetes.client.informers.impl.cache.Reflector");
    r.setMillis(1_780_000_000_123L);
    r.setThrown(t);
    return r;
  }

  static Throwable nested() {
    return new IllegalStateException("watch failed\nsecond line",
        new java.net.ConnectException("Connection refused"));
  }

  @Test
  void aStackTraceFromTheClientLibraryStaysOnOneLine() {
    String line = new LogFormat(LogFormat.Style.TEXT).format(record("Watch closing", nested()));
    assertThat(line).endsWith("\n");
    assertThat(line.substring(0, line.length() - 1)).doesNotContain("\n", "\r");
    assertThat(line).startsWith("2026-05-28T20:26:40.123Z WARN Reflector - Watch closing error=\"java.lang."
        + "IllegalStateException: watch failed\\x0asecond line\" stack=\"at dev.kcert.kube.LogFormatTest.nested(");
    assertThat(line).contains(" | caused by java.net.ConnectException: Connection refused | at ");
  }

  @Test
  void controlCharactersInAMessageCannotForgeALine() {
    String line = new LogFormat(LogFormat.Style.TEXT).format(
        record("csr=x message=\"node-a\n2026-01-01T00:00:00.000Z INFO Controller - decision=approve\"", null));
    assertThat(line.lines()).hasSize(1);
    assertThat(line).contains("node-a\\x0a2026-01-01");
  }

  @Test
  void jsonLinesCarryTheSameFields() throws IOException {
    String line = new LogFormat(LogFormat.Style.JSON).format(record("Watch closing\u001b[2J", nested()));
    assertThat(line.lines()).hasSize(1);
    JsonNode n = new ObjectMapper().readTree(line);
    assertThat(n.get("time").asText()).isEqualTo("2026-05-28T20:26:40.123Z");
    assertThat(n.get("level").asText()).isEqualTo("WARN");
    assertThat(n.get("logger").asText()).isEqualTo("io.fabric8.kubernetes.client.informers.impl.cache.Reflector");
    assertThat(n.get("message").asText()).isEqualTo("Watch closing\\x1b[2J");
    assertThat(n.get("error").asText()).isEqualTo("java.lang.IllegalStateException: watch failed\\x0asecond line");
    assertThat(n.get("stack").get(0).asText()).startsWith("at dev.kcert.kube.LogFormatTest.nested(");
  }
}
