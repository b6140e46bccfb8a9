package dev.weft.controlplane.ca;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/**
 * Parses command-line durations: a number with a unit {@code ms}, {@code s}, {@code m}, {@code h}
 * or {@code d} ({@code 90s}, {@code 24h}, {@code 3650d}), or an ISO-8601 duration ({@code PT1H}).
 */
public final class Durations implements CommandLine.ITypeConverter<Duration> {

  private static final Pattern SIMPLE = Pattern.compile("(\\d+)(ms|s|m|h|d)");

  /**
   * Parses a duration.
   *
   * @throws IllegalArgumentException naming the text and the accepted forms
   */
  public static Duration parse(String text) {
    Matcher matcher = SIMPLE.matcher(text.strip());
    if (matcher.matches()) {
      long amount;
      try {
        amount = Long.parseLong(matcher.group(1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("duration \"" + text + "\" is too large", e);
      }
      return switch (matcher.group(2)) {
        case "ms" -> Duration.ofMillis(amount);
        case "s" -> Duration.ofSeconds(amount);
        case "m" -> Duration.ofMinutes(amount);
        case "h" -> Duration.ofHours(amount);
        default -> Duration.ofDays(amount);
      };
    }
    try {
      return Duration.parse(text.strip());
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("duration \"" + text
          + "\" (expected: a number with unit ms, s, m, h or d such as 24h, or ISO-8601 such as PT24H)", e);
    }
  }

  @Override
  public Duration convert(String value) {
    try {
      return parse(value);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.TypeConversionException(e.getMessage());
    }
  }
}
