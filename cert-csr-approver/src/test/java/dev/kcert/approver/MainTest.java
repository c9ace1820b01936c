package dev.kcert.approver;

import dev.kcert.kube.Durations;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kcert.core.approval.Cidr;
import dev.kcert.kube.ComponentCommand.BadOption;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.Field;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;
import picocli.CommandLine.Option;

class MainTest {

  static Settings parse(String... args) {
    Main main = new Main();
    new CommandLine(main).parseArgs(args);
    return main.settings();
  }

  @Test
  void helpListsEveryOptionWithItsEnvironmentVariable() {
    StringWriter out = new StringWriter();
    CommandLine cmd = new CommandLine(new Main());
    cmd.setOut(new PrintWriter(out));
    assertThat(cmd.execute("--help")).isZero();
    String help = out.toString();
    for (Field f : Main.class.getDeclaredFields()) {
      Option o = f.getAnnotation(Option.class);
      if (o == null) {
        continue;
      }
      String flag = o.names()[0];
      assertThat(help).as(flag).contains(flag);
      String env = "KCERT_APPROVER_" + flag.substring(2).toUpperCase().replace('-', '_');
      assertThat(o.defaultValue()).as(flag + " reads an environment variable").contains("${env:KCERT_APPROVER_");
      assertThat(help).as(flag + " names its variable").containsAnyOf("[" + env + "]", "[" + env + "S]");
    }
    assertThat(help).contains("--help", "--version");
  }

  @Test
  void defaults() {
    Settings s = parse();
    assertThat(s.dryRun()).isFalse();
    assertThat(s.workers()).isEqualTo(2);
    assertThat(s.leaderElection()).isTrue();
    assertThat(s.leaseName()).isEqualTo("kcert-csr-approver");
    assertThat(s.policy().maxExpiration()).isEqualTo(Duration.ofDays(367));
    assertThat(s.policy().nodeGracePeriod()).isEqualTo(Duration.ofMinutes(10));
    assertThat(s.policy().nodeRequestLimit()).isEqualTo(120);
    assertThat(s.policy().floodWindow()).isEqualTo(Duration.ofHours(24));
    assertThat(s.policy().maxSans()).isEqualTo(10);
    assertThat(s.policy().verifyDns()).isFalse();
    assertThat(s.policy().nodeDnsPattern()).isEmpty();
    assertThat(s.policy().nodeIpRanges()).isEmpty();
    assertThat(s.skipDeny()).isFalse();
    assertThat(s.names()).isEqualTo(Settings.NameFlags.NONE);
    assertThat(s.policy().keyPolicy().minRsaBits()).isEqualTo(2048);
    assertThat(s.policy().keyPolicy().ecCurves()).isEqualTo(Set.of("P-256", "P-384"));
    assertThat(s.policy().keyPolicy().allowEd25519()).isFalse();
    assertThat(s.policy().allowedDnsPatterns()).isEmpty();
    assertThat(s.identity()).isNotBlank();
  }

