package dev.kcert.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The image tarballs as {@code docker load} reads them: manifest, config (entrypoint, user,
 * labels) and layers; then the layers unpacked into a root file system and the entrypoint run in
 * it with chroot, which shows that the few libraries of the base are all the runtime needs.
 */
class ImagesIT {
  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  /** The image's files, by layer: name to entries (path to mode). */
  record Image(JsonNode manifest, JsonNode config, List<Map<String, Integer>> layers, Map<String, byte[]> blobs) {}

  static Image load(Path tar) throws IOException {
    Map<String, byte[]> files = new HashMap<>();
    try (TarArchiveInputStream in = new TarArchiveInputStream(Files.newInputStream(tar))) {
      TarArchiveEntry e;
      while ((e = in.getNextEntry()) != null) {
        if (e.isFile()) {
          files.put(e.getName(), in.readAllBytes());
        }
      }
    }
    JsonNode manifest = JSON.readTree(files.get("manifest.json")).get(0);
    JsonNode config = JSON.readTree(files.get(manifest.get("Config").asText()));
    List<Map<String, Integer>> layers = new ArrayList<>();
    for (JsonNode l : manifest.get("Layers")) {
      Map<String, Integer> entries = new LinkedHashMap<>();
      try (TarArchiveInputStream in =
          new TarArchiveInputStream(
              new GzipCompressorInputStream(new ByteArrayInputStream(files.get(l.asText()))))) {
        TarArchiveEntry e;
        while ((e = in.getNextEntry()) != null) {
          entries.put("/" + e.getName().replaceFirst("^\\./", "").replaceFirst("^/", ""), e.getMode() & 07777);
        }
      }
      layers.add(entries);
    }
    return new Image(manifest, config, layers, files);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "kcert-image.tar, kcert, /opt/kcert/lib/kcert.jar",
    "kcert-csr-approver-image.tar, kcert-csr-approver, /opt/kcert/lib/cert-csr-approver.jar",
    "kcert-agent-image.tar, kcert-agent, /opt/kcert/lib/cert-agent.jar"
  })
  void manifestConfigAndLayers(String file, String title, String jar) throws IOException {
    Image image = load(Dist.DIR.resolve(file));
    assertThat(image.manifest().get("RepoTags").get(0).asText()).endsWith("/" + title + ":" + Dist.VERSION);
    JsonNode c = image.config().get("config");
    assertThat(c.get("User").asText()).isEqualTo("65532:65532");
    List<String> entrypoint = new ArrayList<>();
    c.get("Entrypoint").forEach(n -> entrypoint.add(n.asText()));
    assertThat(entrypoint.get(0)).isEqualTo("/opt/kcert/runtime/bin/java");
    assertThat(entrypoint).contains("-XX:+UseSerialGC", "-XX:-UsePerfData").endsWith("-jar", jar);
    JsonNode labels = c.get("Labels");
    assertThat(labels.get("org.opencontainers.image.title").asText()).isEqualTo(title);
    assertThat(labels.get("org.opencontainers.image.version").asText()).isEqualTo(Dist.VERSION);
    assertThat(labels.get("org.opencontainers.image.licenses").asText()).isEqualTo("Apache-2.0");
    assertThat(labels.get("org.opencontainers.image.revision").asText()).matches("[0-9a-f]{40}|");
    assertThat(labels.get("org.opencontainers.image.created").asText()).isEqualTo(Dist.TIME.toString());
    assertThat(labels.get("dev.kcert.image.debian-packages").asText()).startsWith("libc6=");
    assertThat(image.config().get("created").asText()).isEqualTo(Dist.TIME.toString());
    assertThat(image.config().get("rootfs").get("diff_ids")).hasSize(3);

    // base, runtime, application; no shell anywhere
    assertThat(image.layers()).hasSize(3);
    Map<String, Integer> base = image.layers().get(0);
    assertThat(base)
        .containsKeys(
            "/lib64/ld-linux-x86-64.so.2",
            "/lib/x86_64-linux-gnu/libc.so.6",
            "/lib/x86_64-linux-gnu/libm.so.6",
            "/usr/share/doc/libc6/copyright",
            "/etc/passwd");
    assertThat(image.layers().get(1)).containsEntry("/opt/kcert/runtime/bin/java", 0755);
    assertThat(image.layers().get(2)).containsKey(jar);
    for (Map<String, Integer> layer : image.layers()) {
      assertThat(layer.keySet()).noneMatch(p -> p.matches("/(usr/)?s?bin/(sh|bash|dash|busybox)"));
    }
    if (title.equals("kcert-csr-approver")) {
      assertThat(c.get("ExposedPorts").has("8080/tcp")).isTrue();
    } else if (title.equals("kcert-agent")) {
      assertThat(c.get("ExposedPorts").has("9794/tcp")).isTrue();
      assertThat(c.get("Cmd") == null || c.get("Cmd").isEmpty()).isTrue();
    } else {
      assertThat(image.layers().get(2)).containsKey("/opt/kcert/lib/kcert.aot");
    }
  }

  /**
   * The application layer holds this build's files, byte for byte: a layer cache that knows files
   * by path and time only (every file here has the build's fixed time) once put an earlier
   * build's kcert.jar, and the AOT cache trained with it, into the image.
   */
  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({
    "kcert-image.tar, opt/kcert/lib/kcert.jar, kcert-VERSION/lib/kcert.jar",
    "kcert-image.tar, opt/kcert/lib/kcert.aot, kcert-VERSION/lib/kcert.aot",
    "kcert-image.tar, opt/kcert/LICENSE, kcert-VERSION/LICENSE",
    "kcert-csr-approver-image.tar, opt/kcert/lib/cert-csr-approver.jar, "
        + "../../../cert-csr-approver/target/cert-csr-approver-VERSION-all.jar",
    "kcert-agent-image.tar, opt/kcert/lib/cert-agent.jar, ../../../cert-agent/target/cert-agent-VERSION-all.jar"
  })
  void applicationFilesAreThisBuilds(String file, String inImage, String built) throws IOException {
    Image image = load(Dist.DIR.resolve(file));
    String application = image.manifest().get("Layers").get(2).asText();
    byte[] found = null;
    try (TarArchiveInputStream in =
        new TarArchiveInputStream(
            new GzipCompressorInputStream(new ByteArrayInputStream(image.blobs().get(application))))) {
      TarArchiveEntry e;
      while ((e = in.getNextEntry()) != null) {
        if (e.getName().replaceFirst("^\\./", "").replaceFirst("^/", "").equals(inImage)) {
          found = in.readAllBytes();
        }
      }
    }
    assertThat(found).as(inImage + " in " + file).isNotNull();
    Path source = Dist.DIR.resolve(built.replace("VERSION", Dist.VERSION)).normalize();
    assertThat(sha256(found))
        .as(inImage + " in " + file + " against " + source)
        .isEqualTo(sha256(Files.readAllBytes(source)));
  }

  static String sha256(byte[] data) {
    try {
      return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(data));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"kcert-image.tar, version -o short", "kcert-csr-approver-image.tar, --help",
      "kcert-agent-image.tar, --help"})
  void entrypointRunsInTheImagesOwnFileSystem(String file, String args) throws Exception {
    assumeTrue(
        "root".equals(System.getProperty("user.name")) && Files.isExecutable(Path.of("/usr/sbin/chroot"))
            && Files.isExecutable(Path.of("/usr/bin/unshare")),
        "needs root, unshare and chroot to run the image's files without a container engine");
    Image image = load(Dist.DIR.resolve(file));
    Path rootfs = Files.createDirectories(tmp.resolve("rootfs"));
    for (JsonNode l : image.manifest().get("Layers")) {
      Path layer = tmp.resolve("layer.tar.gz");
      try (InputStream in = new ByteArrayInputStream(image.blobs().get(l.asText()))) {
        Files.copy(in, layer, StandardCopyOption.REPLACE_EXISTING);
      }
      Dist.Result x = Dist.run(List.of("tar", "-xzf", layer.toString(), "-C", rootfs.toString()), Map.of(), false, Duration.ofMinutes(2));
      assertThat(x.code()).as(x.err()).isZero();
    }
    // as a container engine does: a private mount namespace with /proc (the dynamic loader finds
    // the runtime's libraries relative to /proc/self/exe), then the image's root and user
    List<String> cmd = new ArrayList<>(List.of("unshare", "--mount", "--propagation", "private", "--fork",
        "sh", "-c", "mkdir -p \"$1/proc\" && mount -t proc proc \"$1/proc\" && shift && exec \"$@\"",
        "sh", rootfs.toString(), "/usr/sbin/chroot", "--userspec=65532:65532", rootfs.toString()));
    image.config().get("config").get("Entrypoint").forEach(n -> cmd.add(n.asText()));
    cmd.addAll(List.of(args.split(" ")));
    Dist.Result r = Dist.run(cmd, Map.of("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"), true, Duration.ofMinutes(2));
    assertThat(r.code()).as(r.err()).isZero();
    if (file.startsWith("kcert-image")) {
      assertThat(r.out()).isEqualTo("v" + Dist.VERSION + "\n");
    } else {
      assertThat(r.out() + r.err()).contains("--http-port");
    }
  }

  /** The agent's chart and the deploy folder's DaemonSet name the image this build makes. */
  @Test
  void theAgentsChartAndDaemonSetNameThisImage() throws IOException {
    Image image = load(Dist.DIR.resolve("kcert-agent-image.tar"));
    String tag = image.manifest().get("RepoTags").get(0).asText();
    String repository = tag.substring(0, tag.lastIndexOf(':'));
    Path top = Path.of("..");
    String values = Files.readString(top.resolve("charts/kcert-agent/values.yaml"));
    assertThat(values).containsPattern("(?m)^image:\\n  repository: " + Pattern.quote(repository) + "$");
    String chart = Files.readString(top.resolve("charts/kcert-agent/Chart.yaml"));
    String appVersion = chart.replaceAll("(?s).*\\nappVersion: \"([^\"]+)\".*", "$1");
    String daemonSet = Files.readString(top.resolve("examples/deploy/agent/daemonset.yaml"));
    assertThat(daemonSet).contains("image: " + repository + ":" + appVersion + "\n");
    // the release's version without -SNAPSHOT is what the chart and the DaemonSet pull
    assertThat(Dist.VERSION.replaceFirst("-SNAPSHOT$", "")).isEqualTo(appVersion);
  }
}
