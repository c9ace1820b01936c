package dev.kcert.dist;

import dev.kcert.cli.Kcert;
import java.io.File;
import java.io.IOException;
import java.time.Clock;
import picocli.CommandLine;
import picocli.codegen.docgen.manpage.ManPageGenerator;

/**
 * Writes the AsciiDoc sources of kcert's man pages (one per command, {@code kcert-certs-renew.adoc}
 * and so on) from the same command model the program runs, with picocli's generator; the build
 * turns them into man(1) pages with Asciidoctor.
 */
public final class ManPages {
  private ManPages() {}

  /** The generator leaves out a footer without a heading; kcert's footers hold examples and exit codes. */
  static void withFooterHeadings(CommandLine cl) {
    if (cl.getCommandSpec().usageMessage().footer().length > 0
        && cl.getCommandSpec().usageMessage().footerHeading().isEmpty()) {
      cl.getCommandSpec().usageMessage().footerHeading("Examples and exit codes");
    }
    cl.getSubcommands().values().forEach(ManPages::withFooterHeadings);
  }

  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      System.err.println("usage: ManPages OUTPUT_DIR");
      System.exit(2);
    }
    CommandLine cl = Kcert.newCommandLine(Clock.systemUTC());
    withFooterHeadings(cl);
    int code =
        ManPageGenerator.generateManPage(
            new File(args[0]), null, new boolean[0], true, cl.getCommandSpec());
    if (code != 0) {
      System.err.println("ManPages: the generator failed with exit code " + code);
      System.exit(code);
    }
  }
}
