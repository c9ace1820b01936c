package dev.kcert.kube;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.nio.file.Files;
import java.nio.file.Path;

/** The Kubernetes client every in-cluster component starts with. */
public final class KubeClients {
  private KubeClients() {}

  /**
   * A client from a kubeconfig file, or from the pod's service account (and the usual environment)
   * when {@code kubeconfig} is null.
   *
   * <p>No retries inside the HTTP client: a retried write could land after this process has lost
   * its Lease to another, and every caller retries on its own terms (informers with backoff, work
   * queues, the elector and the renewal loop every period).
   *
   * @throws IllegalArgumentException when the kubeconfig file does not exist
   */
  public static KubernetesClient connect(Path kubeconfig) {
    return new KubernetesClientBuilder().withConfig(config(kubeconfig)).build();
  }

  /** The client configuration {@link #connect} uses. */
  public static Config config(Path kubeconfig) {
    Config config;
    if (kubeconfig != null) {
      if (!Files.isRegularFile(kubeconfig)) {
        throw new IllegalArgumentException(kubeconfig + ": no such file");
      }
      config = Config.fromKubeconfig(kubeconfig.toFile());
    } else {
      config = Config.autoConfigure(null);
    }
    config.setRequestRetryBackoffLimit(0);
    return config;
  }
}
