package dev.kcert.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Locale;
import java.util.Properties;

/**
 * What the build recorded about itself: version, git commit, tree state and build date. The build
 * date is the commit's time, so two builds of one commit carry the same one. A build without git
 * metadata (a source tarball) leaves the placeholders unresolved; they read as empty.
 *
 * @param version the project version, e.g. {@code 0.1.0}
 * @param gitCommit the full commit id, or empty
 * @param gitTreeState {@code clean} or {@code dirty}, or empty
 * @param buildDate the commit time, RFC 3339 in UTC, or empty
 */
record BuildInfo(String version, String gitCommit, String gitTreeState, String buildDate) {
  static final String RESOURCE = "build.properties";

  static BuildInfo load() {
    Properties p = new Properties();
    try (InputStream in = BuildInfo.class.getResourceAsStream(RESOURCE)) {
      if (in != null) {
        p.load(in);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new BuildInfo(
        value(p, "version"),
        value(p, "gitCommit"),
        switch (value(p, "gitDirty")) {
          case "true" -> "dirty";
          case "false" -> "clean";
          default -> "";
        },
        value(p, "buildDate"));
  }

  private static String value(Properties p, String key) {
    String v = p.getProperty(key, "");
    return v.startsWith("${") ? "" : v.trim();
  }

  /** {@code v} and the version, as kubeadm's {@code gitVersion}; {@code v0.0.0} when unknown. */
  String gitVersion() {
    return "v" + (version.isEmpty() ? "0.0.0" : version);
  }

  String major() {
    return part(0);
  }

  String minor() {
    return part(1);
  }

  private String part(int i) {
    String[] p = gitVersion().substring(1).split("[.-]");
    return p.length > i ? p[i] : "";
  }

  /** The platform in Go's words, as kubeadm prints it: {@code linux/amd64}, {@code linux/arm64}. */
  static String platform() {
    String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT).replace(" ", "");
    String arch = System.getProperty("os.arch", "");
    arch =
        switch (arch) {
          case "x86_64", "amd64" -> "amd64";
          case "aarch64", "arm64" -> "arm64";
          default -> arch;
        };
    return os + "/" + arch;
  }
}
