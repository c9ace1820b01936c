package dev.kcert.core.renewal;

import java.util.List;

/**
 * Files that belong together (a certificate and its key, or one kubeconfig), with the check that
 * reads them back once they are installed.
 *
 * @param name the catalogue name, for messages
 * @param files the files, in the order they are renamed into place (keys before certificates)
 * @param verification reads the installed files back and throws when they are not what was meant
 */
public record ChangeSet(String name, List<FileChange> files, Runnable verification) {
  public ChangeSet {
    files = List.copyOf(files);
  }
}
