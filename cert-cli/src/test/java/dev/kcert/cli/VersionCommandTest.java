package dev.kcert.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code kcert version} in kubeadm's shapes, from what the build recorded. */
class VersionCommandTest {
  static final BuildInfo INFO =
      new BuildInfo(
          "1.2.3-SNAPSHOT", "0123456789abcdef0123456789abcdef01234567", "clean", "2026-11-01T10:20:30Z");

  @Test
  void jsonHasKubeadmsKeysInKubeadmsOrder() throws Exception {
    String json = VersionCommand.render(INFO, VersionCommand.Format.JSON);
    assertThat(json).startsWith("{\n  \"clientVersion\": {\n    \"major\": \"1\",\n");
    JsonNode v = new ObjectMapper().readTree(json).get("clientVersion");
    List<String> keys = new ArrayList<>();
    v.fieldNames().forEachRemaining(keys::add);
    assertThat(keys)
        .containsExactly(
            "major", "minor", "gitVersion", "gitCommit", "gitTreeState", "buildDate",
            "javaVersion", "compiler", "platform");
    assertThat(v.get("minor").asText()).isEqualTo("2");
    assertThat(v.get("gitVersion").asText()).isEqualTo("v1.2.3-SNAPSHOT");
    assertThat(v.get("gitCommit").asText()).isEqualTo(INFO.gitCommit());
    assertThat(v.get("gitTreeState").asText()).isEqualTo("clean");
    assertThat(v.get("buildDate").asText()).isEqualTo("2026-11-01T10:20:30Z");
    assertThat(v.get("javaVersion").asText()).isEqualTo(Runtime.version().toString());
    assertThat(v.get("platform").asText()).matches("[a-z]+/[a-z0-9_]+");
  }

  @Test
  void yamlHasSortedKeysAndQuotesWhatGoQuotes() throws Exception {
    String yaml = VersionCommand.render(INFO, VersionCommand.Format.YAML);
    assertThat(yaml).startsWith("clientVersion:\n  buildDate: \"2026-11-01T10:20:30Z\"\n");
    assertThat(yaml).contains("\n  major: \"1\"\n").contains("\n  minor: \"2\"\n");
    JsonNode v = new YAMLMapper().readTree(yaml).get("clientVersion");
    assertThat(v.get("gitCommit").asText()).isEqualTo(INFO.gitCommit());
  }

  @Test
  void textAndShortAsKubeadmPrintsThem() throws Exception {
    assertThat(VersionCommand.render(INFO, VersionCommand.Format.SHORT))
        .isEqualTo("v1.2.3-SNAPSHOT\n");
    assertThat(VersionCommand.render(INFO, VersionCommand.Format.TEXT))
        .startsWith(
            "kcert version: &version.Info{Major:\"1\", Minor:\"2\", GitVersion:\"v1.2.3-SNAPSHOT\","
                + " GitCommit:\"0123456789abcdef0123456789abcdef01234567\", GitTreeState:\"clean\","
                + " BuildDate:\"2026-11-01T10:20:30Z\", JavaVersion:\"");
  }

  @Test
  void theBuildRecordsVersionCommitAndDate() {
    BuildInfo built = BuildInfo.load();
    assertThat(built.version()).isNotEmpty().doesNotContain("${");
    // the project is built from git: the commit and its time are there, in kubeadm's formats
    assertThat(built.gitCommit()).matches("[0-9a-f]{40}");
    assertThat(built.gitTreeState()).isIn("clean", "dirty");
    assertThat(built.buildDate()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ");
  }

  @Test
  void commandLineOutputsAndRejectsUnknownFormats() {
    Cli.Run json = Cli.run("version", "-o", "json");
    assertThat(json.code()).isZero();
    assertThat(json.out()).contains("\"clientVersion\"");
    Cli.Run bad = Cli.run("version", "-o", "xml");
    assertThat(bad.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(bad.err()).contains("'xml' is not one of text, short, json, yaml");
  }
}
