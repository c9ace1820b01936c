package dev.kcert.core.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import javax.security.auth.x500.X500Principal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CertificateInfoTest {
  /**
   * DNs in RFC 2253 form (the leftmost RDN is encoded last); expected values in encoding order,
   * joined with {@code ~}.
   */
  @ParameterizedTest(name = "{0}: {1} of {2}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '\'',
      value = {
        "kubelet client     | O  | CN=system:node:cp-1,O=system:nodes                | system:nodes",
        "kubelet client CN  | CN | CN=system:node:cp-1,O=system:nodes                | system:node:cp-1",
        "type in lower case | cn | CN=kubernetes-admin,O=kubeadm:cluster-admins      | kubernetes-admin",
        "two O, encoded order | O | CN=a,O=first,O=second                            | second~first",
        "no such attribute  | O  | CN=front-proxy-client                              | ''",
        "multi-valued RDN, O | O | CN=admin+O=system:masters                          | system:masters",
        "multi-valued RDN, CN | CN | CN=admin+O=system:masters                        | admin",
        "multi-valued and single | O | O=b+CN=x,O=a                                   | a~b",
        "escaped comma, plus, quote | CN | 'CN=a\\,b\\+c\\\"d'                          | 'a,b+c\"d'",
        "escaped leading hash and space | O | 'O=\\#x,O=\\ y'                           | ' y~#x'",
        "escaped backslash and semicolon | CN | 'CN=a\\\\b\\;c'                         | 'a\\b;c'",
        "non-string value   | CN | CN=#0403616263                                    | #0403616263",
      })
  void readsValuesInEncodingOrder(String name, String type, String dn, String expected) {
    List<String> want = expected.isEmpty() ? List.of() : Arrays.asList(expected.split("~", -1));
    assertThat(CertificateInfo.attributes(new X500Principal(dn), type)).isEqualTo(want);
  }

  @Test
  void unicodeValuesAreReturnedAsText() {
    assertThat(CertificateInfo.attributes(new X500Principal("CN=Jürgen,O=Zoë"), "O")).containsExactly("Zoë");
  }

  @Test
  void anUnknownTypeNameIsRefused() {
    assertThatThrownBy(() -> CertificateInfo.attributes(new X500Principal("CN=a"), "NOPE"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
