package dev.kcert.core.testing;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import dev.kcert.core.keys.KeyAlgorithm;
import dev.kcert.core.node.Component;
import dev.kcert.core.node.NodeEndpoints;
import dev.kcert.core.node.ServingEndpoint;
import dev.kcert.core.node.StaticPodManifest;
import dev.kcert.core.pem.Certificates;
import dev.kcert.core.pem.PrivateKeys;
import dev.kcert.core.pki.CertificateSigner;
import dev.kcert.core.pki.CertificateTemplate;
import dev.kcert.core.pki.PkiLayout;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Stands in for the kubelet of a {@link FakeNode}: watches the manifests folder (every 50 ms) and,
 * when a manifest is new or its content changed, stops the component's servers and starts a
 * loopback TLS server for each of its ports with the certificate and key files the manifest names
 * (the controller-manager and scheduler, configured with none, get a new self-signed certificate
 * at each start, as the real ones do). Each server answers {@code /livez}, {@code /healthz} and
 * {@code /health}; etcd's client port asks for a client certificate signed by its CA. A component
 * can be told to fail its next starts, which is how a component that does not come back looks.
 *
 * <p>A component starts with all its ports or none. When one cannot be served (a port another
 * process holds), the servers already started for it are stopped again, the failure is recorded in
 * {@link #events()} and {@link #journal()} and printed, and the start is tried again after a
 * back-off, as a kubelet restarts a container that exited; until it succeeds {@link #awaitServing}
 * does not return. Nothing stays bound after {@link #close()}.
 */
public final class FakeKubelet implements AutoCloseable {
  private final PkiLayout layout;
  private final Path kubeletConfig;
  private final Path manifests;
  private final Map<Path, String> seen = new ConcurrentHashMap<>();
  private final Map<Component, List<HttpsServer>> running = new EnumMap<>(Component.class);
  private final Map<Component, Integer> failNext = new ConcurrentHashMap<>();
  private final List<String> events = Collections.synchronizedList(new ArrayList<>());
  /** The events and what led to them, with the time of each, for failure messages. */
  private final List<String> journal = Collections.synchronizedList(new ArrayList<>());
  private final List<Listener> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();
  private volatile boolean stopped;
  /** How long a restarted component's ports stay closed. */
  private static final long RESTART_GAP_MS = 200;
  /**
   * The wait before trying again to start a component that could not start; it doubles at each
   * failure up to {@link #RETRY_MAX_MS}: a kubelet's back-off (10 s doubling to 5 min), scaled down
   * so that a port freed a moment later costs a test a fraction of a second.
   */
  private static final long RETRY_FIRST_MS = 100;

  private static final long RETRY_MAX_MS = 1600;
  private final Map<Component, Retry> retries = new EnumMap<>(Component.class);
  private final Set<Path> unreadable = new java.util.HashSet<>();
  private Thread watcher;

  FakeKubelet(PkiLayout layout, Path kubeletConfig) {
    this.layout = layout;
    this.kubeletConfig = kubeletConfig;
    this.manifests = NodeEndpoints.manifestsDir(layout.kubeconfigDir());
  }

  /**
   * Told of every (re)start of a static pod, as a real kubelet tells the API server through the
   * mirror pod: the hash of the manifest it started (its config hash) and whether the pod came up.
   * A start that failed for the machine's reasons and is tried again is told once, when it succeeds.
   */
  public interface Listener {
    void started(Component c, String configHash, boolean ready);
  }

  public void addListener(Listener l) {
    listeners.add(l);
  }

  /**
   * The next {@code n} starts of {@code c} fail: its ports stay closed, and are not tried again
   * until its manifest changes (a container that exits at once with this configuration).
   */
  public void failNextStarts(Component c, int n) {
    failNext.put(c, n);
  }

  /** What happened, in order: {@code start etcd}, {@code failed kube-apiserver}, ... */
  public List<String> events() {
    synchronized (events) {
      return List.copyOf(events);
    }
  }

  /** The components started, in order (the first start of each included). */
  public List<String> starts() {
    return events().stream().filter(e -> e.startsWith("start ")).map(e -> e.substring(6)).toList();
  }

  public void clearEvents() {
    events.clear();
  }

  /**
   * Everything this kubelet did, one line each with its time of day (UTC): starts, stops, failures
   * and why, the listeners' calls and how long they took. For failure messages: a test that fails
   * on a component that did not come back shows what the fake was doing meanwhile.
   */
  public String journal() {
    List<String> lines;
    synchronized (journal) {
      lines = List.copyOf(journal);
    }
    return "fake kubelet of " + manifests + (lines.isEmpty() ? " (nothing happened)" : ":\n  " + String.join("\n  ", lines));
  }

  private void record(String event) {
    events.add(event);
    note(event);
  }

  private void note(String line) {
    synchronized (journal) {
      if (journal.size() >= JOURNAL_LINES) {
        journal.remove(0);
      }
      journal.add(TIME.format(java.time.Instant.now()) + " " + line);
    }
  }

  private static final int JOURNAL_LINES = 400;
  private static final java.time.format.DateTimeFormatter TIME =
      java.time.format.DateTimeFormatter.ofPattern("HH:mm:ss.SSS").withZone(java.time.ZoneOffset.UTC);

  synchronized void start() {
    serveKubelet();
    scan();
    watcher = new Thread(this::watch, "fake-kubelet");
    watcher.setDaemon(true);
    watcher.start();
  }

  /** Waits until the kubelet has acted on the manifests as they are now. */
  public void awaitServing(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (upToDate()) {
        return;
      }
      sleep(20);
    }
    throw new IllegalStateException(
        "fake kubelet did not catch up with " + manifests + " within " + timeout.toMillis() + " ms; " + journal());
  }

  private boolean upToDate() {
    synchronized (this) {
      if (!retries.isEmpty()) {
        return false; // a component that could not start is not running as its manifest says
      }
    }
    try (var files = Files.list(manifests)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        if (p.getFileName().toString().endsWith(".yaml") && !hash(p).equals(seen.get(p))) {
          return false;
        }
      }
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private void watch() {
    while (!stopped) {
      try {
        scan();
      } catch (RuntimeException e) {
        record("error " + e.getMessage());
      }
      sleep(50);
    }
  }

  private synchronized void scan() {
    if (stopped) {
      return;
    }
    try (var files = Files.list(manifests)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        String name = p.getFileName().toString();
        if (!name.endsWith(".yaml")) {
          continue;
        }
        Component c = Component.byPodName(name.substring(0, name.length() - 5)).orElse(null);
        byte[] content = read(p);
        if (content == null) {
          // gone since the listing, or not a file: a kubelet looks again at its next pass
          if (unreadable.add(p)) {
            note("cannot read " + name + " now; looking again at the next scan");
          }
          continue;
        }
        unreadable.remove(p);
        String h = hash(content);
        boolean changed = !h.equals(seen.get(p));
        Retry retry = c == null ? null : retries.get(c);
        if (!changed && (retry == null || System.nanoTime() < retry.at())) {
          continue;
        }
        if (c != null) {
          // a changed manifest is a new pod: its back-off starts over
          restart(c, p, content, h, changed ? null : retry);
        }
        seen.put(p, h);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A component whose last start failed for a reason of the machine's (a port someone else holds),
   * and when the next try is due.
   */
  private record Retry(int attempt, long at) {}

  /**
   * Stops the component's servers and starts one for each port of the manifest, all or none: when
   * one cannot start, those already started are stopped again, the failure is recorded (and printed)
   * and the start is tried again after a back-off, as a kubelet restarts a container that exited.
   */
  private void restart(Component c, Path manifestFile, byte[] content, String hash, Retry previous) {
    List<HttpsServer> old = running.remove(c);
    if (old != null) {
      note((previous == null ? "manifest of " + c.podName() + " changed" : "retrying " + c.podName())
          + ": stopping " + old.size() + " server(s)");
      for (HttpsServer s : old) {
        s.stop(0);
      }
      // a real kubelet kills the old container before the new one binds the host ports: a gap
      sleep(RESTART_GAP_MS);
    } else {
      note(previous == null ? "manifest of " + c.podName() + " changed" : "retrying " + c.podName());
    }
    retries.remove(c);
    int fails = failNext.getOrDefault(c, 0);
    if (fails > 0) {
      // a container that exits at once, every time: down until the manifest changes
      failNext.put(c, fails - 1);
      record("failed " + c.podName());
      tell(c, hash, false);
      return;
    }
    StaticPodManifest m;
    try {
      m = StaticPodManifest.parse(content, manifestFile);
    } catch (RuntimeException e) {
      record("invalid " + c.podName()); // the kubelet logs it and runs nothing
      return;
    }
    List<HttpsServer> servers = new ArrayList<>();
    try {
      // the same reading kcert does: the manifests carry the ports and files
      for (ServingEndpoint e : NodeEndpoints.fromManifest(c, m)) {
        Path key = keyFile(c, e, m);
        boolean clientAuth = c == Component.ETCD && e.healthPath() != null;
        servers.add(serve(e, key, clientAuth ? m.flag("trusted-ca-file").map(Path::of).orElseThrow() : null));
      }
    } catch (RuntimeException e) {
      for (HttpsServer s : servers) {
        s.stop(0);
      }
      int attempt = previous == null ? 1 : previous.attempt() + 1;
      long wait = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS << Math.min(attempt - 1, 16));
      retries.put(c, new Retry(attempt, System.nanoTime() + wait * 1_000_000));
      String line = "cannot start " + c.podName() + " (attempt " + attempt + "): " + e.getMessage()
          + "; trying again in " + wait + " ms";
      record(line);
      System.err.println("fake kubelet of " + manifests + ": " + line);
      return;
    }
    running.put(c, servers);
    record("start " + c.podName());
    tell(c, hash, true);
  }

  private static Path keyFile(Component c, ServingEndpoint e, StaticPodManifest m) {
    if (e.certFile() == null) {
      return null;
    }
    String flag =
        switch (c) {
          case ETCD -> e.healthPath() != null ? "key-file" : "peer-key-file";
          default -> "tls-private-key-file";
        };
    return m.flag(flag).map(Path::of).orElseThrow();
  }

  private void serveKubelet() {
    ServingEndpoint e = NodeEndpoints.read(layout, kubeletConfig).of(Component.KUBELET).get(0);
    HttpsServer s = serve(e, layout.kubeletDir().resolve("kubelet.key"), null);
    running.put(Component.KUBELET, List.of(s));
  }

  private HttpsServer serve(ServingEndpoint e, Path keyFile, Path clientCa) {
    try {
      X509Certificate cert;
      PrivateKey key;
      if (e.certFile() == null) {
        KeyPair pair = KeyAlgorithm.ECDSA_P256.generate();
        CertificateTemplate t =
            new CertificateTemplate(
                "localhost-ca@" + System.nanoTime(),
                List.of(),
                List.of("localhost"),
                List.of(FakeNode.loopback()),
                Set.of(),
                true,
                TestPki.NOW.minus(Duration.ofDays(1)),
                TestPki.NOW.plus(Duration.ofDays(365)));
        cert = CertificateSigner.selfSignedCa(t, pair);
        key = pair.getPrivate();
      } else {
        cert = Certificates.readBundle(e.certFile()).get(0);
        key = PrivateKeys.read(keyFile);
      }
      char[] pw = new char[0];
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, pw);
      ks.setKeyEntry("serving", key, pw, new X509Certificate[] {cert});
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(ks, pw);
      TrustManagerFactory tmf = null;
      if (clientCa != null) {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, pw);
        trust.setCertificateEntry("ca", Certificates.readBundle(clientCa).get(0));
        tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
      }
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(kmf.getKeyManagers(), tmf == null ? null : tmf.getTrustManagers(), null);
      HttpsServer server = HttpsServer.create(new InetSocketAddress(e.host(), e.port()), 16);
      boolean needClientAuth = clientCa != null;
      server.setHttpsConfigurator(
          new HttpsConfigurator(ctx) {
            @Override
            public void configure(HttpsParameters params) {
              javax.net.ssl.SSLParameters p = getSSLContext().getDefaultSSLParameters();
              p.setNeedClientAuth(needClientAuth);
              params.setSSLParameters(p);
            }
          });
      server.createContext(
          "/",
          exchange -> {
            String path = exchange.getRequestURI().getPath();
            boolean health = Set.of("/livez", "/healthz", "/health").contains(path);
            byte[] body =
                (health ? (path.equals("/health") ? "{\"health\":\"true\"}" : "ok") : "not found")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(health ? 200 : 404, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
              out.write(body);
            }
          });
      server.start();
      return server;
    } catch (IOException | java.security.GeneralSecurityException ex) {
      throw new IllegalStateException(e.describe() + ": cannot serve: " + ex.getMessage(), ex);
    }
  }

  private void tell(Component c, String full, boolean ready) {
    String h = full.length() > 32 ? full.substring(0, 32) : full;
    for (Listener l : listeners) {
      long t0 = System.nanoTime();
      try {
        l.started(c, h, ready);
        note("told listener " + c.podName() + " hash " + h.substring(0, Math.min(8, h.length())) + " ready " + ready
            + " (" + (System.nanoTime() - t0) / 1_000_000 + " ms)");
      } catch (RuntimeException e) {
        record("listener " + e.getMessage());
      }
    }
  }

  @Override
  public synchronized void close() {
    stopped = true;
    retries.clear();
    for (List<HttpsServer> list : running.values()) {
      for (HttpsServer s : list) {
        s.stop(0);
      }
    }
    running.clear();
  }

  private static String hash(Path p) {
    return hash(read(p));
  }

  /**
   * The file's bytes, or {@code null} when it cannot be read (gone). Read plainly, as a kubelet
   * reads its manifests: kcert's own reading refuses a file replaced between its look and its open,
   * which a manifest being renamed over can be at any scan.
   */
  private static byte[] read(Path p) {
    try {
      return Files.readAllBytes(p);
    } catch (IOException e) {
      return null;
    }
  }

  private static String hash(byte[] content) {
    if (content == null) {
      return "unreadable";
    }
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
