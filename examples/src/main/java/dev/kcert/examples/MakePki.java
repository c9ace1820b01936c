package dev.kcert.examples;

import dev.kcert.core.generate.GenerationOptions;
import dev.kcert.core.generate.PkiGenerator;
import dev.kcert.core.keys.KeyAlgorithm;
import dev.kcert.core.pki.NodeParameters;
import dev.kcert.core.pki.PkiLayout;
import java.nio.file.Path;
import java.time.Clock;

/**
 * Makes a kubeadm-shaped PKI for one node with the library, as {@code kcert certs init} does.
 *
 * <p>{@code mvn -q -pl examples -am process-classes -Prun -Dexample=MakePki
 * -Dexample.args="/tmp/etc-kubernetes cp-1 10.0.0.10"}
 */
public final class MakePki {
  private MakePki() {}

  public static void main(String[] args) {
    System.exit(run(args, System.out));
  }

  /** The command line: {@code DIR NODE-NAME ADVERTISE-ADDRESS}. */
  static int run(String[] args, java.io.PrintStream out) {
    if (args.length != 3) {
      out.println("usage: MakePki DIR NODE-NAME ADVERTISE-ADDRESS");
      return 2;
    }
    PkiGenerator.Plan plan = make(Path.of(args[0]), NodeParameters.of(args[1], args[2]), Clock.systemUTC());
    out.println("wrote " + plan.files().size() + " files below " + args[0]);
    return 0;
  }

  static PkiGenerator.Plan make(Path root, NodeParameters node, Clock clock) {
    return PkiGenerator.generate(
        PkiLayout.under(root), node, GenerationOptions.defaults(KeyAlgorithm.ECDSA_P256, clock));
  }
}
