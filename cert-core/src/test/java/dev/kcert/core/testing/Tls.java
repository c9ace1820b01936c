package dev.kcert.core.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One TLS 1.2 handshake between {@code openssl s_server} (on loopback, requiring a client
 * certificate) and {@code openssl s_client}, each judging the other's certificate against its own
 * trust bundle, where any certificate is an anchor (Go's rule, so an intermediate CA in a bundle
 * is trusted as kube clients trust it: {@code -partial_chain}). Bounded: the server takes one connection and is killed after at most 30 seconds.
 */
public final class Tls {
  private Tls() {}

  /** The two sides: certificate, key and trust bundle files. */
  public record Side(Path cert, Path key, Path trust) {}

  /** Whether the handshake succeeds with both sides verifying the other. */
  public static boolean handshake(Path workDir, Side server, Side client) {
    int port = FakeNode.freePort();
    Process s = null;
    try {
      s = new ProcessBuilder(List.of("openssl", "s_server", "-accept", "127.0.0.1:" + port,
              "-cert", server.cert().toString(), "-key", server.key().toString(),
              "-CAfile", server.trust().toString(), "-partial_chain", "-Verify", "1", "-verify_return_error",
              "-tls1_2", "-naccept", "1"))
          .directory(workDir.toFile()).redirectErrorStream(true).start();
      BufferedReader r = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
      String line;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while ((line = r.readLine()) != null && !line.contains("ACCEPT")) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("openssl s_server did not start");
        }
      }
      if (line == null) {
        throw new AssertionError("openssl s_server exited before accepting");
      }
      Openssl.Result c = Openssl.run(workDir, "s_client", "-connect", "127.0.0.1:" + port,
          "-tls1_2", "-CAfile", client.trust().toString(), "-partial_chain", "-cert", client.cert().toString(),
          "-key", client.key().toString(), "-verify_return_error", "-brief");
      return c.exitCode() == 0 && c.output().contains("Verification: OK");
    } catch (IOException e) {
      throw new AssertionError("cannot run openssl s_server: " + e.getMessage(), e);
    } finally {
      if (s != null) {
        s.destroyForcibly();
      }
    }
  }
}
