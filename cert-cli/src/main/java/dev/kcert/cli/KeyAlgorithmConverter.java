package dev.kcert.cli;

import dev.kcert.core.keys.KeyAlgorithm;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Reads {@code RSA-2048}, {@code ECDSA-P256} and the other key types kcert generates. */
public final class KeyAlgorithmConverter implements ITypeConverter<KeyAlgorithm> {
  @Override
  public KeyAlgorithm convert(String value) {
    try {
      return KeyAlgorithm.parse(value);
    } catch (IllegalArgumentException e) {
      throw new TypeConversionException(e.getMessage());
    }
  }
}
