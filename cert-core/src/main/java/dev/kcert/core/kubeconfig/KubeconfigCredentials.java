package dev.kcert.core.kubeconfig;

/**
 * The current context of a kubeconfig, resolved to its cluster and user.
 *
 * @param contextName the current context
 * @param clusterName the context's cluster
 * @param userName the context's user
 * @param server the cluster's server URL, empty when absent
 * @param certificateAuthority the cluster's CA, or {@code null} when the kubeconfig has none
 * @param clientCertificate the user's client certificate, or {@code null}
 * @param clientKey the user's client key, or {@code null}
 */
public record KubeconfigCredentials(
    String contextName,
    String clusterName,
    String userName,
    String server,
    CredentialRef certificateAuthority,
    CredentialRef clientCertificate,
    CredentialRef clientKey) {}
