package dev.kcert.dist;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import dev.kcert.core.pem.Certificates;
import dev.kcert.core.pem.PrivateKeys;
import dev.kcert.core.pki.PkiLayout;
import dev.kcert.core.testing.TestPki;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tarball as a cluster admin gets it: unpacked on a machine with no Java at all. */
class TarballIT {
  static final Duration LIMIT = Duration.ofMinutes(2);
  static final String ROOT = "kcert-" + Dist.VERSION + "/";

  @TempDir static Path tmp;
  static Path home;
  static Path tools;

  @BeforeAll
  static void unpack() throws Exception {
    Path into = Files.createDirectories(tmp.resolve("opt"));
    Dist.Result r =
        Dist.run(
            List.of("tar", "-xzf", Dist.tarball().toString(), "-C", into.toString()),
            Map.of(),
            false,
            LIMIT);
    assertThat(r.code()).as(r.err()).isZero();
    home = into.resolve(ROOT);
    // a PATH with the few tools the launcher uses, and no java
    tools = Files.createDirectories(tmp.resolve("path"));
    for (String tool : List.of("sh", "readlink", "dirname")) {
      Path real = Path.of("/usr/bin", tool);
      if (!Files.exists(real)) {
        real = Path.of("/bin", tool);
      }
      Files.createSymbolicLink(tools.resolve(tool), real);
    }
  }

  private Dist.Result kcert(Map<String, String> extraEnv, String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(home.resolve("bin/kcert").toString());
    cmd.addAll(List.of(args));
    Map<String, String> env = new java.util.HashMap<>(extraEnv);
    env.put("PATH", tools.toString());
    env.put("HOME", tmp.toString());
    return Dist.run(cmd, env, true, LIMIT);
  }

  @Test
  void checkExpirationRunsWithNoJavaOnThePath() throws Exception {
    Dist.Result which = Dist.run(List.of("sh", "-c", "command -v java || echo none"),
        Map.of("PATH", tools.toString()), true, LIMIT);
    assertThat(which.out().trim()).isEqualTo("none");
    PkiLayout layout =
        TestPki.in(tmp.resolve("etc"))
            .clock(Clock.systemUTC())
            .window("apiserver", Instant.now().minus(Duration.ofDays(300)), Instant.now().plus(Duration.ofDays(10)))
            .create();
    Dist.Result r =
        kcert(Map.of(), "certs", "check-expiration", "--cert-dir", layout.certDir().toString(),
            "--kubeconfig-dir", layout.kubeconfigDir().toString(), "--warn-within", "30d");
    assertThat(r.err()).contains("apiserver");
    assertThat(r.code()).isEqualTo(4);
    assertThat(r.out()).startsWith("CERTIFICATE").contains("apiserver").contains("front-proxy-ca");
    Dist.Result json =
        kcert(Map.of(), "certs", "check-expiration", "--cert-dir", layout.certDir().toString(),
            "--kubeconfig-dir", layout.kubeconfigDir().toString(), "-o", "json");
    assertThat(json.code()).as(json.err()).isZero();
    assertThat(json.out()).contains("\"kind\": \"CertificateExpirationInfo\"");
  }

