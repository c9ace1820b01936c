package dev.kcert.agent.metrics;

import dev.kcert.core.node.ServedCheck;
import dev.kcert.core.pki.PkiLayout;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.x500.AttributeTypeAndValue;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;

/**
 * The node's certificates as Prometheus metrics, with the names and labels of enix's
 * x509-certificate-exporter, so that its dashboards and alerts work unchanged: {@code
 * x509_cert_not_after}, {@code x509_cert_not_before}, {@code x509_cert_expired} (one series per
 * certificate, labels {@code serial_number} (decimal), {@code subject_C/ST/L/O/OU/CN}, {@code
 * issuer_C/ST/L/O/OU/CN}, {@code filename}, {@code filepath}, {@code embedded_kind}, {@code
 * embedded_key}; labels that do not apply are empty, as the exporter's documentation says) and
 * {@code x509_read_errors}; plus kcert's {@code kcert_cert_served_matches_disk{component,port}}
 * from the latest served-certificate check (1 when the port serves its file, 0 when it serves
 * another certificate; ports that were not reached or have no file are left out).
 *
 * <p>Each collection reads the files again; the served check is not run here (it connects to six
 * ports) but handed in by whoever runs it on its own schedule.
 */
public final class X509Metrics implements MultiCollector {
  /** The per-certificate labels, in the exporter's documented set. */
  public static final List<String> CERT_LABELS =
      List.of(
          "serial_number",
          "subject_C",
          "subject_ST",
          "subject_L",
          "subject_O",
          "subject_OU",
          "subject_CN",
          "issuer_C",
          "issuer_ST",
          "issuer_L",
          "issuer_O",
          "issuer_OU",
          "issuer_CN",
          "filename",
          "filepath",
          "embedded_kind",
          "embedded_key");

  private static final List<ASN1ObjectIdentifier> DN_FIELDS =
      List.of(BCStyle.C, BCStyle.ST, BCStyle.L, BCStyle.O, BCStyle.OU, BCStyle.CN);

  private final PkiLayout layout;
  private final Clock clock;
  private final Supplier<List<ServedCheck.Result>> served;

  /**
   * @param served the latest served-certificate check, or an empty list when none ran yet
   */
  public X509Metrics(PkiLayout layout, Clock clock, Supplier<List<ServedCheck.Result>> served) {
    this.layout = layout;
    this.clock = clock;
    this.served = served;
  }

  @Override
  public MetricSnapshots collect() {
    NodeCertificates.Scan scan = NodeCertificates.read(layout);
    double now = clock.instant().getEpochSecond();
    GaugeSnapshot.Builder notAfter =
        GaugeSnapshot.builder().name("x509_cert_not_after").help("Certificate's NotAfter, as a Unix time");
    GaugeSnapshot.Builder notBefore =
        GaugeSnapshot.builder().name("x509_cert_not_before").help("Certificate's NotBefore, as a Unix time");
    GaugeSnapshot.Builder expired =
        GaugeSnapshot.builder().name("x509_cert_expired").help("1 if the certificate has expired, else 0");
    Set<Labels> seen = new HashSet<>();
    for (NodeCertificates.Found f : scan.certificates()) {
      Labels labels = labels(f);
      if (!seen.add(labels)) {
        continue; // the same certificate twice in one bundle
      }
      X509Certificate c = f.certificate();
      double after = c.getNotAfter().toInstant().getEpochSecond();
      notAfter.dataPoint(point(labels, after));
      notBefore.dataPoint(point(labels, c.getNotBefore().toInstant().getEpochSecond()));
      expired.dataPoint(point(labels, now > after ? 1 : 0));
    }
    GaugeSnapshot errors =
        GaugeSnapshot.builder()
            .name("x509_read_errors")
            .help("Number of files that could not be read in the last collection")
            .dataPoint(GaugeDataPointSnapshot.builder().value(scan.errors().size()).build())
            .build();
    GaugeSnapshot.Builder matches =
        GaugeSnapshot.builder()
            .name("kcert_cert_served_matches_disk")
            .help("1 if the port serves the certificate in the file its component is configured with, 0 if not");
    for (ServedCheck.Result r : served.get()) {
      if (r.status() == ServedCheck.Status.MATCH || r.status() == ServedCheck.Status.DIFFERS) {
        matches.dataPoint(
            point(
                Labels.of(
                    "component", r.endpoint().component().podName(),
                    "port", Integer.toString(r.endpoint().port())),
                r.status() == ServedCheck.Status.MATCH ? 1 : 0));
      }
    }
    List<io.prometheus.metrics.model.snapshots.MetricSnapshot> all = new ArrayList<>();
    all.add(notAfter.build());
    all.add(notBefore.build());
    all.add(expired.build());
    all.add(errors);
    all.add(matches.build());
    return new MetricSnapshots(all);
  }

  /** Renders snapshots in the Prometheus text format (version 0.0.4). */
  public static String render(MetricSnapshots snapshots) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      PrometheusTextFormatWriter.create().write(out, snapshots);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  private static GaugeDataPointSnapshot point(Labels labels, double value) {
    return GaugeDataPointSnapshot.builder().labels(labels).value(value).build();
  }

  static Labels labels(NodeCertificates.Found f) {
    X509Certificate c = f.certificate();
    List<String> values = new ArrayList<>(CERT_LABELS.size());
    values.add(c.getSerialNumber().toString());
    values.addAll(dn(c.getSubjectX500Principal()));
    values.addAll(dn(c.getIssuerX500Principal()));
    values.add(f.file().getFileName().toString());
    values.add(f.file().toString());
    values.add(f.kind().label);
    values.add(f.key());
    return Labels.of(CERT_LABELS, values);
  }

  /** C, ST, L, O, OU and CN of a name; several values of one field are joined with commas. */
  private static List<String> dn(X500Principal principal) {
    X500Name name = X500Name.getInstance(principal.getEncoded());
    List<String> out = new ArrayList<>();
    for (ASN1ObjectIdentifier field : DN_FIELDS) {
      List<String> values = new ArrayList<>();
      for (RDN rdn : name.getRDNs(field)) {
        for (AttributeTypeAndValue tv : rdn.getTypesAndValues()) {
          if (tv.getType().equals(field)) {
            // the value as the certificate has it, unescaped, as the exporter shows it
            values.add(
                tv.getValue() instanceof ASN1String text
                    ? text.getString()
                    : IETFUtils.valueToString(tv.getValue()));
          }
        }
      }
      out.add(String.join(",", values));
    }
    return out;
  }
}
