package dev.kcert.bench;

import dev.kcert.core.fleet.FleetScan;
import dev.kcert.core.inventory.InventoryOptions;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;

/**
 * Streams check-expiration over 10, 1,000 and 10,000 node folders on one thread and prints, per
 * size: certificates, seconds, certificates per second, and the peak heap in use. Fleets smaller
 * than 10,000 folders are scanned several times over (the seconds are those of all passes). Run it with a
 * small heap (bench/run gives it 48 MiB): memory is flat when the largest fleet fits in the same
 * heap as the smallest.
 *
 * <p>Usage: {@code java -cp benchmarks.jar dev.kcert.bench.FleetMemory DIR [SIZE...]}
 */
public final class FleetMemory {
  private FleetMemory() {}

  public static void main(String[] args) throws IOException {
    Path dir = Path.of(args.length > 0 ? args[0] : System.getProperty("java.io.tmpdir"))
        .resolve("kcert-fleet-bench");
    Files.createDirectories(dir);
    int[] sizes = {10, 1000, 10000};
    if (args.length > 1) {
      sizes = new int[args.length - 1];
      for (int i = 1; i < args.length; i++) {
        sizes[i - 1] = Integer.parseInt(args[i]);
      }
    }
    System.out.println("folders\tcertificates\tseconds\tcerts_per_s\tpeak_heap_mib");
    // warm-up passes, so that every size is measured on compiled code
    List<Path> warm = BenchPki.fleet(dir, Math.min(1000, java.util.Arrays.stream(sizes).max().orElse(10)));
    for (int pass = 0; pass < 3; pass++) {
      FleetScan.scan(warm.iterator(), InventoryOptions.DEFAULT, Clock.systemUTC(), r -> {});
    }
    for (int size : sizes) {
      List<Path> roots = BenchPki.fleet(dir, size);
      settle();
      System.gc();
      resetPeaks();
      // a small fleet is scanned again until 10,000 folders have been read, for a rate worth quoting
      int passes = Math.max(1, 10_000 / size);
      long certs = 0;
      long start = System.nanoTime();
      for (int pass = 0; pass < passes; pass++) {
        certs += FleetScan.scan(roots.iterator(), InventoryOptions.DEFAULT, Clock.systemUTC(), r -> {});
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      System.out.printf(
          "%d\t%d\t%.3f\t%.0f\t%.1f%n", size, certs / passes, seconds, certs / seconds, peakHeapMib());
    }
  }

  /** Lets the kernel write out a fleet just made, so that its write-back does not share the scan's time. */
  private static void settle() {
    try {
      new ProcessBuilder("sync").inheritIO().start().waitFor();
    } catch (IOException e) {
      // no sync command: measure as it is
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void resetPeaks() {
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      pool.resetPeakUsage();
    }
  }

  private static double peakHeapMib() {
    long peak = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) {
        peak += pool.getPeakUsage().getUsed();
      }
    }
    return peak / (1024.0 * 1024.0);
  }
}
