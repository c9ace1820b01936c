package dev.kcert.core.model;

/** What a catalogue entry is. */
public enum CertKind {
  /** A self-signed certificate authority ({@code ca}, {@code front-proxy-ca}, {@code etcd-ca}). */
  CA,
  /** A leaf certificate in the PKI folder, next to its key. */
  LEAF,
  /** A client certificate embedded in (or referenced by) a kubeconfig file. */
  KUBECONFIG,
  /** A certificate the kubelet keeps in its own folder. */
  KUBELET
}
