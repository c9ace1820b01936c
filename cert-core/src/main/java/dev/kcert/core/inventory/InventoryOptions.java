package dev.kcert.core.inventory;

/**
 * What {@link PkiInventory} looks at beyond kubeadm's own report.
 *
 * @param includeKubelet add {@code kubelet.conf} and the kubelet's own certificates
 * @param checkKeys read private keys and check that each matches its certificate
 * @param externalEtcd whether etcd is external (its CA, its certificates and {@code
 *     apiserver-etcd-client} are then not reported, as kubeadm does); {@code null} decides from the
 *     disk ({@link dev.kcert.core.pki.PkiLayout#etcdLooksExternal()})
 */
public record InventoryOptions(boolean includeKubelet, boolean checkKeys, Boolean externalEtcd) {
  public static final InventoryOptions DEFAULT = new InventoryOptions(false, false);

  /** Options that decide about etcd from the disk. */
  public InventoryOptions(boolean includeKubelet, boolean checkKeys) {
    this(includeKubelet, checkKeys, null);
  }
}
