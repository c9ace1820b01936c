package dev.kcert.core.generate;

import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;

/**
 * A file to be written: computed in memory first, written at the edge.
 *
 * @param path where it goes
 * @param content its bytes
 * @param permissions its mode (0600 for keys and kubeconfigs, 0644 for certificates)
 */
public record PlannedFile(Path path, byte[] content, Set<PosixFilePermission> permissions) {}
