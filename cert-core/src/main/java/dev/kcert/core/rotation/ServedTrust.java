package dev.kcert.core.rotation;

import dev.kcert.core.model.KcertException;
import dev.kcert.core.node.ServedCheck;
import dev.kcert.core.node.ServingEndpoint;
import dev.kcert.core.node.TlsProbe;
import dev.kcert.core.pem.Certificates;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;

/**
 * The proof after a phase, on the wire: every port of this node whose certificate comes from the
 * CA being rotated serves a certificate that the phase's trust bundle accepts (signed by one of
 * its CAs and valid now). The certificates are fetched with the same TLS fetch as {@code kcert
 * certs check-served} ({@link TlsProbe}), so what is checked is what clients get, restarts
 * included.
 *
 * <p>A port belongs to the rotation when the certificate file it is configured with, or the
 * certificate it serves, is signed by the old or the new CA; the others (self-signed serving
 * certificates, other CAs) are rows marked {@code other CA} that do not count.
 *
 * <p>What the input can influence: the manifests and kubelet configuration name the ports and
 * files (read by the node package); a port's answer is judged only by its signature and dates.
 */
public final class ServedTrust {
  private ServedTrust() {}

  /**
   * One port.
   *
   * @param endpoint the port
   * @param servedBy {@code old}, {@code new}, {@code other} (another issuer), or {@code
   *     unreachable}
   * @param counts whether the port belongs to this rotation
   * @param ok whether it serves a certificate the phase's bundle accepts (true for ports that do
   *     not count)
   * @param okNext the same for the bundle of the phase after (the phase itself for the last)
   * @param detail why not, or empty
   */
  public record Row(ServingEndpoint endpoint, String servedBy, boolean counts, boolean ok,
      boolean okNext, String detail) {}

  /** Checks every endpoint against the trust bundle of {@code phase} of rotation {@code r}. */
  public static List<Row> check(Rotation r, Phase phase, List<ServingEndpoint> endpoints,
      TlsProbe probe, Instant now) {
    Rotation.Cas cas = r.cas();
    List<X509Certificate> bundle = cas.bundle(phase);
    List<X509Certificate> next = phase == Phase.NONE ? bundle : cas.bundle(phase.next().orElse(phase));
    List<Row> rows = new ArrayList<>();
    for (ServingEndpoint e : endpoints) {
      rows.add(check(e, cas, bundle, next, probe, now));
    }
    return rows;
  }

  private static Row check(ServingEndpoint e, Rotation.Cas cas, List<X509Certificate> bundle,
      List<X509Certificate> next, TlsProbe probe, Instant now) {
    boolean fileOfThisCa = false;
    if (e.certFile() != null) {
      try {
        X509Certificate disk = ServedCheck.readCertificate(e.certFile());
        fileOfThisCa = !cas.signerOf(disk).equals("other");
      } catch (KcertException ex) {
        // a missing or broken file: judged by what the port serves
      }
    }
    TlsProbe.Served served = probe.fetch(e.host(), e.port());
    if (!served.reached()) {
      return new Row(e, "unreachable", fileOfThisCa, !fileOfThisCa, !fileOfThisCa,
          fileOfThisCa ? served.error() : "");
    }
    X509Certificate leaf = served.leaf();
    String by = cas.signerOf(leaf);
    boolean counts = fileOfThisCa || !by.equals("other");
    if (!counts) {
      return new Row(e, by, false, true, true, "");
    }
    boolean signed = bundle.stream().anyMatch(ca -> Certificates.isSignedBy(leaf, ca));
    boolean signedNext = next.stream().anyMatch(ca -> Certificates.isSignedBy(leaf, ca));
    Date at = Date.from(now);
    boolean valid = !at.before(leaf.getNotBefore()) && !at.after(leaf.getNotAfter());
    String detail = !signed ? "signed by " + by + ", not by a CA of the phase's bundle"
        : !valid ? "not valid at " + now : "";
    return new Row(e, by, true, signed && valid, signedNext && valid, detail);
  }
}
