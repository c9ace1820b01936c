package dev.kcert.dist;

import com.google.cloud.tools.jib.api.Containerizer;
import com.google.cloud.tools.jib.api.Jib;
import com.google.cloud.tools.jib.api.JibContainerBuilder;
import com.google.cloud.tools.jib.api.TarImage;
import com.google.cloud.tools.jib.api.buildplan.AbsoluteUnixPath;
import com.google.cloud.tools.jib.api.buildplan.FileEntriesLayer;
import com.google.cloud.tools.jib.api.buildplan.FilePermissions;
import com.google.cloud.tools.jib.api.buildplan.Port;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * The container images, built by Jib into image tarballs ({@code docker load}, {@code podman load},
 * {@code ctr images import}) with no daemon and no registry. Nothing is pulled: the base is {@code
 * scratch} plus one layer with the C library the Java runtime links against (ld.so, libc, libm,
 * libdl, libpthread, librt; all from Debian's {@code libc6} package, taken from the build machine,
 * its copyright file beside them and its version in a label) and a passwd entry for the non-root
 * user. On top: the jlinked runtime, then the application. No shell, no package manager.
 *
 * <p>Every file carries the build's fixed time, so one commit gives the same image digests. The
 * kcert image keeps its AOT cache, which requires the jar's time to be the one it was trained with.
 */
public final class Images {
  static final String USER = "65532:65532";
  static final String HOME = "/opt/kcert";
  /** The C library files the runtime's binaries and libraries load, as {@code ldd} lists them. */
  static final List<String> LIBC =
      List.of("libc.so.6", "libm.so.6", "libdl.so.2", "libpthread.so.0", "librt.so.1");

  static final String LOADER = "ld-linux-x86-64.so.2";
  static final String MULTIARCH = "/lib/x86_64-linux-gnu";

  private Images() {}

  /**
   * Arguments: the dist folder (with kcert-VERSION/, approver-runtime/ and agent-runtime/ in it),
   * the version, the fixed time (ISO-8601), the image repository prefix, the approver's jar, the
   * agent's jar.
   */
  public static void main(String[] args) throws Exception {
    if (args.length != 6) {
      System.err.println("usage: Images DIST_DIR VERSION TIMESTAMP REPOSITORY APPROVER_JAR AGENT_JAR");
      System.exit(2);
    }
    Path dist = Path.of(args[0]);
    String version = args[1];
    Instant time = Instant.parse(args[2]);
    String repo = args[3];
    Path approverJar = Path.of(args[4]);
    Path agentJar = Path.of(args[5]);
    if (!"amd64".equals(arch())) {
      throw new IllegalStateException(
          "images are built for linux/amd64 only; this machine is " + System.getProperty("os.arch"));
    }
    Path stage = dist.resolve("kcert-" + version);
    String commit = buildProperty(stage.resolve("lib/kcert.jar"), "gitCommit");
    Path work = Files.createDirectories(dist.resolve("image-work"));
    FileEntriesLayer base = baseLayer(work, time);
    String libc = "libc6=" + dpkgVersion("libc6");

    // Jib's layer cache knows a file by its path, permissions and time, never its content, and
    // every file here has the build's fixed time: a cache that outlives the build (Jib's default
    // is one folder under the system's temporary folder, shared by every build on the machine)
    // would put an earlier build's jar into this image. Each build starts with an empty one.
    Path cache = work.resolve("layers-cache");
    deleteTree(cache);
    Context context =
        new Context(
            stage, base, labels(version, commit, time, libc), time, dist, repo, version, cache);
    build(
        new Spec(
            "kcert",
            "kubeadm certificate lifecycle: check-expiration, renew, import, generate-csr, init",
            stage.resolve("runtime"),
            stage.resolve("lib/kcert.jar"),
            "kcert.jar",
            Map.of(stage.resolve("lib/kcert.aot"), HOME + "/lib/kcert.aot"),
            List.of(
                "-XX:+UseSerialGC",
                "-XX:-UsePerfData",
                "-Xss512k",
                "-XX:TieredStopAtLevel=1",
                "-XX:AOTCache=" + HOME + "/lib/kcert.aot",
                "-Xlog:disable",
                "-Xlog:all=off"),
            List.of("certs", "check-expiration"),
            null),
        context);

    build(
        new Spec(
            "kcert-csr-approver",
            "Approves kubelet serving CertificateSigningRequests that pass every check",
            dist.resolve("approver-runtime"),
            approverJar,
            "cert-csr-approver.jar",
            Map.of(),
            List.of(
                "-XX:+UseSerialGC",
                "-XX:MaxRAMPercentage=50",
                "-Xss256k",
                "-XX:-UsePerfData",
                "-XX:TieredStopAtLevel=1",
                "-XX:ReservedCodeCacheSize=32m",
                "-XX:MaxDirectMemorySize=16m"),
            List.of(),
            8080),
        context);

    // The node agent. The image's user is the unprivileged one, as the others'; the agent's Helm
    // chart and DaemonSet run it as root with only the capabilities that replacing root's 0600
    // files needs. The JVM's sizes come from JAVA_TOOL_OPTIONS there, measured by bench/run.
    build(
        new Spec(
            "kcert-agent",
            "Certificate metrics on each kubeadm control-plane node, and renewal one node at a time",
            dist.resolve("agent-runtime"),
            agentJar,
            "cert-agent.jar",
            Map.of(),
            List.of("-XX:+UseSerialGC", "-XX:-UsePerfData", "-XX:TieredStopAtLevel=1"),
            List.of(),
            9794),
        context);
  }

