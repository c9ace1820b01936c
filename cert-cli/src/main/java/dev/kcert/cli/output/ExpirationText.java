package dev.kcert.cli.output;

import dev.kcert.core.expiry.ExpiryEntry;
import dev.kcert.core.expiry.ExpiryReport;
import dev.kcert.core.expiry.HumanDuration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;

/**
 * The two tables of {@code kubeadm certs check-expiration}, byte for byte: certificates, a blank
 * line, certificate authorities. Rows kcert cannot read are shown as {@code !INVALID! <name>}, the
 * way kubeadm shows missing ones.
 */
public final class ExpirationText {
  /** Go's {@code "Jan 02, 2006 15:04 MST"} in UTC, as kubeadm's tables show dates. */
  public static final DateTimeFormatter DATE =
      DateTimeFormatter.ofPattern("MMM dd, yyyy HH:mm 'UTC'", Locale.ENGLISH)
          .withZone(ZoneOffset.UTC);

  private ExpirationText() {}

  public static String render(ExpiryReport report) {
    TabWriter tw = TabWriter.kubeadm();
    tw.line("CERTIFICATE\tEXPIRES\tRESIDUAL TIME\tCERTIFICATE AUTHORITY\tEXTERNALLY MANAGED");
    rows(tw, report.certificates(), true);
    tw.line("");
    tw.line("CERTIFICATE AUTHORITY\tEXPIRES\tRESIDUAL TIME\tEXTERNALLY MANAGED");
    rows(tw, report.authorities(), false);
    return tw.render();
  }

  /** One line per entry; the certificate table has a CA column, the CA table has not. */
  private static void rows(TabWriter tw, List<ExpiryEntry> entries, boolean caColumn) {
    for (ExpiryEntry e : entries) {
      if (!e.hasDate()) {
        tw.line(marker(e) + e.name() + (caColumn ? "\t\t\t\t" : "\t\t\t"));
      } else {
        tw.line(
            e.name()
                + "\t"
                + DATE.format(e.expirationDate())
                + "\t"
                + HumanDuration.format(e.residualSeconds())
                + "\t"
                + (caColumn ? e.caName() + "\t" : "")
                + yesNo(e.externallyManaged()));
      }
    }
  }

  private static String marker(ExpiryEntry e) {
    return e.missing() ? "!MISSING! " : "!INVALID! ";
  }

  /** Go's {@code %-8v} of a yes/no word. */
  private static String yesNo(boolean b) {
    return b ? "yes     " : "no      ";
  }
}
