package dev.kcert.core.inventory;

/**
 * What {@link PkiInventory} looks at beyond kubeadm's own report.
 *
 * @param includeKubelet add {@code kubelet.conf} and the kubelet's own certificates
 * @param checkKeys read private keys and check that each matches its certificate
 */
public record InventoryOptions(boolean includeKubelet, boolean checkKeys) {
  public static final InventoryOptions DEFAULT = new InventoryOptions(false, false);
}
