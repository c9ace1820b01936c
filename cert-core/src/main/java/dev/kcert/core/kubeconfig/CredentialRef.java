package dev.kcert.core.kubeconfig;

import dev.kcert.core.model.KcertException;
import dev.kcert.core.pem.Pem;
import java.nio.file.Path;

/**
 * Where a kubeconfig keeps a piece of PEM: embedded ({@code *-data}, decoded only when loaded) or
 * in a file it references.
 *
 * @param kubeconfig the kubeconfig file it belongs to
 * @param field the kubeconfig field it came from ({@code users[admin].client-key-data})
 * @param embedded the base64 text of an embedded field, or {@code null}
 * @param file the referenced file, resolved against the kubeconfig's folder, or {@code null}
 */
public record CredentialRef(Path kubeconfig, String field, String embedded, Path file) {

  public boolean isEmbedded() {
    return embedded != null;
  }

  /**
   * The PEM bytes: the embedded field decoded, or the referenced file's content.
   *
   * @throws KcertException when the embedded text is not base64, or the file cannot be read
   */
  public byte[] load() {
    if (embedded == null) {
      return Pem.readFile(file);
    }
    try {
      return Pem.decodeBase64(embedded);
    } catch (IllegalArgumentException e) {
      throw KcertException.about(kubeconfig, field + " is not valid base64", e);
    }
  }

  /** How messages name it: the referenced file, or the kubeconfig and its field. */
  public String describe() {
    return embedded != null ? kubeconfig + " (" + shortField() + ")" : file.toString();
  }

  private String shortField() {
    int dot = field.lastIndexOf('.');
    return dot < 0 ? field : field.substring(dot + 1);
  }
}
