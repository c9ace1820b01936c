package dev.kcert.core.rotation;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The pure parts of the workload restarts: selectors, rollout conditions, start times. */
class WorkloadsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static JsonNode json(String s) throws Exception {
    return JSON.readTree(s.replace('\'', '"'));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
    "matchLabels equal             | {'matchLabels':{'app':'db'}}                                                   | true",
    "matchLabels differ            | {'matchLabels':{'app':'web'}}                                                  | false",
    "empty selector selects all    | {}                                                                             | true",
    "In                            | {'matchExpressions':[{'key':'tier','operator':'In','values':['data','x']}]}     | true",
    "In, not listed                | {'matchExpressions':[{'key':'tier','operator':'In','values':['x']}]}            | false",
    "NotIn                         | {'matchExpressions':[{'key':'tier','operator':'NotIn','values':['data']}]}      | false",
    "Exists                        | {'matchExpressions':[{'key':'tier','operator':'Exists'}]}                       | true",
    "DoesNotExist                  | {'matchExpressions':[{'key':'tier','operator':'DoesNotExist'}]}                 | false",
    "DoesNotExist, absent key      | {'matchExpressions':[{'key':'zone','operator':'DoesNotExist'}]}                 | true",
    "labels and expressions, both  | {'matchLabels':{'app':'db'},'matchExpressions':[{'key':'zone','operator':'Exists'}]} | false",
  })
  void selectorsMatchAsPolicyV1Does(String name, String selector, boolean expected) throws Exception {
    JsonNode labels = json("{'app':'db','tier':'data'}");
    assertThat(Workloads.selects(json(selector), labels)).isEqualTo(expected);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
    "deployment done        | Deployment  | {'metadata':{'generation':2},'spec':{'replicas':2},'status':{'observedGeneration':2,'replicas':2,'updatedReplicas':2,'availableReplicas':2}} | true",
    "deployment not seen    | Deployment  | {'metadata':{'generation':3},'spec':{'replicas':2},'status':{'observedGeneration':2,'replicas':2,'updatedReplicas':2,'availableReplicas':2}} | false",
    "deployment old pods    | Deployment  | {'metadata':{'generation':2},'spec':{'replicas':2},'status':{'observedGeneration':2,'replicas':3,'updatedReplicas':2,'availableReplicas':2}} | false",
    "daemonset done         | DaemonSet   | {'metadata':{'generation':2},'status':{'observedGeneration':2,'desiredNumberScheduled':3,'updatedNumberScheduled':3,'numberAvailable':3}} | true",
    "daemonset rolling      | DaemonSet   | {'metadata':{'generation':2},'status':{'observedGeneration':2,'desiredNumberScheduled':3,'updatedNumberScheduled':1,'numberAvailable':3}} | false",
    "statefulset done       | StatefulSet | {'metadata':{'generation':2},'spec':{'replicas':1},'status':{'observedGeneration':2,'updatedReplicas':1,'readyReplicas':1,'currentRevision':'b','updateRevision':'b'}} | true",
    "statefulset revision   | StatefulSet | {'metadata':{'generation':2},'spec':{'replicas':1},'status':{'observedGeneration':2,'updatedReplicas':1,'readyReplicas':1,'currentRevision':'a','updateRevision':'b'}} | false",
  })
  void rolloutsCompleteAsKubectlRolloutStatusSays(String name, String kind, String obj, boolean done)
      throws Exception {
    assertThat(Workloads.rolledOut(kind, json(obj), 0)).isEqualTo(done);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
    "oldest running container | {'status':{'startTime':'2026-01-01T00:00:00Z','containerStatuses':[{'state':{'running':{'startedAt':'2026-03-01T00:00:00Z'}}},{'state':{'running':{'startedAt':'2026-02-01T00:00:00Z'}}}]}} | 2026-02-01T00:00:00Z",
    "no container running     | {'status':{'startTime':'2026-01-01T00:00:00Z','containerStatuses':[{'state':{'waiting':{}}}]}} | 2026-01-01T00:00:00Z",
    "only created             | {'metadata':{'creationTimestamp':'2025-12-01T00:00:00Z'}} | 2025-12-01T00:00:00Z",
  })
  void aPodStartedWhenItsOldestRunningContainerDid(String name, String pod, String expected)
      throws Exception {
    assertThat(Workloads.started(json(pod))).isEqualTo(Instant.parse(expected));
  }
}
