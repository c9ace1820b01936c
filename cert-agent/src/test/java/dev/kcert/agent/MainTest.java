package dev.kcert.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MainTest {
  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
    "--node-name= | kcert-agent: --node-name: empty; set it or NODE_NAME (the downward API's spec.nodeName)",
    "--lease=kcert-renewal | kcert-agent: --lease: expected NAMESPACE/NAME, not 'kcert-renewal'",
    "--renew-before=soon | kcert-agent: --renew-before: invalid duration 'soon': expected e.g. 30s, 10m, 2h, 367d",
    "--concurrency=0 | kcert-agent: --concurrency must be at least 1, not 0",
    "--alert-filter-regexp=( | kcert-agent: --alert-filter-regexp: Unclosed group",
    "--notify-url=ftp://x | kcert-agent: --notify-url: expected an http or https URL",
    "--days=someday | kcert-agent: --days: unknown day 'someday': expected e.g. mon,tue,wed",
  })
  void badOptionsFailOnOneLineWithExitCode2(String arg, String message) {
    StringWriter err = new StringWriter();
    String[] args = arg.startsWith("--node-name") ? new String[] {arg} : new String[] {"--node-name=cp-1", arg};
    assertThat(Main.run(new PrintWriter(err, true), args)).isEqualTo(2);
    assertThat(err.toString().strip()).isEqualTo(message);
  }
}
