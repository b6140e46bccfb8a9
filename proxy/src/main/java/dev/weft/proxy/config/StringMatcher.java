package dev.weft.proxy.config;

import com.google.re2j.Pattern;

/**
 * Envoy's {@code type.matcher.v3.StringMatcher}: one comparison of a whole string value.
 *
 * @param kind       how the value is compared
 * @param value      the string compared with (unused for {@link Kind#REGEX})
 * @param regex      the compiled RE2 pattern for {@link Kind#REGEX}, which must match the whole value
 * @param ignoreCase compare ASCII letters case-insensitively (not for {@link Kind#REGEX})
 */
public record StringMatcher(Kind kind, String value, Pattern regex, boolean ignoreCase) {

  /** The comparison a string matcher makes. */
  public enum Kind { EXACT, PREFIX, SUFFIX, CONTAINS, REGEX }

  public static StringMatcher exact(String value, boolean ignoreCase) {
    return new StringMatcher(Kind.EXACT, value, null, ignoreCase);
  }

  public static StringMatcher prefix(String value, boolean ignoreCase) {
    return new StringMatcher(Kind.PREFIX, value, null, ignoreCase);
  }

  public static StringMatcher suffix(String value, boolean ignoreCase) {
    return new StringMatcher(Kind.SUFFIX, value, null, ignoreCase);
  }

  public static StringMatcher contains(String value, boolean ignoreCase) {
    return new StringMatcher(Kind.CONTAINS, value, null, ignoreCase);
  }

  public static StringMatcher regex(Pattern pattern) {
    return new StringMatcher(Kind.REGEX, null, pattern, false);
  }

  /** Whether {@code v} matches; a {@code null} value (absent) never does. */
  public boolean matches(String v) {
    if (v == null) {
      return false;
    }
    return switch (kind) {
      case EXACT -> ignoreCase ? v.equalsIgnoreCase(value) : v.equals(value);
      case PREFIX -> v.regionMatches(ignoreCase, 0, value, 0, value.length());
      case SUFFIX -> v.length() >= value.length()
          && v.regionMatches(ignoreCase, v.length() - value.length(), value, 0, value.length());
      case CONTAINS -> ignoreCase ? RouteMatch.lower(v).contains(RouteMatch.lower(value)) : v.contains(value);
      case REGEX -> regex.matches(v);
    };
  }

  @Override
  public String toString() {
    return kind == Kind.REGEX ? "regex[" + regex.pattern() + "]"
        : kind.name().toLowerCase(java.util.Locale.ROOT) + "[" + value + (ignoreCase ? ", ignore_case]" : "]");
  }
}