  @Test
  void readsEveryPolicyOption() {
    Settings s = parse("--dry-run", "--allowed-dns-pattern", "[a-z]+\\.nodes\\.example", "--allowed-dns-pattern",
        "edge-.*", "--allowed-ip-range", "10.0.0.0/8,fd00::/8", "--min-rsa-bits", "3072", "--ecdsa-curves", "P-384",
        "--allow-ed25519", "false", "--max-expiration", "30d", "--node-grace-period", "2m",
        "--ignore-non-node-requesters", "--node-request-limit", "3", "--flood-window", "1h", "--workers", "4",
        "--leader-elect", "false", "--identity", "me", "--node-dns-pattern", "[a-z0-9-]+\\.nodes\\.example",
        "--node-ip-ranges", "10.0.0.0/16,fd00::/64", "--verify-dns", "--max-sans", "4", "--skip-deny",
        "--service-cidr", "10.112.0.0/12,fd00:96::/112", "--cluster-domain", "corp.internal",
        "--control-plane-endpoint", "cp.example.com:6443", "--api-server-cert-sans", "k8s.example.com,192.0.2.10");
    assertThat(s.dryRun()).isTrue();
    assertThat(s.policy().allowedDnsPatterns()).extracting(p -> p.pattern())
        .containsExactly("[a-z]+\\.nodes\\.example", "edge-.*");
    assertThat(s.policy().allowedIpRanges()).containsExactly(Cidr.parse("10.0.0.0/8"), Cidr.parse("fd00::/8"));
    assertThat(s.policy().keyPolicy().minRsaBits()).isEqualTo(3072);
    assertThat(s.policy().keyPolicy().ecCurves()).containsExactly("P-384");
    assertThat(s.policy().keyPolicy().allowEd25519()).isFalse();
    assertThat(s.policy().maxExpiration()).isEqualTo(Duration.ofDays(30));
    assertThat(s.policy().nodeGracePeriod()).isEqualTo(Duration.ofMinutes(2));
    assertThat(s.policy().ignoreNonNodeRequesters()).isTrue();
    assertThat(s.policy().nodeRequestLimit()).isEqualTo(3);
    assertThat(s.policy().floodWindow()).isEqualTo(Duration.ofHours(1));
    assertThat(s.policy().nodeDnsPattern().orElseThrow().pattern()).isEqualTo("[a-z0-9-]+\\.nodes\\.example");
    assertThat(s.policy().nodeIpRanges()).containsExactly(Cidr.parse("10.0.0.0/16"), Cidr.parse("fd00::/64"));
    assertThat(s.policy().verifyDns()).isTrue();
    assertThat(s.policy().maxSans()).isEqualTo(4);
    assertThat(s.skipDeny()).isTrue();
    assertThat(s.names().serviceCidrs().orElseThrow())
        .containsExactly(Cidr.parse("10.112.0.0/12"), Cidr.parse("fd00:96::/112"));
    assertThat(s.names().clusterDomain()).contains("corp.internal");
    assertThat(s.names().controlPlaneEndpoint()).contains("cp.example.com:6443");
    assertThat(s.names().apiServerCertSans().orElseThrow()).containsExactly("k8s.example.com", "192.0.2.10");
    assertThat(s.workers()).isEqualTo(4);
    assertThat(s.leaderElection()).isFalse();
    assertThat(s.identity()).isEqualTo("me");
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource(delimiter = '|', value = {
    "--allowed-dns-pattern | ([a-z | --allowed-dns-pattern: invalid DNS pattern '([a-z': Unclosed character class",
    "--allowed-ip-range    | 10.0.0.0/40 | --allowed-ip-range: invalid CIDR '10.0.0.0/40': prefix must be 0..32",
    "--allowed-ip-range    | 10.1.0.0/8 | --allowed-ip-range: invalid CIDR '10.1.0.0/8': host bits are set after the /8 prefix",
    "--ecdsa-curves        | P-224 | --min-rsa-bits/--ecdsa-curves: unknown ECDSA curve 'P-224' (expected P-256, P-384 or P-521)",
    "--max-expiration      | soon | --max-expiration: invalid duration 'soon': expected e.g. 30s, 10m, 2h, 367d",
    "--workers             | 0 | --workers must be at least 1, not 0",
    "--max-expiration      | 368d | policy: maximum expiration must be at most 367 days, not 368 days",
    "--node-ip-ranges      | 10.0.0.1/8 | --node-ip-ranges: invalid CIDR '10.0.0.1/8': host bits are set after the /8 prefix",
    "--node-dns-pattern    | (x | --node-dns-pattern: invalid DNS pattern '(x': Unclosed group",
    "--service-cidr        | 10.96.0.0 | --service-cidr: invalid CIDR '10.96.0.0': expected ADDRESS/PREFIX",
    "--log-format          | xml | --log-format: expected text or json, not 'xml'",
    "--max-sans            | 0 | policy: maximum number of SANs must be at least 1, not 0",
  })
  void badConfigurationFailsAtStartWithAClearMessage(String option, String value, String message) {
    assertThatThrownBy(() -> parse(option, value)).isInstanceOf(BadOption.class).hasMessage(message);
  }

  @Test
  void runExitsWithTwoAndOneLineOnBadConfiguration() {
    java.io.PrintStream savedErr = System.err;
    java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
    System.setErr(new java.io.PrintStream(buf, true, java.nio.charset.StandardCharsets.UTF_8));
    int code;
    try {
      code = Main.run("--allowed-ip-range", "nonsense", "--http-port", "-1");
    } finally {
      System.setErr(savedErr);
    }
    assertThat(code).isEqualTo(2);
    assertThat(buf.toString(java.nio.charset.StandardCharsets.UTF_8).strip())
        .isEqualTo("kcert-csr-approver: --allowed-ip-range: invalid CIDR 'nonsense': expected ADDRESS/PREFIX");
  }

  @Test
  void theDefaultIdentityIsUniquePerProcess() {
    String a = Main.uniqueIdentity(java.util.Map.of("POD_NAME", "approver-7d9f", "HOSTNAME", "h"));
    String b = Main.uniqueIdentity(java.util.Map.of("POD_NAME", "approver-7d9f", "HOSTNAME", "h"));
    assertThat(a).startsWith("approver-7d9f_").isNotEqualTo(b);
    assertThat(Main.uniqueIdentity(java.util.Map.of("HOSTNAME", "laptop"))).matches("laptop_[0-9a-f-]{36}");
    assertThat(parse().identity()).isNotEqualTo(parse().identity());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"30s, PT30S", "10m, PT10M", "2h, PT2H", "367d, PT8808H", "PT90S, PT1M30S"})
  void durations(String text, String iso) {
    assertThat(Durations.parse(text)).isEqualTo(Duration.parse(iso));
  }
}
