package dev.kcert.cli;

import dev.kcert.core.config.ClusterConfig;
import dev.kcert.core.config.ConfigMapReader;
import dev.kcert.core.config.KubeadmConfigParser;
import dev.kcert.core.pem.Pem;
import dev.kcert.core.pki.PkiLayout;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * Where kubeadm's configuration comes from, in kubeadm's order: {@code --config FILE}, else the
 * {@code kubeadm-config} ConfigMap read through {@code --kubeconfig} when the API server answers,
 * else nothing (kcert's defaults). Flags given on the command line win over both.
 */
public final class ConfigOptions {
  /** kubeadm's default for --kubeconfig. */
  static final String DEFAULT_KUBECONFIG = "/etc/kubernetes/admin.conf";

  @Option(
      names = "--config",
      paramLabel = "FILE",
      description =
          "A kubeadm configuration file (InitConfiguration, ClusterConfiguration,"
              + " JoinConfiguration; kubeadm.k8s.io/v1beta3 or v1beta4). Flags win over it.")
  Path config;

  @Option(
      names = "--kubeconfig",
      paramLabel = "FILE",
      description =
          "The kubeconfig to read the \"kubeadm-config\" ConfigMap with when there is no --config"
              + " (default: " + DEFAULT_KUBECONFIG + "). An API server that does not answer"
              + " within --api-timeout is reported in one line, and the files on disk are used.")
  Path kubeconfig;

  @Option(
      names = "--api-timeout",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      defaultValue = "5s",
      description = "How long to wait for the API server (default: ${DEFAULT-VALUE}).")
  Duration apiTimeout;

  /**
   * Reads the configuration and says on {@code err}, in one line, where it came from.
   *
   * @param dirs the folder options, for --rootfs
   * @param configMapByDefault whether to ask the API server through the default kubeconfig when
   *     neither --config nor --kubeconfig is given (renew does, as kubeadm does; check-expiration
   *     does not, so that an offline report stays offline and fast)
   */
  ClusterConfig resolve(PkiDirs dirs, boolean configMapByDefault, PrintWriter err) {
    if (config != null) {
      Path file = dirs.onHost(config);
      ClusterConfig c = KubeadmConfigParser.parse(Pem.readFile(file), file.toString());
      err.println("Reading configuration from " + file);
      err.flush();
      return c;
    }
    Path kc;
    if (kubeconfig != null) {
      kc = dirs.onHost(kubeconfig);
    } else if (configMapByDefault) {
      kc = dirs.onHost(Path.of(DEFAULT_KUBECONFIG));
      if (!Files.isRegularFile(kc)) {
        return ClusterConfig.none(); // no admin.conf: nothing to ask with
      }
    } else {
      return ClusterConfig.none();
    }
    if (apiTimeout.isZero() || apiTimeout.isNegative()) {
      throw new IllegalArgumentException("--api-timeout must be positive");
    }
    ConfigMapReader.Result r = ConfigMapReader.read(kc, dirs.rootfs, apiTimeout);
    switch (r.outcome()) {
      case FOUND ->
          err.println(
              "Reading configuration from " + ConfigMapReader.SOURCE + " (" + r.server()
                  + ", with " + kc + ")");
      case ABSENT ->
          err.println(
              "warning: no configuration in " + ConfigMapReader.SOURCE + " at " + r.server()
                  + " (" + r.reason() + "); going on with the files on disk and defaults");
      case UNREACHABLE ->
          err.println(
              "warning: cannot read " + ConfigMapReader.SOURCE + ": the API server at "
                  + r.server() + " is unreachable (" + r.reason()
                  + "); going on with the files on disk and defaults");
    }
    err.flush();
    return r.outcome() == ConfigMapReader.Outcome.FOUND ? r.config() : ClusterConfig.none();
  }

  /** Whether etcd is external: the configuration says so, or the disk looks that way. */
  static boolean externalEtcd(ClusterConfig config, PkiLayout layout) {
    return config.externalEtcd() || layout.etcdLooksExternal();
  }
}
