package dev.kcert.approver;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kcert.core.approval.DnsAnswer;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class DnsVerifierTest {
  final AtomicLong nanos = new AtomicLong();
  final Map<String, AtomicInteger> asked = new ConcurrentHashMap<>();

  DnsVerifier verifier(DnsVerifier.Resolver r) {
    return new DnsVerifier(name -> {
      asked.computeIfAbsent(name, k -> new AtomicInteger()).incrementAndGet();
      return r.resolve(name);
    }, Duration.ofMillis(300), Duration.ofSeconds(30), nanos::get);
  }

  static InetAddress ip(String s) {
    try {
      return InetAddress.getByAddress(InetAddress.getByName(s).getAddress());
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void answersAreCachedForTheTtl() {
    try (DnsVerifier v = verifier(n -> new InetAddress[] {ip("10.0.0.11"), ip("10.0.0.11")})) {
      assertThat(v.lookup("node-a.example.com")).isEqualTo(new DnsAnswer.Addresses(Set.of(ip("10.0.0.11"))));
      nanos.addAndGet(Duration.ofSeconds(29).toNanos());
      v.lookup("node-a.example.com");
      assertThat(asked.get("node-a.example.com").get()).isEqualTo(1);
      nanos.addAndGet(Duration.ofSeconds(2).toNanos());
      v.lookup("node-a.example.com");
      assertThat(asked.get("node-a.example.com").get()).isEqualTo(2);
    }
  }

  @Test
  void failuresAreAskedAgainSoonerAndNeverBecomeAnswers() {
    try (DnsVerifier v = verifier(n -> {
      throw new UnknownHostException(n);
    })) {
      assertThat(v.lookup("gone.example.com")).isEqualTo(new DnsAnswer.Failed("no address found for gone.example.com"));
      nanos.addAndGet(DnsVerifier.FAILURE_TTL.toNanos());
      assertThat(v.lookup("gone.example.com")).isInstanceOf(DnsAnswer.Failed.class);
      assertThat(asked.get("gone.example.com").get()).isEqualTo(2);
    }
  }

  @Test
  void aLookupThatHangsTimesOutAndIsNotStartedTwice() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    try (DnsVerifier v = verifier(n -> {
      try {
        release.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return new InetAddress[] {ip("10.0.0.11")};
    })) {
      long t0 = System.nanoTime();
      assertThat(v.lookup("slow.example.com")).isEqualTo(new DnsAnswer.Failed("no answer within 300 ms"));
      assertThat((System.nanoTime() - t0) / 1e6).isLessThan(2000);
      assertThat(v.lookup("slow.example.com")).isInstanceOf(DnsAnswer.Failed.class);
      assertThat(asked.get("slow.example.com").get()).as("one query in flight per name").isEqualTo(1);
      release.countDown();
    }
  }
}