  /**
   * One image: its title and description (labels), the runtime folder, the jar it runs (in {@code
   * lib/} under the name given) with the JVM's flags and default arguments, other files of the
   * application (LICENSE and NOTICE are added), and the port it serves, if any.
   */
  record Spec(
      String title,
      String description,
      Path runtime,
      Path jar,
      String jarName,
      Map<Path, String> files,
      List<String> jvmFlags,
      List<String> arguments,
      Integer port) {}

  /** What every image shares: the staged tarball folder, the base layer, labels and where to write. */
  private record Context(
      Path stage,
      FileEntriesLayer base,
      Map<String, String> labels,
      Instant time,
      Path dist,
      String repo,
      String version,
      Path cache) {}

  private static void build(Spec spec, Context c) throws Exception {
    Path stage = c.stage();
    Instant time = c.time();
    Map<String, String> labels = new LinkedHashMap<>(c.labels());
    labels.put("org.opencontainers.image.title", spec.title());
    labels.put("org.opencontainers.image.description", spec.description());
    String jar = HOME + "/lib/" + spec.jarName();
    Map<Path, String> application = new LinkedHashMap<>(spec.files());
    application.put(spec.jar(), jar);
    application.put(stage.resolve("LICENSE"), HOME + "/LICENSE");
    application.put(stage.resolve("NOTICE"), HOME + "/NOTICE");
    List<String> entrypoint = new ArrayList<>();
    entrypoint.add(HOME + "/runtime/bin/java");
    entrypoint.addAll(spec.jvmFlags());
    entrypoint.add("-jar");
    entrypoint.add(jar);
    JibContainerBuilder b =
        Jib.fromScratch()
            .addFileEntriesLayer(c.base())
            .addFileEntriesLayer(tree("runtime", spec.runtime(), HOME + "/runtime", time))
            .addFileEntriesLayer(files("application", time, application))
            .setEntrypoint(entrypoint)
            .setProgramArguments(spec.arguments())
            .setUser(USER)
            .setWorkingDirectory(AbsoluteUnixPath.get("/"));
    if (spec.port() != null) {
      b.setExposedPorts(Set.of(Port.tcp(spec.port())));
    }
    b.setLabels(labels).setCreationTime(time);
    Path tar = c.dist().resolve(spec.title() + "-image.tar");
    String name = c.repo() + "/" + spec.title() + ":" + c.version();
    Files.deleteIfExists(tar);
    b.containerize(
        Containerizer.to(TarImage.at(tar).named(name))
            .setOfflineMode(true)
            .setApplicationLayersCache(c.cache().resolve("application"))
            .setBaseImageLayersCache(c.cache().resolve("base")));
    System.out.println("images: " + name + " -> " + tar);
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
        Files.delete(p);
      }
    }
  }

  private static Map<String, String> labels(
      String version, String commit, Instant time, String basePackages) {
    Map<String, String> l = new LinkedHashMap<>();
    l.put("org.opencontainers.image.version", version);
    l.put("org.opencontainers.image.revision", commit);
    l.put("org.opencontainers.image.created", time.toString());
    l.put("org.opencontainers.image.licenses", "Apache-2.0");
    l.put("org.opencontainers.image.base.name", "scratch");
    l.put("dev.kcert.image.debian-packages", basePackages);
    return l;
  }

  /** The C library, its copyright, and passwd/group entries for the non-root user. */
  static FileEntriesLayer baseLayer(Path work, Instant time) throws IOException {
    FileEntriesLayer.Builder b = FileEntriesLayer.builder().setName("base");
    FilePermissions exec = FilePermissions.fromOctalString("755");
    FilePermissions read = FilePermissions.fromOctalString("644");
    for (String lib : LIBC) {
      b.addEntry(host(MULTIARCH + "/" + lib), AbsoluteUnixPath.get(MULTIARCH + "/" + lib), exec, time);
    }
    Path loader = host(MULTIARCH + "/" + LOADER);
    b.addEntry(loader, AbsoluteUnixPath.get(MULTIARCH + "/" + LOADER), exec, time);
    b.addEntry(loader, AbsoluteUnixPath.get("/lib64/" + LOADER), exec, time);
    b.addEntry(
        host("/usr/share/doc/libc6/copyright"),
        AbsoluteUnixPath.get("/usr/share/doc/libc6/copyright"),
        read,
        time);
    Path passwd = work.resolve("passwd");
    Files.writeString(
        passwd,
        "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n",
        StandardCharsets.US_ASCII);
    Path group = work.resolve("group");
    Files.writeString(group, "root:x:0:\nnonroot:x:65532:\n", StandardCharsets.US_ASCII);
    b.addEntry(passwd, AbsoluteUnixPath.get("/etc/passwd"), read, time);
    b.addEntry(group, AbsoluteUnixPath.get("/etc/group"), read, time);
    return b.build();
  }

  private static Path host(String file) throws IOException {
    Path p = Path.of(file);
    if (!Files.isRegularFile(p)) {
      throw new IOException(
          file + " is missing: the image's base takes it from Debian's libc6 package on this machine");
    }
    return p.toRealPath();
  }

  /** A folder, with each file's permissions as they are on disk and the fixed time. */
  static FileEntriesLayer tree(String name, Path dir, String target, Instant time)
      throws IOException {
    FileEntriesLayer.Builder b = FileEntriesLayer.builder().setName(name);
    List<Path> files = new ArrayList<>();
    try (Stream<Path> s = Files.walk(dir)) {
      s.filter(Files::isRegularFile).sorted().forEach(files::add);
    }
    for (Path f : files) {
      FilePermissions perms =
          FilePermissions.fromPosixFilePermissions(Files.getPosixFilePermissions(f));
      String rel = dir.relativize(f).toString();
      b.addEntry(f, AbsoluteUnixPath.get(target + "/" + rel), perms, time);
    }
    return b.build();
  }

  static FileEntriesLayer files(String name, Instant time, Map<Path, String> entries) {
    FileEntriesLayer.Builder b = FileEntriesLayer.builder().setName(name);
    entries.entrySet().stream()
        .sorted(Map.Entry.comparingByValue())
        .forEach(
            e ->
                b.addEntry(
                    e.getKey(),
                    AbsoluteUnixPath.get(e.getValue()),
                    FilePermissions.fromOctalString("644"),
                    time));
    return b.build();
  }

  private static String buildProperty(Path jar, String key) throws IOException {
    try (JarFile j = new JarFile(jar.toFile());
        InputStream in = j.getInputStream(j.getEntry("dev/kcert/cli/build.properties"))) {
      Properties p = new Properties();
      p.load(in);
      String v = p.getProperty(key, "");
      return v.startsWith("${") ? "" : v;
    }
  }

  private static String dpkgVersion(String pkg) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("dpkg-query", "-W", "-f", "${Version}", pkg).start();
    String v = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    if (p.waitFor() != 0 || v.isEmpty()) {
      throw new IOException("dpkg-query found no " + pkg + ": the image's base needs Debian's " + pkg);
    }
    return v;
  }

  private static String arch() {
    String a = System.getProperty("os.arch");
    return a.equals("x86_64") || a.equals("amd64") ? "amd64" : a;
  }
}
