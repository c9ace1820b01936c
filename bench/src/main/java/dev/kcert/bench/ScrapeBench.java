package dev.kcert.bench;

import dev.kcert.agent.metrics.X509Metrics;
import dev.kcert.core.pki.PkiLayout;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Arrays;
import java.util.List;

/**
 * One metrics scrape of a full kubeadm node (RSA-2048, every file read again and rendered in the
 * Prometheus text format), timed over many scrapes in one JVM after a warm-up, and the first scrape
 * of a fresh JVM. Prints: first-ms median-ms p99-ms series peak-rss-MiB (tab-separated).
 */
public final class ScrapeBench {
  private ScrapeBench() {}

  public static void main(String[] args) throws IOException {
    Path work = Path.of(args[0]);
    int runs = Integer.parseInt(args[1]);
    PkiLayout layout = PkiLayout.under(BenchPki.node(work));
    X509Metrics metrics = new X509Metrics(layout, Clock.systemUTC(), List::of);
    long t0 = System.nanoTime();
    String text = X509Metrics.render(metrics.collect());
    double first = (System.nanoTime() - t0) / 1e6;
    for (int i = 0; i < Math.max(20, runs / 5); i++) {
      X509Metrics.render(metrics.collect());
    }
    double[] ms = new double[runs];
    for (int i = 0; i < runs; i++) {
      long s = System.nanoTime();
      X509Metrics.render(metrics.collect());
      ms[i] = (System.nanoTime() - s) / 1e6;
    }
    Arrays.sort(ms);
    long series = text.lines().filter(l -> l.startsWith("x509_cert_not_after{")).count();
    System.out.printf(
        "%.1f\t%.2f\t%.2f\t%d\t%d%n",
        first, ms[runs / 2], ms[(int) Math.min(runs - 1, Math.ceil(runs * 0.99) - 1)], series, peakRssMiB());
  }

  private static long peakRssMiB() throws IOException {
    Path status = Path.of("/proc/self/status");
    if (!Files.exists(status)) {
      return -1;
    }
    for (String line : Files.readAllLines(status)) {
      if (line.startsWith("VmHWM:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
      }
    }
    return -1;
  }
}
