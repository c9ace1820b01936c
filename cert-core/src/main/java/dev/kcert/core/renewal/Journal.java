package dev.kcert.core.renewal;

import dev.kcert.core.model.KcertException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The record an installation keeps in its backup folder: which files it replaces (or creates) and
 * how far it got. A journal still {@code in-progress} when a later run looks means the earlier run
 * stopped half-way; its files are then restored from the backup.
 */
final class Journal {
  static final String FILE_NAME = "kcert-journal";
  static final String IN_PROGRESS = "in-progress";
  static final String COMPLETE = "complete";
  static final String ROLLED_BACK = "rolled-back";

  private static final String HEADER =
      "# kcert: files replaced by one run; a run that stopped before 'state complete'"
          + " is undone from this folder by the next run";

  /**
   * One file of the run.
   *
   * @param existed whether the file existed before the run (and so has a backup)
   * @param permissions its mode
   * @param backupName its backup, relative to the backup folder
   * @param target the file itself
   */
  record Entry(
      boolean existed, Set<PosixFilePermission> permissions, String backupName, Path target) {}

  private Journal() {}

  static byte[] render(String state, List<Entry> entries) {
    StringBuilder sb = new StringBuilder(HEADER).append('\n');
    sb.append("state\t").append(state).append('\n');
    for (Entry e : entries) {
      sb.append(e.existed() ? "old" : "new")
          .append('\t')
          .append(PosixFilePermissions.toString(e.permissions()))
          .append('\t')
          .append(e.backupName())
          .append('\t')
          .append(e.target().toAbsolutePath())
          .append('\n');
    }
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  static String state(byte[] journal, Path file) {
    for (String line : lines(journal)) {
      if (line.startsWith("state\t")) {
        return line.substring("state\t".length());
      }
    }
    throw KcertException.about(file, "journal has no state line");
  }

  static List<Entry> entries(byte[] journal, Path file) {
    List<Entry> entries = new ArrayList<>();
    for (String line : lines(journal)) {
      if (line.startsWith("old\t") || line.startsWith("new\t")) {
        String[] parts = line.split("\t", 4);
        if (parts.length != 4) {
          throw KcertException.about(file, "malformed journal line: " + line);
        }
        try {
          entries.add(
              new Entry(
                  parts[0].equals("old"),
                  PosixFilePermissions.fromString(parts[1]),
                  parts[2],
                  Path.of(parts[3])));
        } catch (IllegalArgumentException e) {
          throw KcertException.about(file, "malformed journal line: " + line, e);
        }
      }
    }
    return entries;
  }

  private static List<String> lines(byte[] journal) {
    return new String(journal, StandardCharsets.UTF_8).lines().toList();
  }
}
