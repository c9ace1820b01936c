package dev.kcert.core.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class EndpointsTest {
  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "lb.example.com,        lb.example.com:6443",
    "lb.example.com:443,    lb.example.com:443",
    "10.0.0.100,            10.0.0.100:6443",
    "10.0.0.100:8443,       10.0.0.100:8443",
    "fd00::1,               [fd00::1]:6443",
    "[fd00::1]:443,         [fd00::1]:443",
    "a-b.c1,                a-b.c1:6443",
  })
  void acceptsWhatKubeadmAccepts(String endpoint, String url) {
    Endpoints.checkHostPort(endpoint, "--control-plane-endpoint");
    assertThat(Endpoints.withPort(endpoint, 6443)).isEqualTo(url);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "https://lb:6443 | host 'https://lb:6443' must be an IP address or a lower-case DNS name",
        "lb example.com  | host 'lb example.com' must be an IP address",
        "lb..example.com | host 'lb..example.com' must be an IP address",
        ".lb             | host '.lb' must be an IP address",
        "LB.example.com  | host 'LB.example.com' must be an IP address",
        "lb:0            | port '0' must be a number from 1 to 65535",
        "lb:65536        | port '65536' must be a number from 1 to 65535",
        "lb:http         | port 'http' must be a number from 1 to 65535",
        "[fd00::1]       | host '[fd00::1]' must be an IP address",
        "-lb             | host '-lb' must be an IP address",
      })
  void refusesWhatKubeadmRefuses(String endpoint, String message) {
    assertThatThrownBy(() -> Endpoints.checkHostPort(endpoint, "--control-plane-endpoint"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("--control-plane-endpoint '" + endpoint + "': " + message);
  }
}
