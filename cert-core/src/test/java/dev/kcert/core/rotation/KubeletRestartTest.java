package dev.kcert.core.rotation;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The Node gate after a kubelet restart: Ready, with a heartbeat the restart cannot precede. */
class KubeletRestartTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Instant RESTART = Instant.parse("2026-11-23T12:00:00.600Z");

  private static JsonNode node(String status, String heartbeat) throws Exception {
    return JSON.readTree("{\"status\":{\"conditions\":[{\"type\":\"MemoryPressure\",\"status\":\"False\","
        + "\"lastHeartbeatTime\":\"2026-11-23T13:00:00Z\"},{\"type\":\"Ready\",\"status\":\"" + status
        + "\",\"reason\":\"KubeletNotReady\",\"lastHeartbeatTime\":\"" + heartbeat + "\"}]}}");
  }

  @Test
  void aHeartbeatInALaterSecondPasses() throws Exception {
    assertThat(KubeletRestart.ready(node("True", "2026-11-23T12:00:01Z"), RESTART)).isNull();
  }

  @Test
  void aHeartbeatInTheRestartsOwnSecondMayPrecedeItAndDoesNotPass() throws Exception {
    assertThat(KubeletRestart.ready(node("True", "2026-11-23T12:00:00Z"), RESTART))
        .isEqualTo("last heartbeat 2026-11-23T12:00:00Z, before the restart");
    assertThat(KubeletRestart.ready(node("True", "2026-11-23T11:59:00Z"), RESTART))
        .startsWith("last heartbeat");
  }

  @Test
  void notReadyOrNoReadyConditionDoesNotPass() throws Exception {
    assertThat(KubeletRestart.ready(node("False", "2026-11-23T12:00:05Z"), RESTART))
        .isEqualTo("Ready is False: \"KubeletNotReady\"");
    assertThat(KubeletRestart.ready(JSON.readTree("{\"status\":{}}"), RESTART)).isEqualTo("no Ready condition");
    assertThat(KubeletRestart.ready(node("True", "yesterday"), RESTART))
        .isEqualTo("Ready condition without a readable lastHeartbeatTime");
  }
}
