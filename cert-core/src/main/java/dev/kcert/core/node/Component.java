package dev.kcert.core.node;

import dev.kcert.core.model.CatalogueEntry;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The control-plane components of a kubeadm node, in the order they are restarted after a renewal:
 * etcd first (everything else talks to it), then the API server, then its clients. The kubelet is
 * not a static pod; it is listed for the served-certificate check and never restarted by kcert.
 */
public enum Component {
  ETCD("etcd"),
  KUBE_APISERVER("kube-apiserver"),
  KUBE_CONTROLLER_MANAGER("kube-controller-manager"),
  KUBE_SCHEDULER("kube-scheduler"),
  KUBELET("kubelet");

  private final String podName;

  Component(String podName) {
    this.podName = podName;
  }

  /** kubeadm's name: the static pod's name and its manifest's base name. */
  public String podName() {
    return podName;
  }

  public boolean isStaticPod() {
    return this != KUBELET;
  }

  /** The static pod manifest's file name, as kubeadm writes it ({@code etcd.yaml}). */
  public String manifestFileName() {
    return podName + ".yaml";
  }

  public static Optional<Component> byPodName(String name) {
    for (Component c : values()) {
      if (c.podName.equals(name)) {
        return Optional.of(c);
      }
    }
    return Optional.empty();
  }

  /**
   * The components that read the given certificates at start-up and must be restarted to use new
   * ones, in restart order (the kubelet last: it reloads {@code kubelet.conf} only when restarted
   * by its service manager).
   */
  public static List<Component> readers(Collection<CatalogueEntry> changed) {
    Set<Component> hit = EnumSet.noneOf(Component.class);
    for (CatalogueEntry e : changed) {
      switch (e.name()) {
        case "apiserver",
            "apiserver-kubelet-client",
            "front-proxy-client",
            "apiserver-etcd-client" -> hit.add(KUBE_APISERVER);
        case "etcd-server", "etcd-peer", "etcd-healthcheck-client" -> hit.add(ETCD);
        case "controller-manager.conf" -> hit.add(KUBE_CONTROLLER_MANAGER);
        case "scheduler.conf" -> hit.add(KUBE_SCHEDULER);
        case "kubelet.conf" -> hit.add(KUBELET);
        default -> {
          // admin.conf and super-admin.conf are read by people and kubeadm, not by a component
        }
      }
    }
    return new ArrayList<>(hit);
  }
}