  /**
   * kcert.jar keeps only the library classes kcert's code reaches (minimizeJar, Bouncy Castle's
   * post-quantum packages filtered out): every command that makes, signs, parses or installs keys,
   * certificates and requests runs here from the tarball, so a class left out fails this test.
   * openssl is the external CA and the independent judge.
   */
  @Test
  void everyCommandThatBuildsOrParsesCertificatesRunsFromTheMinimizedJar() throws Exception {
    Path root = tmp.resolve("commands");
    String[] dirs = {"--cert-dir", root.resolve("pki").toString(), "--kubeconfig-dir", root.toString()};
    ok(kcert(Map.of(), args(new String[] {"certs", "init", "--node-name", "cp-1",
        "--advertise-address", "10.0.0.10", "--key-algorithm", "ECDSA-P256"}, dirs)));
    ok(kcert(Map.of(), args(new String[] {"certs", "check-expiration", "--check-keys"}, dirs)));
    // RSA keys for every renewed certificate, ECDSA CAs
    ok(kcert(Map.of(), args(new String[] {"certs", "renew", "all", "--key-algorithm", "RSA-2048"}, dirs)));
    Dist.Result text = judge("openssl", "x509", "-noout", "-text", "-in", root.resolve("pki/apiserver.crt").toString());
    assertThat(text.out()).contains("Public-Key: (2048 bit)");
    judge("openssl", "verify", "-CAfile", root.resolve("pki/ca.crt").toString(), root.resolve("pki/apiserver.crt").toString());

    // an external CA: requests out, openssl signs them, import takes them back
    Path csrDir = root.resolve("csr");
    ok(kcert(Map.of(), args(new String[] {"certs", "renew", "all", "--csr-only", "--csr-dir", csrDir.toString()}, dirs)));
    judge("openssl", "req", "-verify", "-noout", "-in", csrDir.resolve("apiserver.csr").toString());
    judge("sh", Path.of("../examples/external-ca/sign-with-openssl").toAbsolutePath().normalize().toString(),
        csrDir.toString(), root.resolve("pki").toString());
    ok(kcert(Map.of(), args(new String[] {"certs", "import", "--csr-dir", csrDir.toString()}, dirs)));
    Dist.Result check = kcert(Map.of(), args(new String[] {"certs", "check-expiration", "--check-keys", "-o", "yaml"}, dirs));
    ok(check);
    assertThat(check.out()).contains("kind: CertificateExpirationInfo");

    // a new node's keys and requests, for an external CA
    Path node = tmp.resolve("new-node");
    for (String f : List.of("ca.crt", "front-proxy-ca.crt", "etcd/ca.crt")) {
      Files.createDirectories(node.resolve("pki").resolve(f).getParent());
      Files.copy(root.resolve("pki").resolve(f), node.resolve("pki").resolve(f));
    }
    ok(kcert(Map.of(), "certs", "generate-csr", "--node-name", "cp-2", "--advertise-address", "10.0.0.11",
        "--cert-dir", node.resolve("pki").toString(), "--kubeconfig-dir", node.toString()));
    judge("openssl", "req", "-verify", "-noout", "-in", node.resolve("pki/apiserver.csr").toString());
    judge("openssl", "req", "-verify", "-noout", "-in", node.resolve("admin.conf.csr").toString());
  }

  private static String[] args(String[] first, String... more) {
    String[] all = java.util.Arrays.copyOf(first, first.length + more.length);
    System.arraycopy(more, 0, all, first.length, more.length);
    return all;
  }

  private static void ok(Dist.Result r) {
    assertThat(r.code()).as(r.out() + r.err()).isZero();
  }

  /** Runs openssl (or a script calling it) with this machine's PATH; it must succeed. */
  private static Dist.Result judge(String... command) throws Exception {
    Dist.Result r = Dist.run(List.of(command), Map.of(), false, LIMIT);
    assertThat(r.code()).as(String.join(" ", command) + ": " + r.out() + r.err()).isZero();
    return r;
  }

  @Test
  void theRuntimeCarriesNoDefaultClassDataArchive() throws Exception {
    // the AOT cache holds the JDK classes kcert loads; a default CDS archive would be dead weight
    try (var files = Files.list(home.resolve("runtime/lib/server"))) {
      assertThat(files.map(f -> f.getFileName().toString()))
          .contains("libjvm.so")
          .noneMatch(n -> n.endsWith(".jsa"));
    }
  }

