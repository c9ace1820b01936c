package dev.kcert.cli;

import dev.kcert.core.expiry.Durations;
import java.time.Duration;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Reads {@code 30d}, {@code 720h}, {@code 2w}, {@code 1d12h} and the like. */
public final class DurationConverter implements ITypeConverter<Duration> {
  @Override
  public Duration convert(String value) {
    try {
      return Durations.parse(value);
    } catch (IllegalArgumentException | ArithmeticException e) {
      throw new TypeConversionException(e.getMessage());
    }
  }
}
