package dev.kcert.core.renewal;

import dev.kcert.core.model.KcertException;
import dev.kcert.core.pki.PkiLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The record an installation keeps in its backup folder: which files it replaces (or creates), what
 * each held before and what the run writes into it (SHA-256 digests), whose each was and with which
 * mode, and how far the run got. A journal still {@code in-progress} when a later run looks means
 * the earlier run stopped half-way; its files are then restored from the backup, but only when
 * every one of them still holds what that run left there.
 *
 * <p>What a journal can influence, and so what is checked before it is believed: targets are names
 * relative to the kubeconfig folder ({@code admin.conf}) or the PKI folder ({@code
 * pki/etcd/server.key}), plain ({@code ..}, {@code .}, empty segments, absolute paths and control
 * characters are refused), resolved against the folders of the run that reads the journal; the
 * folders it was written for are recorded and must be the folders it is found in.
 */
final class Journal {
  static final String FILE_NAME = "kcert-journal";
  static final String IN_PROGRESS = "in-progress";
  static final String COMPLETE = "complete";
  static final String ROLLED_BACK = "rolled-back";

  static final String VERSION = "2";
  /** Digest field of a file that did not exist, and owner fields of a new file. */
  static final String NONE = "-";
  private static final String PKI = "pki/";
  private static final String KUBELET_PKI = "kubelet-pki/";

  private static final String HEADER =
      "# kcert: files replaced by one run; a run that stopped before 'state complete'"
          + " is undone from this folder by the next run";

