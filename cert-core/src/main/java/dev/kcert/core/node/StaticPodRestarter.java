package dev.kcert.core.node;

import dev.kcert.core.model.KcertException;
import dev.kcert.core.pem.Pem;
import dev.kcert.core.pem.PrivateKeys;
import dev.kcert.core.pki.AtomicFiles;
import dev.kcert.core.pki.PkiLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Restarts static pods one at a time, etcd first, by changing an annotation in each manifest so
 * that the kubelet recreates the pod (no container-runtime socket needed), and gates each restart:
 * within the timeout every port of the component must answer its health endpoint ({@code /livez},
 * {@code /healthz}; etcd's {@code /health} with the healthcheck client certificate) and serve the
 * certificate now on disk (a component configured with no certificate file must serve a new one of
 * its own, which shows it was restarted).
 *
 * <p>A gate that fails rolls back: the caller's roll-back puts the old PKI files back, then the
 * failed component and every component restarted before it get their original manifests back
 * (which the kubelet sees as a change, so it restarts them with the old files), latest first, and a
 * {@link GateFailure} naming the component leaves. Manifests are written as the PKI is (temporary
 * file, flushed, renamed over), and each original is copied into the run's backup folder first.
 */
public final class StaticPodRestarter {
  /**
   * How to restart.
   *
   * @param timeout how long each component has to come back
   * @param pollInterval how often the gates look
   * @param probeTimeout how long one connection may take (at most a quarter of {@code timeout},
   *     at least a second: one look at a port never takes the whole wait)
   * @param clock stamps the annotation
   */
  public record Options(Duration timeout, Duration pollInterval, Duration probeTimeout, Clock clock) {
    public static Options defaults(Clock clock) {
      return new Options(Duration.ofMinutes(5), Duration.ofSeconds(1), Duration.ofSeconds(5), clock);
    }
  }

  /** A component that did not come back in time; the run has been rolled back. */
  public static final class GateFailure extends KcertException {
    private static final long serialVersionUID = 1L;
    private final transient Component component;
    private final String reason;

    GateFailure(Component component, String reason, String message) {
      super(message);
      this.component = component;
      this.reason = reason;
    }

    public Component component() {
      return component;
    }

    /** Why the component did not come back, without what the roll-back did. */
    public String reason() {
      return reason;
    }
  }

  /**
   * A further gate a caller adds to the ports' own, such as the API server's view of the mirror pod
   * (its config hash changed and it is Ready).
   */
  public interface Gate {
    /** Called just before the component's manifest is changed. */
    void beforeRestart(Component c);

    /** One look after the restart: {@code null} when it passes, else why not. */
    String check(Component c);
  }

  private static final Gate NO_GATE =
      new Gate() {
        @Override
        public void beforeRestart(Component c) {}

        @Override
        public String check(Component c) {
          return null;
        }
      };

  private final PkiLayout layout;
  private final Options options;
  private final Consumer<String> progress;
  private final Gate gate;

  public StaticPodRestarter(PkiLayout layout, Options options, Consumer<String> progress) {
    this(layout, options, progress, NO_GATE);
  }

  /**
   * @param gate looked at after the ports pass, on each restart forward (not on the roll-back's,
   *     which only has to bring the old files back)
   */
  public StaticPodRestarter(PkiLayout layout, Options options, Consumer<String> progress, Gate gate) {
    this.layout = layout;
    this.options = options;
    this.progress = progress;
    this.gate = gate;
  }

  /**
   * Restarts the given components in kcert's order (etcd, kube-apiserver,
   * kube-controller-manager, kube-scheduler); the kubelet and components without a manifest are
   * left out.
   *
   * @param backupDir where the originals of the manifests are copied ({@code manifests/} inside)
   * @param rollBack puts the PKI files of the run back; called once, when a gate fails
   * @return the components restarted
   * @throws GateFailure when a component did not come back; everything has been rolled back
   */
  public List<Component> restart(List<Component> components, Path backupDir, Runnable rollBack) {
    List<Component> order = new ArrayList<>();
    for (Component c : Component.values()) {
      if (c.isStaticPod() && components.contains(c)) {
        Path manifest = NodeEndpoints.manifestFile(layout.kubeconfigDir(), c);
        if (Files.exists(manifest)) {
          order.add(c);
        } else {
          progress.accept(c.podName() + ": no static pod manifest at " + manifest + "; not restarted");
        }
      }
    }
    List<Restarted> done = new ArrayList<>();
    for (Component c : order) {
      Path file = NodeEndpoints.manifestFile(layout.kubeconfigDir(), c);
      byte[] original = Pem.readFile(file);
      StaticPodManifest manifest = StaticPodManifest.parse(original, file);
      List<ServingEndpoint> endpoints = NodeEndpoints.fromManifest(c, manifest);
      Map<ServingEndpoint, X509Certificate> before = servedBefore(endpoints);
      AtomicFiles.write(
          backupDir.resolve("manifests").resolve(file.getFileName()), original, AtomicFiles.PRIVATE);
      String stamp = options.clock().instant().toString();
      if (manifest.annotation(StaticPodManifest.RESTART_ANNOTATION).orElse("").startsWith(stamp)) {
        stamp = stamp + "-" + System.nanoTime();
      }
      gate.beforeRestart(c);
      progress.accept("Restarting " + c.podName() + " (annotation " + StaticPodManifest.RESTART_ANNOTATION + " in " + file + ")");
      AtomicFiles.write(
          file, manifest.withAnnotation(StaticPodManifest.RESTART_ANNOTATION, stamp), AtomicFiles.PRIVATE);
      done.add(new Restarted(c, file, original));
      long started = System.nanoTime();
      String failure = awaitGates(c, endpoints, before, gate);
      if (failure != null) {
        throw rollBack(c, failure, done, rollBack);
      }
      progress.accept(
          c.podName()
              + " is back, healthy and serving the certificate on disk ("
              + Duration.ofNanos(System.nanoTime() - started).toMillis()
              + " ms)");
    }
    return order;
  }

  private record Restarted(Component component, Path manifest, byte[] original) {}

  /**
   * Puts manifests back as a roll-back does: one at a time, the latest in kcert's order first
   * (kube-scheduler, kube-controller-manager, kube-apiserver, etcd), each written crash-safe and
   * then waited for until every port of the component serves the files on disk (one configured
   * with no certificate file: a certificate other than the one it served before), within the
   * timeout. Without the caller's extra gate: a roll-back only has to bring the old files back.
   * Manifests whose content is already on disk are left alone.
   *
   * @param originals the bytes each component's manifest gets back
   * @return one note per manifest put back: {@code "put back etcd.yaml"}, with why not when the
   *     component did not come back in time
   */
  public List<String> putBack(Map<Component, byte[]> originals) {
    List<String> notes = new ArrayList<>();
    Component[] all = Component.values();
    for (int i = all.length - 1; i >= 0; i--) {
      Component c = all[i];
      byte[] original = originals.get(c);
      if (original == null || !c.isStaticPod()) {
        continue;
      }
      Path file = NodeEndpoints.manifestFile(layout.kubeconfigDir(), c);
      if (Files.exists(file) && java.util.Arrays.equals(Pem.readFile(file), original)) {
        continue;
      }
      List<ServingEndpoint> endpoints = NodeEndpoints.fromManifest(c, StaticPodManifest.parse(original, file));
      Map<ServingEndpoint, X509Certificate> before = servedBefore(endpoints);
      progress.accept("Restarting " + c.podName() + " with its original manifest");
      AtomicFiles.write(file, original, AtomicFiles.PRIVATE);
      String why = awaitGates(c, endpoints, before, NO_GATE);
      notes.add("put back " + file.getFileName() + (why == null ? "" : " (not back within "
          + options.timeout().toSeconds() + "s: " + why + ")"));
    }
    return notes;
  }

  private GateFailure rollBack(
      Component failed, String why, List<Restarted> done, Runnable rollBack) {
    String message =
        failed.podName()
            + " did not come back within "
            + options.timeout().toSeconds()
            + "s after its restart: "
            + why;
    progress.accept(message);
    List<String> notes = new ArrayList<>();
    try {
      rollBack.run();
      notes.add("the renewed files were restored from the backup");
    } catch (RuntimeException e) {
      notes.add("restoring the renewed files failed: " + KcertException.oneLine(e));
    }
    for (int i = done.size() - 1; i >= 0; i--) {
      Restarted r = done.get(i);
      try {
        progress.accept("Restarting " + r.component().podName() + " with its original manifest");
        AtomicFiles.write(r.manifest(), r.original(), AtomicFiles.PRIVATE);
        List<ServingEndpoint> endpoints =
            NodeEndpoints.fromManifest(r.component(), StaticPodManifest.parse(r.original(), r.manifest()));
        String again = awaitGates(r.component(), endpoints, Map.of(), NO_GATE);
        notes.add(
            r.component().podName()
                + (again == null ? " restarted with the old files" : " restarted but not healthy: " + again));
      } catch (RuntimeException e) {
        notes.add(r.component().podName() + ": restoring its manifest failed: " + KcertException.oneLine(e));
      }
    }
    return new GateFailure(failed, message, message + "; rolled back: " + String.join("; ", notes));
  }

  /**
   * How long one look at a port may take: the probe timeout, but no more than a quarter of the
   * restart timeout (and no less than a second). A connection that is accepted and never answered
   * (a process stopping as it accepts it, one listening before it serves) then costs one look, and
   * the next look reaches the restarted component, instead of the whole wait going to that one
   * connection.
   */
  Duration lookTimeout() {
    Duration quarter = options.timeout().dividedBy(4);
    Duration cap = quarter.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : quarter;
    return options.probeTimeout().compareTo(cap) < 0 ? options.probeTimeout() : cap;
  }

  private Map<ServingEndpoint, X509Certificate> servedBefore(List<ServingEndpoint> endpoints) {
    Map<ServingEndpoint, X509Certificate> before = new HashMap<>();
    TlsProbe probe = TlsProbe.withTimeout(lookTimeout());
    for (ServingEndpoint e : endpoints) {
      if (e.certFile() == null) {
        TlsProbe.Served s = probe.fetch(e.host(), e.port());
        if (s.reached()) {
          before.put(e, s.leaf());
        }
      }
    }
    return before;
  }

  /** Polls until every port passes, or the timeout; returns why it did not, or {@code null}. */
  private String awaitGates(
      Component c,
      List<ServingEndpoint> endpoints,
      Map<ServingEndpoint, X509Certificate> before,
      Gate extra) {
    long deadline = System.nanoTime() + options.timeout().toNanos();
    String last;
    while (true) {
      last = null;
      for (ServingEndpoint e : endpoints) {
        last = gate(c, e, before.get(e));
        if (last != null) {
          break;
        }
      }
      if (last == null) {
        last = extra.check(c);
      }
      if (last == null) {
        return null;
      }
      if (System.nanoTime() >= deadline) {
        return last;
      }
      try {
        Thread.sleep(options.pollInterval().toMillis());
      } catch (InterruptedException ex) {
        Thread.currentThread().interrupt();
        return "interrupted while waiting (" + last + ")";
      }
    }
  }

  /** One look at one port: {@code null} when it passes, else why not. */
  private String gate(Component c, ServingEndpoint e, X509Certificate before) {
    TlsProbe probe = TlsProbe.withTimeout(lookTimeout());
    X509Certificate served;
    if (e.healthPath() != null) {
      if (c == Component.ETCD) {
        probe = withClient(probe, "etcd/healthcheck-client");
      } else if (c == Component.KUBE_APISERVER) {
        // /livez is open to anonymous requests by default; a cluster that turned those off still
        // lets any authenticated client read it, and this certificate is one
        probe = withClient(probe, "apiserver-kubelet-client");
      }
      TlsProbe.Health h = probe.get(e.host(), e.port(), e.healthPath());
      if (h.error() != null) {
        return e.describe() + ": " + e.healthPath() + ": " + h.error();
      }
      if (!h.ok()) {
        return e.describe() + ": " + e.healthPath() + " answered " + h.status();
      }
      served = h.leaf();
    } else {
      TlsProbe.Served s = probe.fetch(e.host(), e.port());
      if (!s.reached()) {
        return e.describe() + ": " + s.error();
      }
      served = s.leaf();
    }
    if (served == null) {
      return e.describe() + ": served no certificate";
    }
    if (e.certFile() != null) {
      X509Certificate disk;
      try {
        disk = ServedCheck.readCertificate(e.certFile());
      } catch (KcertException ex) {
        return ex.getMessage();
      }
      return ServedCheck.same(served, disk)
          ? null
          : e.describe() + ": still serves serial " + served.getSerialNumber().toString(16)
              + ", not " + e.certFile() + " (serial " + disk.getSerialNumber().toString(16) + ")";
    }
    return before != null && ServedCheck.same(served, before)
        ? e.describe() + ": still serves the certificate it served before the restart"
        : null;
  }

  /**
   * The probe with a client certificate of the PKI, sent only when the server asks for one: etcd
   * asks (kubeadm's probe uses the healthcheck client), the API server may.
   */
  private TlsProbe withClient(TlsProbe probe, String baseName) {
    Path crt = layout.certDir().resolve(baseName + ".crt");
    Path key = layout.certDir().resolve(baseName + ".key");
    if (!Files.exists(crt) || !Files.exists(key)) {
      return probe;
    }
    return probe.withClientCertificate(ServedCheck.readCertificate(crt), PrivateKeys.read(key));
  }
}
