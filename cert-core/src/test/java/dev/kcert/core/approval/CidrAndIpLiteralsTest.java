package dev.kcert.core.approval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class CidrAndIpLiteralsTest {

  @ParameterizedTest(name = "{0} contains {1}: {2}")
  @CsvSource({
    "10.0.0.0/8, 10.255.1.2, true",
    "10.0.0.0/8, 11.0.0.1, false",
    "192.0.2.128/25, 192.0.2.128, true",
    "192.0.2.128/25, 192.0.2.127, false",
    "0.0.0.0/0, 8.8.8.8, true",
    "0.0.0.0/0, ::1, false",
    "fd00::/8, fd12:3456::1, true",
    "fd00::/8, fe80::1, false",
    "2001:db8::1/128, 2001:db8::1, true",
    "2001:db8::1/128, 2001:db8::2, false",
  })
  void contains(String cidr, String ip, boolean expected) throws Exception {
    assertThat(Cidr.parse(cidr).contains(InetAddress.getByName(ip))).isEqualTo(expected);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
    "10.0.0.0       | invalid CIDR '10.0.0.0': expected ADDRESS/PREFIX",
    "10.0.0.0/33    | invalid CIDR '10.0.0.0/33': prefix must be 0..32",
    "fd00::/129     | invalid CIDR 'fd00::/129': prefix must be 0..128",
    "10.0.0.1/8     | invalid CIDR '10.0.0.1/8': host bits are set after the /8 prefix",
    "example.com/8  | invalid CIDR 'example.com/8': not an IP address before '/'",
    "10.0.0.0/x     | invalid CIDR '10.0.0.0/x': prefix is not a number",
  })
  void rejectsBadCidrs(String text, String message) {
    assertThatThrownBy(() -> Cidr.parse(text)).isInstanceOf(IllegalArgumentException.class).hasMessage(message);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"10.0.0.1", "255.255.255.255", "::1", "fd00:10::11", "::ffff:10.0.0.1", "2001:db8:0:0:0:0:0:1"})
  void parsesLiterals(String text) throws Exception {
    assertThat(IpLiterals.parse(text)).contains(InetAddress.getByName(text));
  }

  @ParameterizedTest(name = "''{0}''")
  @ValueSource(strings = {"", "localhost", "node-a", "10.0.0", "10.0.0.256", "010.0.0.1", "1.2.3.4.5", "fe80::1%eth0",
      "[::1]", "::g", "a.b.c.d", "1e100.net"})
  void refusesEverythingElseWithoutResolvingIt(String text) {
    assertThat(IpLiterals.parse(text)).isEmpty();
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "10.0.0.1, 10.0.0.1",
    "::ffff:10.0.0.1, 10.0.0.1",
    "fd00:10:0:0:0:0:0:21, fd00:10::21",
    "0:0:0:0:0:0:0:1, ::1",
    "0:0:0:0:0:0:0:0, ::",
    "2001:db8:0:0:1:0:0:1, 2001:db8::1:0:0:1",
    "2001:db8:0:1:0:0:0:1, 2001:db8:0:1::1",
    "2001:DB8:0000:0001:0001:0001:0001:0001, 2001:db8:0:1:1:1:1:1",
    "fe80:0:0:0:0:0:0:0, fe80::",
  })
  void formatsAsRfc5952(String text, String expected) throws Exception {
    assertThat(IpLiterals.format(InetAddress.getByName(text))).isEqualTo(expected);
  }
}
