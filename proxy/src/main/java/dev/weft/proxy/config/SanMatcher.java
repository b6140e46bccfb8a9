package dev.weft.proxy.config;

import com.google.re2j.Pattern;

/**
 * Envoy's {@code SubjectAltNameMatcher}: a SAN type and a string match on its value.
 *
 * @param type       which SANs to look at
 * @param kind       how to compare (EXACT, PREFIX, SUFFIX, CONTAINS, REGEX)
 * @param value      the value to compare with
 * @param regex      compiled pattern for REGEX
 * @param ignoreCase compare case-insensitively
 */
public record SanMatcher(Type type, HeaderMatcher.Kind kind, String value, Pattern regex, boolean ignoreCase) {

  /** SAN types, numbered as in X.509 GeneralName where it matters. */
  public enum Type { URI, DNS, IP_ADDRESS, EMAIL }

  public boolean matches(String san) {
    return new HeaderMatcher("san", kind, value, regex, ignoreCase, false).matches(san);
  }
}