  private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.+-]*");

  /**
   * One file of the run.
   *
   * @param name the file relative to the kubeconfig folder ({@code pki/...} for the PKI folder);
   *     also its backup's name relative to the backup folder
   * @param existed whether the file existed before the run (and so has a backup)
   * @param permissions its mode before the run ({@code null} when it did not exist)
   * @param uid its owner before the run ({@code -1} when it did not exist)
   * @param gid its group before the run ({@code -1} when it did not exist)
   * @param oldDigest SHA-256 of its content before the run ({@code null} when it did not exist)
   * @param newDigest SHA-256 of what the run writes into it
   */
  record Entry(
      String name,
      boolean existed,
      Set<PosixFilePermission> permissions,
      int uid,
      int gid,
      String oldDigest,
      String newDigest) {}

  /**
   * A parsed journal.
   *
   * @param state its state line
   * @param kubeconfigDir the kubeconfig folder it was written for
   * @param certDir the PKI folder it was written for
   * @param entries its files
   */
  record Parsed(String state, String kubeconfigDir, String certDir, List<Entry> entries) {}

  private Journal() {}

  static byte[] render(String state, PkiLayout layout, List<Entry> entries) {
    StringBuilder sb = new StringBuilder(HEADER).append('\n');
    sb.append("version\t").append(VERSION).append('\n');
    sb.append("state\t").append(state).append('\n');
    sb.append("kubeconfig-dir\t").append(folder(layout.kubeconfigDir())).append('\n');
    sb.append("cert-dir\t").append(folder(layout.certDir())).append('\n');
    for (Entry e : entries) {
      sb.append("file\t")
          .append(e.existed() ? "old" : "new")
          .append('\t')
          .append(e.existed() ? PosixFilePermissions.toString(e.permissions()) : NONE)
          .append('\t')
          .append(e.existed() ? Integer.toString(e.uid()) : NONE)
          .append('\t')
          .append(e.existed() ? Integer.toString(e.gid()) : NONE)
          .append('\t')
          .append(e.existed() ? e.oldDigest() : NONE)
          .append('\t')
          .append(e.newDigest())
          .append('\t')
          .append(e.name())
          .append('\n');
    }
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** A folder as journals record it: absolute and normalized. */
  static String folder(Path dir) {
    return dir.toAbsolutePath().normalize().toString();
  }

  /**
   * Reads a journal and checks every line.
   *
   * @throws KcertException naming {@code file} when a line is malformed or a name not plain
   */
  static Parsed parse(byte[] journal, Path file) {
    String text = new String(journal, StandardCharsets.UTF_8);
    if (!text.lines().anyMatch(l -> l.equals("version\t" + VERSION))) {
      throw KcertException.about(
          file,
          "a journal of another kcert version, without the digests that make a restore safe;"
              + " nothing was restored. Check the files (the old ones are in this folder), then"
              + " delete this journal to go on");
    }
    String version = null;
    String state = null;
    String kcDir = null;
    String certDir = null;
    List<Entry> entries = new ArrayList<>();
    int n = 0;
    for (String line : text.split("\n", -1)) {
      n++;
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String[] f = line.split("\t", -1);
      switch (f[0]) {
        case "version" -> version = single(f, file, n);
        case "state" -> state = single(f, file, n);
        case "kubeconfig-dir" -> kcDir = single(f, file, n);
        case "cert-dir" -> certDir = single(f, file, n);
        case "file" -> entries.add(entry(f, file, n));
        default -> throw malformed(file, n);
      }
    }
    if (!VERSION.equals(version)) {
      throw KcertException.about(file, "journal has more than one version line");
    }
    if (state == null || kcDir == null || certDir == null) {
      throw KcertException.about(file, "journal lacks its state or its folders");
    }
    if (!List.of(IN_PROGRESS, COMPLETE, ROLLED_BACK).contains(state)) {
      throw KcertException.about(file, "journal has an unknown state");
    }
    return new Parsed(state, kcDir, certDir, List.copyOf(entries));
  }

  /**
   * The state line alone, read leniently (journals of earlier versions included); {@code null}
   * when there is none.
   */
  static String state(byte[] journal) {
    for (String line : new String(journal, StandardCharsets.UTF_8).split("\n", -1)) {
      if (line.startsWith("state\t")) {
        return line.substring("state\t".length());
      }
    }
    return null;
  }

  private static String single(String[] f, Path file, int line) {
    if (f.length != 2 || f[1].isEmpty()) {
      throw malformed(file, line);
    }
    return f[1];
  }

  private static Entry entry(String[] f, Path file, int line) {
    if (f.length != 8) {
      throw malformed(file, line);
    }
    boolean existed;
    if (f[1].equals("old")) {
      existed = true;
    } else if (f[1].equals("new")) {
      existed = false;
    } else {
      throw malformed(file, line);
    }
    String name = f[7];
    if (!plainName(name)) {
      throw KcertException.about(
          file, "line " + line + ": target is not a plain name below the kubeconfig folder");
    }
    if (!digest(f[6])) {
      throw malformed(file, line);
    }
    if (!existed) {
      if (!f[2].equals(NONE) || !f[3].equals(NONE) || !f[4].equals(NONE) || !f[5].equals(NONE)) {
        throw malformed(file, line);
      }
      return new Entry(name, false, null, -1, -1, null, f[6]);
    }
    try {
      Set<PosixFilePermission> perms = PosixFilePermissions.fromString(f[2]);
      int uid = Integer.parseInt(f[3]);
      int gid = Integer.parseInt(f[4]);
      if (uid < 0 || gid < 0 || !digest(f[5])) {
        throw malformed(file, line);
      }
      return new Entry(name, true, perms, uid, gid, f[5], f[6]);
    } catch (IllegalArgumentException e) {
      throw malformed(file, line);
    }
  }

  /**
   * Whether {@code name} is a plain relative name: segments of letters, digits and {@code _ . + -},
   * none empty, none starting with a dot ({@code .} and {@code ..} included), and not in {@code tmp/}.
   */
  static boolean plainName(String name) {
    if (name.isEmpty() || name.length() > 255 || name.equals("tmp") || name.startsWith("tmp/")) {
      return false; // tmp/ holds the backups and the lock
    }
    for (String s : name.split("/", -1)) {
      if (!SEGMENT.matcher(s).matches()) {
        return false;
      }
    }
    return true;
  }

  /**
   * The file a name stands for: below the PKI folder for {@code pki/...}, below the kubelet's
   * certificate folder for {@code kubelet-pki/...}, else below the kubeconfig folder.
   */
  static Path target(PkiLayout layout, String name) {
    if (name.startsWith(PKI)) {
      return layout.certDir().resolve(name.substring(PKI.length()));
    }
    if (name.startsWith(KUBELET_PKI)) {
      return layout.kubeletDir().resolve(name.substring(KUBELET_PKI.length()));
    }
    return layout.kubeconfigDir().resolve(name);
  }

  /**
   * The name of a file, the inverse of {@link #target}; a file outside the three folders gets a
   * name that stands for no file, so that installing it is refused.
   */
  static String name(PkiLayout layout, Path file) {
    Path abs = file.toAbsolutePath().normalize();
    Path certDir = layout.certDir().toAbsolutePath().normalize();
    Path kubeletDir = layout.kubeletDir().toAbsolutePath().normalize();
    Path kcDir = layout.kubeconfigDir().toAbsolutePath().normalize();
    if (abs.startsWith(certDir)) {
      return PKI + slashes(certDir.relativize(abs));
    }
    if (abs.startsWith(kubeletDir)) {
      return KUBELET_PKI + slashes(kubeletDir.relativize(abs));
    }
    if (abs.startsWith(kcDir)) {
      return slashes(kcDir.relativize(abs));
    }
    return "other/" + abs.getFileName();
  }

  private static String slashes(Path relative) {
    return relative.toString().replace('\\', '/');
  }

  static String sha256(byte[] content) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }

  private static boolean digest(String s) {
    return s.length() == 64 && s.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
  }

  private static KcertException malformed(Path file, int line) {
    // the line itself is not quoted: a journal is not meant to be shown, only read
    return KcertException.about(file, "malformed journal line " + line);
  }
}