  @Test
  void theStartUpCacheIsUsedWhereverTheTarballIsUnpacked() throws Exception {
    // AOTMode=on makes the JVM stop when it cannot use the cache (another runtime, a changed jar)
    Dist.Result r = kcert(Map.of("KCERT_OPTS", "-XX:AOTMode=on"), "version", "-o", "short");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo("v" + Dist.VERSION + "\n");
    Dist.Result help = kcert(Map.of("KCERT_OPTS", "-XX:AOTMode=on"), "--help");
    assertThat(help.code()).as(help.err()).isZero();
    assertThat(help.out()).contains("certs", "version", "completion");
  }

  @Test
  void entriesAreSortedWithFixedTimesAndOwners() throws Exception {
    List<String> names = new ArrayList<>();
    Map<String, Integer> modes = new java.util.HashMap<>();
    try (InputStream in = new BufferedInputStream(Files.newInputStream(Dist.tarball()));
        TarArchiveInputStream tar = new TarArchiveInputStream(new GzipCompressorInputStream(in))) {
      TarArchiveEntry e;
      while ((e = tar.getNextEntry()) != null) {
        names.add(e.getName());
        modes.put(e.getName(), e.getMode() & 07777);
        assertThat(e.getModTime().toInstant()).as(e.getName()).isEqualTo(Dist.TIME);
        assertThat(e.getLongUserId()).as(e.getName()).isZero();
        assertThat(e.getLongGroupId()).as(e.getName()).isZero();
        if (!e.isSymbolicLink()) { // the runtime's legal/ notices link to java.base's
          assertThat(e.getMode() & 0022).as(e.getName() + " is not group/world-writable").isZero();
        }
      }
    }
    // GNU tar's --sort=name: by path, one component at a time
    assertThat(names).isSortedAccordingTo(TarballIT::byComponents);
    assertThat(names)
        .allMatch(n -> n.startsWith(ROOT))
        .contains(
            ROOT + "bin/kcert",
            ROOT + "lib/kcert.jar",
            ROOT + "lib/kcert.aot",
            ROOT + "runtime/bin/java",
            ROOT + "LICENSE",
            ROOT + "NOTICE",
            ROOT + "share/man/man1/kcert.1.gz",
            ROOT + "share/man/man1/kcert-certs-check-expiration.1.gz",
            ROOT + "share/man/man1/kcert-certs-renew.1.gz",
            ROOT + "share/man/man1/kcert-version.1.gz",
            ROOT + "share/bash-completion/completions/kcert",
            ROOT + "share/zsh/site-functions/_kcert",
            ROOT + "share/fish/vendor_completions.d/kcert.fish");
    assertThat(modes.get(ROOT + "bin/kcert")).isEqualTo(0755);
    assertThat(modes.get(ROOT + "runtime/bin/java")).isEqualTo(0755);
    assertThat(modes.get(ROOT + "lib/kcert.jar")).isEqualTo(0644);
    // only what kcert uses: no desktop, SQL, naming or compiler modules
    String release = Files.readString(home.resolve("runtime/release"));
    assertThat(release).contains("MODULES=\"java.base java.logging java.net.http\"");
    // files of the runtime no kcert command reads (make-dist.sh says why each)
    assertThat(names)
        .doesNotContain(
            ROOT + "runtime/lib/classlist",
            ROOT + "runtime/lib/jrt-fs.jar",
            ROOT + "runtime/bin/keytool",
            ROOT + "runtime/lib/jexec",
            ROOT + "runtime/lib/libsimdsort.so",
            ROOT + "runtime/lib/security/cacerts")
        .noneMatch(n -> n.startsWith(ROOT + "share/man/") && n.endsWith(".1"));
  }

