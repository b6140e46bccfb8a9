package dev.weft.proxy.config;

import com.google.re2j.Pattern;

/**
 * A header condition. Names are lower case; {@code :method}, {@code :path},
 * {@code :authority} and {@code :scheme} name the pseudo-headers. A repeated header is matched
 * against its values joined with "," (Envoy's behaviour).
 *
 * @param name   lower-case header name
 * @param kind   how the value is compared
 * @param value  the value to compare with (unused for PRESENT)
 * @param regex  compiled pattern for REGEX
 * @param ignoreCase compare case-insensitively (not for REGEX)
 * @param invert negate the result
 */
public record HeaderMatcher(String name, Kind kind, String value, Pattern regex, boolean ignoreCase, boolean invert) {

  /** The comparison a header matcher makes. */
  public enum Kind { EXACT, PREFIX, SUFFIX, CONTAINS, REGEX, PRESENT, ABSENT }

  /** Evaluates the matcher against a header value, {@code null} when the header is absent. */
  public boolean matches(String headerValue) {
    return invert != test(headerValue);
  }

  private boolean test(String v) {
    if (kind == Kind.ABSENT) {
      return v == null;
    }
    if (v == null) {
      return false;
    }
    return switch (kind) {
      case PRESENT -> true;
      case EXACT -> ignoreCase ? v.equalsIgnoreCase(value) : v.equals(value);
      case PREFIX -> v.regionMatches(ignoreCase, 0, value, 0, value.length());
      case SUFFIX -> v.length() >= value.length()
          && v.regionMatches(ignoreCase, v.length() - value.length(), value, 0, value.length());
      case CONTAINS -> ignoreCase
          ? RouteMatch.lower(v).contains(RouteMatch.lower(value))
          : v.contains(value);
      case REGEX -> regex.matches(v);
      case ABSENT -> false;
    };
  }
}
