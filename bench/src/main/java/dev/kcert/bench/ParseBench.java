package dev.kcert.bench;

import dev.kcert.core.expiry.ExpiryReport;
import dev.kcert.core.inventory.InventoryOptions;
import dev.kcert.core.inventory.PkiInventory;
import dev.kcert.core.pem.Certificates;
import dev.kcert.core.pki.PkiLayout;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Certificates per second on one thread: parsing PEM alone, and a whole node folder (certificates,
 * kubeconfigs, signature checks) through the same code path as check-expiration.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class ParseBench {
  private final List<byte[]> pems = new ArrayList<>();
  private List<Path> roots;
  private int next;
  private final Clock clock = Clock.systemUTC();

  @Setup
  public void setup() throws IOException {
    Path dir = Path.of(System.getProperty("kcert.bench.dir", System.getProperty("java.io.tmpdir")))
        .resolve("kcert-parse-bench");
    roots = BenchPki.variants(dir);
    for (Path root : roots) {
      try (Stream<Path> s = Files.walk(PkiLayout.under(root).certDir())) {
        for (Path p : s.filter(f -> f.toString().endsWith(".crt")).toList()) {
          pems.add(Files.readAllBytes(p));
        }
      }
    }
  }

  /** One PEM certificate parsed with the JDK's CertificateFactory; score = certificates/s. */
  @Benchmark
  public X509Certificate parsePem() {
    next = (next + 1) % pems.size();
    byte[] pem = pems.get(next);
    return Certificates.parseBundle(pem, "bench").get(0);
  }

  /**
   * A whole node (10 certificates + 4 kubeconfigs, signatures verified); score = nodes/s, so
   * certificates/s is 14 times the score.
   */
  @Benchmark
  public ExpiryReport node() {
    next = (next + 1) % roots.size();
    return ExpiryReport.of(PkiInventory.scan(PkiLayout.under(roots.get(next)), InventoryOptions.DEFAULT), clock);
  }
}