  @Test
  void theRuntimesNativeFilesCarryNoSymbolTable() throws Exception {
    Dist.Result which = Dist.run(List.of("sh", "-c", "command -v readelf"), Map.of(), false, LIMIT);
    org.junit.jupiter.api.Assumptions.assumeTrue(
        which.code() == 0, "readelf (binutils, installed by .ci/run) is missing: symbol tables not checked");
    List<Path> natives = new ArrayList<>();
    try (var files = Files.walk(home.resolve("runtime"))) {
      files.filter(Files::isRegularFile)
          .filter(p -> p.toString().endsWith(".so") || p.getParent().endsWith("bin"))
          .forEach(natives::add);
    }
    assertThat(natives).contains(home.resolve("runtime/lib/server/libjvm.so"), home.resolve("runtime/bin/java"));
    for (Path f : natives) {
      Dist.Result r = Dist.run(List.of("readelf", "-S", "-W", f.toString()), Map.of(), false, LIMIT);
      assertThat(r.code()).as(r.err()).isZero();
      assertThat(r.out()).as(f.toString()).contains(".dynsym").doesNotContain(".symtab");
    }
  }

  /**
   * The commands that talk to the API server go through cert-core's ApiClient (the JDK's
   * java.net.http client): with nothing listening they warn in one line and carry on.
   */
  @Test
  void caPlanWarnsInOneLineWhenTheApiServerDoesNotAnswer() throws Exception {
    Path node = controlPlane("closed");
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    Path kubeconfig = kubeconfigFor(node, port);
    Dist.Result r = kcert(Map.of(), caPlan(node, kubeconfig));
    assertThat(r.code()).as(r.out() + r.err()).isZero();
    assertThat(r.err())
        .isEqualTo("warning: the API server at https://127.0.0.1:" + port
            + " is unreachable (connection refused); the cluster places are not listed\n");
    assertThat(r.out()).startsWith("KIND").contains("ca-file");
  }

  /**
   * The same command against a small HTTPS server in this test that asks for a client
   * certificate: kcert's request arrives over TLS with admin.conf's credentials, and the server's
   * refusal comes back as one line.
   */
  @Test
  void caPlanReachesAnApiServerOverMutualTls() throws Exception {
    Path node = controlPlane("tls");
    Path pki = node.resolve("pki");
    char[] pw = "test".toCharArray();
    KeyStore keys = KeyStore.getInstance("PKCS12");
    keys.load(null, null);
    keys.setKeyEntry("apiserver", PrivateKeys.read(pki.resolve("apiserver.key")), pw,
        Certificates.readBundle(pki.resolve("apiserver.crt")).toArray(new X509Certificate[0]));
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("ca", Certificates.readBundle(pki.resolve("ca.crt")).get(0));
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(keys, pw);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);

