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
 * <p>{@code mvn -q -pl examples -am exec:java -Dexec.mainClass=dev.kcert.examples.MakePki
 * -Dexec.args="/tmp/etc-kubernetes cp-1 10.0.0.10"}
 */
public final class MakePki {
  private MakePki() {}

  public static void main(String[] args) {
    if (args.length != 3) {
      System.err.println("usage: MakePki DIR NODE-NAME ADVERTISE-ADDRESS");
      System.exit(2);
    }
    PkiGenerator.Plan plan = make(Path.of(args[0]), NodeParameters.of(args[1], args[2]), Clock.systemUTC());
    System.out.println("wrote " + plan.files().size() + " files below " + args[0]);
  }

  static PkiGenerator.Plan make(Path root, NodeParameters node, Clock clock) {
    return PkiGenerator.generate(
        PkiLayout.under(root), node, GenerationOptions.defaults(KeyAlgorithm.ECDSA_P256, clock));
  }
}
