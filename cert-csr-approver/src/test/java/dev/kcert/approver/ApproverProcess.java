package dev.kcert.approver;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.concurrent.TimeUnit;

/** The packaged approver jar, run as its own process against a kubeconfig, with its HTTP port. */
final class ApproverProcess implements AutoCloseable {
  /** The image's JVM settings, so several replicas fit on a small machine. */
  static final List<String> JVM = List.of("-XX:+UseSerialGC", "-Xmx128m", "-XX:TieredStopAtLevel=1");

  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  final String name;
  final Path log;
  private final Process process;
  private final int httpPort;

  private ApproverProcess(String name, Path log, Process process, int httpPort) {
    this.name = name;
    this.log = log;
    this.process = process;
    this.httpPort = httpPort;
  }

  /** The shaded jar {@code mvn package} made: integration tests run after it. */
  static Path jar() throws IOException {
    String given = System.getProperty("kcert.approver.jar");
    if (given != null) {
      return Path.of(given).toAbsolutePath();
    }
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(Path.of("target"), "cert-csr-approver-*-all.jar")) {
      for (Path p : ds) {
        return p.toAbsolutePath();
      }
    }
    throw new IllegalStateException("no target/cert-csr-approver-*-all.jar: run mvn verify, which packages first");
  }

  static ApproverProcess start(String name, Path dir, String apiUrl, String... options) throws IOException {
    Path kubeconfig = dir.resolve(name + ".kubeconfig");
    Demo.writeKubeconfig(kubeconfig, apiUrl);
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(JVM);
    cmd.addAll(List.of("-jar", jar().toString(), "--kubeconfig", kubeconfig.toString(),
        "--http-address", "127.0.0.1", "--http-port", Integer.toString(port)));
    cmd.addAll(List.of(options));
    Path log = dir.resolve(name + ".log");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().remove("KUBECONFIG");
    pb.environment().put("POD_NAME", name);
    return new ApproverProcess(name, log, pb.start(), port);
  }

  boolean alive() {
    return process.isAlive();
  }

  /** HTTP status of a path on the approver's port, or -1 when it does not answer. */
  int status(String path) {
    try {
      return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
          .timeout(Duration.ofSeconds(3)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  /** The value of one sample of /metrics (name with labels as written), empty when absent. */
  OptionalDouble metric(String sample) {
    String body;
    try {
      body = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/metrics"))
          .timeout(Duration.ofSeconds(3)).build(), HttpResponse.BodyHandlers.ofString()).body();
    } catch (IOException e) {
      return OptionalDouble.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return OptionalDouble.empty();
    }
    for (String line : body.split("\n")) {
      if (line.startsWith(sample + " ")) {
        return OptionalDouble.of(Double.parseDouble(line.substring(sample.length() + 1).trim()));
      }
    }
    return OptionalDouble.empty();
  }

  /** Whether this replica says it leads (client-go's gauge). */
  boolean leads() {
    return metric("leader_election_master_status{name=\"kcert-csr-approver\"}").orElse(0) == 1.0;
  }

  String logText() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  /** SIGKILL: no shutdown hook, no Lease release. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }
}