    List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    HttpsServer server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setHttpsConfigurator(new HttpsConfigurator(tls) {
      @Override
      public void configure(HttpsParameters params) {
        SSLParameters p = tls.getDefaultSSLParameters();
        p.setNeedClientAuth(true);
        params.setSSLParameters(p);
      }
    });
    server.createContext("/", exchange -> {
      String client;
      try {
        client = ((X509Certificate) ((HttpsExchange) exchange).getSSLSession().getPeerCertificates()[0])
            .getSubjectX500Principal().getName();
      } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
        client = "none";
      }
      seen.add(exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath() + " " + client);
      byte[] body = ("{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\","
          + "\"message\":\"forbidden by the test\",\"reason\":\"Forbidden\",\"code\":403}")
          .getBytes(java.nio.charset.StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      exchange.sendResponseHeaders(403, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    server.start();
    try {
      int port = server.getAddress().getPort();
      Dist.Result r = kcert(Map.of(), caPlan(node, kubeconfigFor(node, port)));
      assertThat(seen).containsExactly(
          "GET /api/v1/namespaces/kube-public/configmaps/cluster-info CN=kubernetes-admin,O=kubeadm:cluster-admins");
      assertThat(r.code()).isEqualTo(1);
      assertThat(r.err()).isEqualTo("error: GET /api/v1/namespaces/kube-public/configmaps/cluster-info at"
          + " https://127.0.0.1:" + port + ": the API server answered HTTP 403 (forbidden by the test)\n");
    } finally {
      server.stop(0);
    }
  }

  /** A control plane's PKI and kubeconfigs whose API server certificate names 127.0.0.1. */
  private Path controlPlane(String name) throws Exception {
    Path node = tmp.resolve("ca-" + name);
    ok(kcert(Map.of(), "certs", "init", "--cert-dir", node.resolve("pki").toString(), "--kubeconfig-dir",
        node.toString(), "--node-name", "cp-1", "--advertise-address", "127.0.0.1", "--key-algorithm", "ECDSA-P256"));
    Files.createDirectories(node.resolve("manifests"));
    return node;
  }

  private static Path kubeconfigFor(Path node, int port) throws IOException {
    String admin = Files.readString(node.resolve("admin.conf"));
    assertThat(admin).contains("server: https://127.0.0.1:6443");
    Path kubeconfig = node.resolve("test.conf");
    // it holds admin.conf's private key: written 0600, as kubeadm writes kubeconfigs
    Files.createFile(kubeconfig, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
        java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
    Files.writeString(kubeconfig, admin.replace("server: https://127.0.0.1:6443", "server: https://127.0.0.1:" + port));
    return kubeconfig;
  }

  private static String[] caPlan(Path node, Path kubeconfig) {
    return new String[] {"ca", "plan", "--cert-dir", node.resolve("pki").toString(), "--kubeconfig-dir",
        node.toString(), "--manifest-dir", node.resolve("manifests").toString(), "--kubelet-config",
        node.resolve("kubelet.yaml").toString(), "--kubeconfig", kubeconfig.toString(), "--api-timeout", "20s"};
  }

  /**
   * The tarball's jar keeps one copy of each class: the one its JDK 25 reads from the
   * multi-release jar (Bouncy Castle ships many twice).
   */
  @Test
  void theJarKeepsOnlyTheCopyOfEachClassTheRuntimeReads() throws Exception {
    List<String> entries = new ArrayList<>();
    try (java.util.zip.ZipFile jar = new java.util.zip.ZipFile(home.resolve("lib/kcert.jar").toFile())) {
      jar.stream().map(java.util.zip.ZipEntry::getName).filter(n -> n.endsWith(".class")).forEach(entries::add);
    }
    assertThat(entries)
        .contains("META-INF/versions/9/org/bouncycastle/util/Arrays.class", "dev/kcert/cli/Kcert.class")
        .doesNotContain("org/bouncycastle/util/Arrays.class");
    Map<String, Integer> copies = new java.util.HashMap<>();
    for (String e : entries) {
      copies.merge(e.replaceFirst("^META-INF/versions/[0-9]+/", ""), 1, Integer::sum);
    }
    assertThat(copies).allSatisfy((name, n) -> assertThat(n).as(name).isEqualTo(1));
  }

  static int byComponents(String a, String b) {
    String[] x = a.split("/");
    String[] y = b.split("/");
    for (int i = 0; i < Math.min(x.length, y.length); i++) {
      int c = x[i].compareTo(y[i]);
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(x.length, y.length);
  }

  @Test
  void manPagesAreTroffMadeFromTheCommandModel() throws IOException {
    String page;
    try (InputStream in = new java.util.zip.GZIPInputStream(
        Files.newInputStream(home.resolve("share/man/man1/kcert-certs-check-expiration.1.gz")))) {
      page = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
    assertThat(page).contains(".TH \"KCERT\\-CERTS\\-CHECK\\-EXPIRATION\"");
    assertThat(page).contains("\\-\\-warn\\-within").contains("\\-\\-kubeconfig\\-dir");
    assertThat(page).contains("EXAMPLES AND EXIT CODES").contains("kcert certs check\\-expiration");
    String fish = Files.readString(home.resolve("share/fish/vendor_completions.d/kcert.fish"));
    assertThat(fish).contains("-l cert-dir");
  }
}
