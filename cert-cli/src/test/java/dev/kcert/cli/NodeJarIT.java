package dev.kcert.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kcert.core.testing.FakeNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** check-served and renew --restart from the packaged jar, in its own process, on a fake node. */
class NodeJarIT {
  @TempDir Path tmp;

  @Test
  void renewWithoutRestartIsCaughtAndRenewWithRestartFixesIt() throws Exception {
    Path etc = tmp.resolve("etc");
    try (FakeNode node = FakeNode.create(etc).start()) {
      List<String> dirs = List.of(Cli.dirs(etc));
      List<String> check = new ArrayList<>(List.of("certs", "check-served", "--kubelet-config", node.kubeletConfig().toString()));
      check.addAll(dirs);

      Result renewed = kcert(concat(List.of("certs", "renew", "etcd-server"), dirs));
      assertThat(renewed.code).as(renewed.err).isZero();
      Result stale = kcert(check);
      assertThat(stale.code).isEqualTo(ExitCodes.SERVED_DIFFERS);
      assertThat(stale.err).startsWith("error: etcd :" + node.port("etcd") + " serves a certificate other than ");

      node.kubelet().clearEvents();
      Result restart = kcert(concat(List.of("certs", "renew", "all", "--restart", "--restart-timeout", "30s"), dirs));
      assertThat(restart.code).as(restart.out + restart.err).isZero();
      assertThat(node.kubelet().starts())
          .containsExactly("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler");
      Result fresh = kcert(check);
      assertThat(fresh.code).as(fresh.out + fresh.err).isEqualTo(ExitCodes.OK);
    }
  }

  record Result(int code, String out, String err) {}

  static List<String> concat(List<String> a, List<String> b) {
    List<String> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }

  private Result kcert(List<String> args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("java", "-jar", KcertJarIT.JAR.toString()));
    cmd.addAll(args);
    Path errFile = tmp.resolve("stderr-" + System.nanoTime());
    Process p = new ProcessBuilder(cmd).redirectError(errFile.toFile()).start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("kcert finished").isTrue();
    return new Result(p.exitValue(), out, java.nio.file.Files.readString(errFile));
  }
}
