package dev.weft.perf;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import picocli.CommandLine.ITypeConverter;

/**
 * Parses human durations for the command line: a non-negative number followed by {@code ms},
 * {@code s}, {@code m} or {@code h} ({@code 500ms}, {@code 10s}, {@code 1.5s}), a bare number of
 * seconds, or an ISO-8601 duration ({@code PT10S}).
 */
public final class DurationParser implements ITypeConverter<Duration> {

  @Override
  public Duration convert(String value) {
    return parse(value);
  }

  /**
   * Parses {@code value}.
   *
   * @throws IllegalArgumentException naming the value and the accepted forms
   */
  public static Duration parse(String value) {
    String v = value.trim().toLowerCase(Locale.ROOT);
    try {
      if (v.startsWith("pt") || v.startsWith("p")) {
        return requireNonNegative(value, Duration.parse(v.toUpperCase(Locale.ROOT)));
      }
      long unitNanos;
      String number;
      if (v.endsWith("ms")) {
        unitNanos = 1_000_000L;
        number = v.substring(0, v.length() - 2);
      } else if (v.endsWith("s")) {
        unitNanos = 1_000_000_000L;
        number = v.substring(0, v.length() - 1);
      } else if (v.endsWith("m")) {
        unitNanos = 60_000_000_000L;
        number = v.substring(0, v.length() - 1);
      } else if (v.endsWith("h")) {
        unitNanos = 3_600_000_000_000L;
        number = v.substring(0, v.length() - 1);
      } else {
        unitNanos = 1_000_000_000L;
        number = v;
      }
      double amount = Double.parseDouble(number.trim());
      if (!Double.isFinite(amount) || amount < 0 || amount * unitNanos > Long.MAX_VALUE / 2.0) {
        throw invalid(value);
      }
      return Duration.ofNanos(Math.round(amount * unitNanos));
    } catch (NumberFormatException | DateTimeParseException e) {
      throw invalid(value);
    }
  }

  private static Duration requireNonNegative(String value, Duration d) {
    if (d.isNegative()) {
      throw invalid(value);
    }
    return d;
  }

  private static IllegalArgumentException invalid(String value) {
    return new IllegalArgumentException(
        "duration: '" + value + "' (expected: e.g. 500ms, 10s, 2m, 1h or PT10S)");
  }
}
