package dev.kcert.core.keys;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kcert.core.pem.PrivateKeys;
import dev.kcert.core.testing.Openssl;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** openssl checks the RSA keys kcert makes: primality of p and q, n = pq, d, and the CRT values. */
class RsaKeysIT {
  @ParameterizedTest(name = "{0}")
  @EnumSource(
      value = KeyAlgorithm.class,
      names = {"RSA_2048", "RSA_3072", "RSA_4096"})
  void opensslAcceptsTheKey(KeyAlgorithm alg, @TempDir Path dir) throws Exception {
    KeyPair pair = alg.generate();
    Path key = dir.resolve("k.key");
    Files.writeString(key, PrivateKeys.toPem(pair), StandardCharsets.US_ASCII);
    assertThat(Openssl.ok(dir, "rsa", "-check", "-noout", "-in", key.toString()))
        .contains("RSA key ok");
    assertThat(Openssl.ok(dir, "rsa", "-text", "-noout", "-in", key.toString()))
        .contains("Private-Key: (" + alg.size() + " bit, 2 primes)");
  }
}
