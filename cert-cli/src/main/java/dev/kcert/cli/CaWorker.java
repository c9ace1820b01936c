package dev.kcert.cli;

import dev.kcert.core.kubeapi.ApiClient;
import dev.kcert.core.kubeapi.KubeletCsr;
import dev.kcert.core.model.Catalogue;
import dev.kcert.core.model.KcertException;
import dev.kcert.core.pem.Certificates;
import dev.kcert.core.pem.Pem;
import dev.kcert.core.rotation.Outcome;
import dev.kcert.core.rotation.Phase;
import dev.kcert.core.rotation.WorkerCa;
import dev.kcert.core.rotation.WorkerRotation;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * {@code kcert ca} on a worker node: a node with {@code ca.crt} and {@code kubelet.conf} but no CA
 * key and no kube-apiserver manifest (judged from its files, see {@link
 * WorkerRotation#isWorker}). The same verbs; the cluster side and the renewal Lease are the
 * control-plane nodes' business and are not touched from here, since the node's own credentials
 * may not write them.
 */
final class CaWorker {
  private CaWorker() {}

  /** {@code prepare}'s options for a worker: where the new CA comes from. */
  static final class NewCaSource {
    @Option(names = "--new-ca-cert", paramLabel = "FILE",
        description = "Worker nodes (no ca.key): the new CA's certificate, a copy of a"
            + " control-plane node's <cert-dir>/kcert-rotation/ca/new.crt (its pin is printed;"
            + " with --new-ca-hash it must match).")
    Path cert;

    @Option(names = "--new-ca-hash", paramLabel = "sha256:HEX",
        description = "Worker nodes: the new CA's pin, the SHA-256 of its public key (kubeadm's"
            + " discovery-token-ca-cert-hash form; prepare prints it on the control-plane node)."
            + " Without --new-ca-cert, the new CA is read from kube-public/cluster-info (where a"
            + " control-plane node's trust-both publishes it) with kubelet.conf's credentials or"
            + " --kubeconfig, and only the certificate matching the pin is taken.")
    String hash;

    boolean given() {
      return cert != null || hash != null;
    }
  }

  /** The phases' option for a worker's reissue. */
  static final class CsrWait {
    @Option(names = "--timeout", paramLabel = "DURATION", converter = DurationConverter.class,
        defaultValue = "5m",
        description = "Worker nodes, reissue: how long to wait for the kubelet's certificate"
            + " request to be approved and issued (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Option(names = "--csr-poll", paramLabel = "DURATION", defaultValue = "PT1S", hidden = true)
    Duration poll;
  }

  static boolean applies(CaCommand.Target target) {
    return WorkerRotation.isWorker(target.node());
  }

  /** Refuses a CA other than {@code ca} on a worker. */
  static WorkerRotation rotation(CaCommand.Target target, Clock clock) {
    if (!target.ca.equals(Catalogue.CA)) {
      throw new KcertException(target.ca + ": this is a worker node (" + target.dirs.layout()
          .certFile(Catalogue.ca(Catalogue.CA)) + " without ca.key, no kube-apiserver manifest);"
          + " a worker rotates only ca");
    }
    return WorkerRotation.of(target.node(), clock);
  }

  /** The API server with {@code --kubeconfig}, or with the node's own {@code kubelet.conf}. */
  static ApiClient client(CaCluster cluster, CaCommand.Target target) {
    if (cluster.apiTimeout.isZero() || cluster.apiTimeout.isNegative()) {
      throw new IllegalArgumentException("--api-timeout must be positive");
    }
    Path kc = cluster.kubeconfig != null ? target.dirs.onHost(cluster.kubeconfig)
        : target.dirs.layout().kubeconfigFile(Catalogue.KUBELET_KUBECONFIG);
    return ApiClient.connect(kc, target.dirs.rootfs, cluster.apiTimeout);
  }

  static int prepare(CommandLine cl, CaCommand.Target target, NewCaSource source,
      CaCluster cluster, boolean dryRun, CaCommand.Format format, Clock clock) {
    if (!source.given()) {
      throw new ParameterException(cl, "this is a worker node (no ca.key, no kube-apiserver"
          + " manifest): give the new CA with --new-ca-cert FILE (new.crt from a control-plane"
          + " node's rotation folder) or --new-ca-hash sha256:<hex> (read from"
          + " kube-public/cluster-info)");
    }
    String pin;
    try {
      pin = source.hash == null ? null : WorkerCa.pin(source.hash);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(cl, e.getMessage());
    }
    WorkerRotation w = rotation(target, clock);
    X509Certificate old = w.oldCa();
    List<X509Certificate> candidates;
    String from;
    if (source.cert != null) {
      from = source.cert.toString();
      candidates = Certificates.parseBundle(Pem.readFile(source.cert), from);
    } else {
      ApiClient api = client(cluster, target);
      from = "kube-public/cluster-info at " + api.server();
      try {
        candidates = WorkerCa.fromClusterInfo(api);
      } catch (ApiClient.Unreachable e) {
        throw new KcertException("the API server at " + api.server() + " is unreachable ("
            + e.getMessage() + "); the new CA cannot be read from cluster-info; nothing was written");
      }
    }
    X509Certificate neu = WorkerCa.accept(candidates, old, pin, from, clock.instant());
    return CaCommand.report(cl.getOut(), format, w.prepare(neu, from, dryRun));
  }

  static int phase(CommandLine cl, Phase phase, CaCommand.Target target, boolean dryRun,
      CaCluster cluster, CsrWait wait, CaRestart restart, CaCommand.Format format, Clock clock) {
    WorkerRotation w = rotation(target, clock);
    ApiClient api = client(cluster, target);
    WorkerRotation.Issuer issuer = (csr, node, usages) -> {
      if (wait.timeout.isZero() || wait.timeout.isNegative()) {
        throw new IllegalArgumentException("--timeout must be positive");
      }
      String name = csrName(node);
      try {
        return KubeletCsr.request(api, name, csr, usages, wait.timeout, wait.poll);
      } catch (ApiClient.Unreachable e) {
        throw new KcertException("the API server at " + api.server() + " is unreachable ("
            + e.getMessage() + "); the kubelet's client certificate cannot be requested; nothing"
            + " was written");
      }
    };
    Outcome o = w.advance(phase, dryRun, issuer);
    int code = CaCommand.report(cl.getOut(), format, o);
    return restart.afterWorker(code, w, phase, o, api, clock, format == CaCommand.Format.text,
        cl.getOut(), cl.getErr());
  }

  static int abort(CommandLine cl, CaCommand.Target target, boolean dryRun, CaCluster cluster,
      CaRestart restart, CaCommand.Format format, Clock clock) {
    WorkerRotation w = rotation(target, clock);
    Outcome o = w.abort(dryRun);
    int code = CaCommand.report(cl.getOut(), format, o);
    ApiClient api = restart.restart ? client(cluster, target) : null;
    return restart.afterWorker(code, w, Phase.NONE, o, api, clock,
        format == CaCommand.Format.text, cl.getOut(), cl.getErr());
  }

  /** A request name of the kind the kubelet's ({@code csr-...}) would not collide with. */
  private static String csrName(String node) {
    byte[] b = new byte[4];
    ThreadLocalRandom.current().nextBytes(b);
    String n = node.length() > 200 ? node.substring(0, 200) : node;
    return "kcert-kubelet-" + n + "-" + HexFormat.of().formatHex(b);
  }
}
