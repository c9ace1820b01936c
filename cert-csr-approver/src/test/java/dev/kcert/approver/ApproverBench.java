package dev.kcert.approver;

import dev.kcert.core.csr.KubeletCsrs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;

/**
 * Measures the packaged approver, run as its own process against the fabric8 mock API server in
 * this one:
 *
 * <ol>
 *   <li>backlog: {@code BACKLOG} pending kubelet-serving CSRs with their Nodes exist before the
 *       approver starts; the time from starting the process until every one is decided;
 *   <li>stream: once the backlog's Events are written (they trail its decisions), {@code RATE} new
 *       Nodes with their CSRs per second for {@code SECONDS} seconds; the time from each CSR's
 *       creation to its approval (p50, p99, max);
 *   <li>the approver process's peak resident memory over both (VmHWM).
 * </ol>
 *
 * <p>Prints one tab-separated line: {@code backlog_count backlog_s stream_count p50_ms p99_ms
 * max_ms peak_rss_mib}. Usage: {@code ApproverBench JAR [BACKLOG [RATE [SECONDS]]]}; the system
 * properties {@code kcert.approver.jvm} and {@code kcert.approver.workers} change the approver's JVM
 * options and worker count (default 4).
 */
public final class ApproverBench {
  /** The JVM options of the approver's image, with the heap of a 256 MiB memory limit. */
  static final String JVM =
      "-XX:+UseSerialGC -Xmx128m -Xss256k -XX:-UsePerfData -XX:TieredStopAtLevel=1"
          + " -XX:ReservedCodeCacheSize=32m -XX:MaxDirectMemorySize=16m";

  private ApproverBench() {}

  public static void main(String[] args) throws Exception {
    Path jar = Path.of(args[0]);
    int backlog = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
    int rate = args.length > 2 ? Integer.parseInt(args[2]) : 50;
    int seconds = args.length > 3 ? Integer.parseInt(args[3]) : 20;
    int streamed = rate * seconds;

    System.err.println("approver bench: making " + (backlog + streamed) + " kubelet requests");
    List<byte[]> requests =
        IntStream.range(0, backlog + streamed).parallel()
            .mapToObj(i -> KubeletCsrs.forNode(node(i)).key("EC-256").dns(node(i)).ip(ip(i)).pem())
            .toList();

    Path dir = Files.createTempDirectory("kcert-approver-bench");
    Path kubeconfig = dir.resolve("kubeconfig");
    try (MockCluster cluster = new MockCluster()) {
      Demo.writeKubeconfig(kubeconfig, cluster.url());
      for (int i = 0; i < backlog; i++) {
        cluster.createNode(node(i), "Hostname", node(i), "InternalIP", ip(i));
        cluster.createCsr(csr(i), node(i), requests.get(i));
      }

      long start = System.nanoTime();
      List<String> command = new java.util.ArrayList<>();
      command.add("java");
      // the image's JVM settings (its image's entrypoint, dist's Images.java), with the heap a 256 MiB pod limit gives it
      command.addAll(List.of(System.getProperty("kcert.approver.jvm", JVM).trim().split("\\s+")));
      command.addAll(List.of("-jar", jar.toString(), "--kubeconfig", kubeconfig.toString(),
          "--leader-elect=false", "--http-port=-1", "--workers=" + System.getProperty("kcert.approver.workers", "4")));
      Process approver =
          new ProcessBuilder(command)
              .redirectOutput(dir.resolve("approver.log").toFile())
              .redirectErrorStream(true)
              .start();
      AtomicLong peakRss = new AtomicLong();
      Thread sampler = new Thread(() -> sampleRss(approver.pid(), peakRss), "rss-sampler");
      sampler.setDaemon(true);
      sampler.start();
      try {
        awaitDecided(cluster, 0, backlog, 60);
        double backlogSeconds = (System.nanoTime() - start) / 1e9;
        // the backlog's Events trail its decisions; the stream is measured once they are written
        long settling = System.nanoTime();
        awaitEvents(cluster, backlog, 60);
        System.err.printf(Locale.ROOT, "approver bench: the backlog's events were written %.1f s after its last decision%n",
            (System.nanoTime() - settling) / 1e9);

        long[] created = new long[streamed];
        long period = TimeUnit.SECONDS.toNanos(1) / rate;
        long t0 = System.nanoTime();
        for (int k = 0; k < streamed; k++) {
          int i = backlog + k;
          long due = t0 + k * period;
          long wait = due - System.nanoTime();
          if (wait > 0) {
            TimeUnit.NANOSECONDS.sleep(wait);
          }
          cluster.createNode(node(i), "Hostname", node(i), "InternalIP", ip(i));
          cluster.createCsr(csr(i), node(i), requests.get(i));
          created[k] = System.nanoTime();
        }
        awaitDecided(cluster, backlog, streamed, 60);
        double[] latencies = new double[streamed];
        for (int k = 0; k < streamed; k++) {
          latencies[k] = (cluster.firstApprovalNanos.get(csr(backlog + k)) - created[k]) / 1e6;
        }
        Arrays.sort(latencies);
        readRss(approver.pid(), peakRss);
        System.out.printf(Locale.ROOT, "%d\t%.2f\t%d\t%.1f\t%.1f\t%.1f\t%.1f%n",
            backlog, backlogSeconds, streamed, pct(latencies, 50), pct(latencies, 99),
            latencies[streamed - 1], peakRss.get() / 1024.0);
      } finally {
        approver.destroy();
        if (!approver.waitFor(10, TimeUnit.SECONDS)) {
          approver.destroyForcibly();
        }
        Files.deleteIfExists(kubeconfig);
      }
    }
  }

  private static void awaitDecided(MockCluster cluster, int from, int count, int timeoutSeconds)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
    while (true) {
      int decided = 0;
      for (int i = from; i < from + count; i++) {
        if (cluster.firstApprovalNanos.containsKey(csr(i))) {
          decided++;
        }
      }
      if (decided == count) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "only " + decided + " of " + count + " requests decided in " + timeoutSeconds + " s");
      }
      TimeUnit.MILLISECONDS.sleep(5);
    }
  }

  /** Polls five times a second: listing every Event is itself work for the single-threaded mock. */
  private static void awaitEvents(MockCluster cluster, int count, int timeoutSeconds)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
    while (cluster.client().v1().events().inNamespace("default").list().getItems().size() < count) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("fewer than " + count + " events in " + timeoutSeconds + " s");
      }
      TimeUnit.MILLISECONDS.sleep(200);
    }
  }

  private static void sampleRss(long pid, AtomicLong peak) {
    while (!Thread.currentThread().isInterrupted()) {
      readRss(pid, peak);
      try {
        TimeUnit.MILLISECONDS.sleep(50);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /** The process's peak resident set (VmHWM), in KiB. */
  private static void readRss(long pid, AtomicLong peak) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (line.startsWith("VmHWM:")) {
          long kib = Long.parseLong(line.replaceAll("[^0-9]", ""));
          peak.accumulateAndGet(kib, Math::max);
        }
      }
    } catch (IOException | RuntimeException e) {
      // the process has ended; the last reading stands
    }
  }

  private static double pct(double[] sorted, int p) {
    int idx = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, idx))];
  }

  private static String node(int i) {
    return "node-" + i;
  }

  private static String csr(int i) {
    return "csr-" + i;
  }

  private static String ip(int i) {
    return "10.1." + (i / 250) + "." + (1 + i % 250);
  }
}
