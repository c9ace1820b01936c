package dev.kcert.core.rotation;

import dev.kcert.core.model.KcertException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The record of one CA's rotation on this node, kept in {@code <cert-dir>/kcert-rotation/<ca>/state}
 * and replaced atomically after each phase.
 *
 * @param caName the CA ({@code ca}, {@code front-proxy-ca}, {@code etcd-ca})
 * @param phase the last phase that completed
 * @param signerFlag the controller manager's original {@code --cluster-signing-cert-file} value,
 *     while it points at the single-certificate copy; empty otherwise
 * @param backups the backup folder each phase wrote, as {@code phase<TAB>folder}
 */
public record RotationState(String caName, Phase phase, String signerFlag, List<String> backups) {
  static final String FILE_NAME = "state";
  private static final String HEADER =
      "# kcert: where this CA's rotation stands on this node; written after each phase";

  public RotationState {
    backups = List.copyOf(backups);
    signerFlag = signerFlag == null ? "" : signerFlag;
  }

  RotationState withPhase(Phase p) {
    return new RotationState(caName, p, signerFlag, backups);
  }

  RotationState withSignerFlag(String flag) {
    return new RotationState(caName, phase, flag, backups);
  }

  RotationState withBackup(Phase p, Path dir) {
    List<String> b = new ArrayList<>(backups);
    b.add(p.command() + "\t" + dir.toAbsolutePath());
    return new RotationState(caName, phase, signerFlag, b);
  }

  byte[] render() {
    StringBuilder sb = new StringBuilder(HEADER).append('\n');
    sb.append("ca\t").append(caName).append('\n');
    sb.append("phase\t").append(phase.command()).append('\n');
    if (!signerFlag.isEmpty()) {
      sb.append("signer-flag\t").append(signerFlag).append('\n');
    }
    for (String b : backups) {
      sb.append("backup\t").append(b).append('\n');
    }
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  static RotationState parse(byte[] text, Path file) {
    String ca = null;
    Phase phase = null;
    String signer = "";
    List<String> backups = new ArrayList<>();
    for (String line : new String(text, StandardCharsets.UTF_8).lines().toList()) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      String[] kv = line.split("\t", 2);
      if (kv.length != 2) {
        throw KcertException.about(file, "malformed rotation state line: " + line);
      }
      switch (kv[0]) {
        case "ca" -> ca = kv[1];
        case "phase" -> {
          try {
            phase = Phase.ofCommand(kv[1]);
          } catch (IllegalArgumentException e) {
            throw KcertException.about(file, "unknown rotation phase \"" + kv[1] + "\"", e);
          }
        }
        case "signer-flag" -> signer = kv[1];
        case "backup" -> backups.add(kv[1]);
        default -> throw KcertException.about(file, "unknown rotation state field " + kv[0]);
      }
    }
    if (ca == null || phase == null) {
      throw KcertException.about(file, "rotation state lacks its ca or phase line");
    }
    return new RotationState(ca, phase, signer, backups);
  }
}
