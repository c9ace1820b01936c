package dev.kcert.core.node;

import dev.kcert.core.model.KcertException;
import dev.kcert.core.pem.Certificates;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Compares what each port of this node serves with the certificate file its component is configured
 * to serve: same serial and same public key, or the component is still serving an old certificate
 * (renewed but never restarted) or a file that is not the one it is configured with.
 */
public final class ServedCheck {
  private ServedCheck() {}

  /** The outcome for one port. */
  public enum Status {
    /** The port serves the certificate in the file. */
    MATCH,
    /** The port serves another certificate than the file's. */
    DIFFERS,
    /** The port could not be reached or did not complete a handshake. */
    UNREACHABLE,
    /** The component is configured with no certificate file (it makes its own at start-up). */
    NO_FILE,
    /** The configured file is missing or not a certificate. */
    FILE_ERROR
  }

  /**
   * One port's result.
   *
   * @param served the certificate the port served, or {@code null}
   * @param disk the certificate in the configured file, or {@code null}
   * @param message why it is unreachable or the file is unusable, else {@code null}
   */
  public record Result(
      ServingEndpoint endpoint,
      Status status,
      X509Certificate served,
      X509Certificate disk,
      String message) {}

  /** Checks every endpoint, one after another. */
  public static List<Result> check(List<ServingEndpoint> endpoints, TlsProbe probe) {
    List<Result> out = new ArrayList<>();
    for (ServingEndpoint e : endpoints) {
      out.add(check(e, probe));
    }
    return out;
  }

  public static Result check(ServingEndpoint e, TlsProbe probe) {
    X509Certificate disk = null;
    String fileError = null;
    if (e.certFile() != null) {
      try {
        disk = readCertificate(e.certFile());
      } catch (KcertException ex) {
        fileError = ex.getMessage();
      }
    }
    TlsProbe.Served served = probe.fetch(e.host(), e.port());
    if (fileError != null) {
      return new Result(e, Status.FILE_ERROR, served.leaf(), null, fileError);
    }
    if (!served.reached()) {
      return new Result(e, Status.UNREACHABLE, null, disk, served.error());
    }
    if (disk == null) {
      return new Result(e, Status.NO_FILE, served.leaf(), null, null);
    }
    return new Result(
        e, same(served.leaf(), disk) ? Status.MATCH : Status.DIFFERS, served.leaf(), disk, null);
  }

  /** The first certificate of a file (the kubelet's files hold a chain, or a key as well). */
  public static X509Certificate readCertificate(Path file) {
    if (!Files.isRegularFile(file)) {
      throw KcertException.about(file, Files.exists(file) ? "not a regular file" : "missing");
    }
    return Certificates.readBundle(file).get(0);
  }

  /** Same serial and same public key. */
  public static boolean same(X509Certificate a, X509Certificate b) {
    return a.getSerialNumber().equals(b.getSerialNumber())
        && Arrays.equals(a.getPublicKey().getEncoded(), b.getPublicKey().getEncoded());
  }
}
