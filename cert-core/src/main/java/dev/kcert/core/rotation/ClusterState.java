package dev.kcert.core.rotation;

import dev.kcert.core.model.KcertException;
import dev.kcert.core.pki.AtomicFiles;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;

/**
 * What this node knows of the cluster side of a rotation, kept in {@code
 * <cert-dir>/kcert-rotation/<ca>/cluster} beside the node's {@code state} and replaced atomically.
 *
 * @param applied the last phase whose cluster side was done from this node ({@link Phase#NONE}
 *     when none)
 * @param pending a phase whose cluster side could not be done (the API server did not answer);
 *     {@code null} when none
 * @param trustChangedAt when the trust last changed ({@code trust-both} written on this node or
 *     on the cluster side): pods started before it hold the old CA alone; {@code null} before
 */
public record ClusterState(Phase applied, Phase pending, Instant trustChangedAt) {
  static final String FILE_NAME = "cluster";
  private static final String HEADER =
      "# kcert: the cluster side of this CA's rotation as done from this node";

  public static ClusterState empty() {
    return new ClusterState(Phase.NONE, null, null);
  }

  /** The file of a rotation. */
  public static Path file(Rotation r) {
    return r.dir().resolve(FILE_NAME);
  }

  /** Reads the file of {@code r}; {@link #empty()} when there is none. */
  public static ClusterState read(Rotation r) {
    Path f = file(r);
    if (!Files.isRegularFile(f)) {
      return empty();
    }
    Phase applied = Phase.NONE;
    Phase pending = null;
    Instant at = null;
    try {
      for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
        if (line.isBlank() || line.startsWith("#")) {
          continue;
        }
        String[] kv = line.split("\t", 2);
        if (kv.length != 2) {
          throw KcertException.about(f, "malformed line: " + line);
        }
        switch (kv[0]) {
          case "applied" -> applied = kv[1].equals("none") ? Phase.NONE : Phase.ofCommand(kv[1]);
          case "pending" -> pending = Phase.ofCommand(kv[1]);
          case "trust-changed" -> at = Instant.parse(kv[1]);
          default -> throw KcertException.about(f, "unknown field " + kv[0]);
        }
      }
    } catch (java.io.IOException e) {
      throw KcertException.about(f, "cannot read: " + KcertException.oneLine(e), e);
    } catch (IllegalArgumentException | DateTimeParseException e) {
      throw KcertException.about(f, KcertException.oneLine(e), e);
    }
    return new ClusterState(applied, pending, at);
  }

  /** Writes it for {@code r} (a flushed temporary file renamed over the old one). */
  public void write(Rotation r) {
    StringBuilder sb = new StringBuilder(HEADER).append('\n');
    sb.append("applied\t").append(applied.command()).append('\n');
    if (pending != null) {
      sb.append("pending\t").append(pending.command()).append('\n');
    }
    if (trustChangedAt != null) {
      sb.append("trust-changed\t").append(trustChangedAt).append('\n');
    }
    AtomicFiles.write(file(r), sb.toString().getBytes(StandardCharsets.UTF_8), AtomicFiles.PUBLIC);
  }

  public ClusterState withApplied(Phase p) {
    return new ClusterState(p, pending == p ? null : pending, trustChangedAt);
  }

  public ClusterState withPending(Phase p) {
    return new ClusterState(applied, p, trustChangedAt);
  }

  public ClusterState withTrustChangedAt(Instant at) {
    return new ClusterState(applied, pending, at);
  }
}
