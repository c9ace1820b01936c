package dev.kcert.core.kubeconfig;

import dev.kcert.core.pem.Pem;
import java.nio.file.Path;

/**
 * Where a kubeconfig keeps a piece of PEM: embedded ({@code *-data}) or in a file it references.
 *
 * @param field the kubeconfig field it came from, for messages ({@code client-certificate-data})
 * @param embedded the decoded bytes of an embedded field, or {@code null}
 * @param file the referenced file, resolved against the kubeconfig's folder, or {@code null}
 */
public record CredentialRef(String field, byte[] embedded, Path file) {

  public boolean isEmbedded() {
    return embedded != null;
  }

  /** The PEM bytes: embedded ones, or the referenced file's content. */
  public byte[] load() {
    return embedded != null ? embedded.clone() : Pem.readFile(file);
  }

  /** How messages name it: the referenced file, or the kubeconfig field. */
  public String describe(Path kubeconfig) {
    return embedded != null ? kubeconfig + " (" + field + ")" : file.toString();
  }
}
