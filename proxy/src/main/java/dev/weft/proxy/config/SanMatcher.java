package dev.weft.proxy.config;

/**
 * Envoy's {@code SubjectAltNameMatcher}: a SAN type and a string match on its value.
 *
 * @param type    which SANs to look at
 * @param matcher how their values are compared
 */
public record SanMatcher(Type type, StringMatcher matcher) {

  /** SAN types, as in X.509 GeneralName. */
  public enum Type { URI, DNS, IP_ADDRESS, EMAIL }

  public boolean matches(String san) {
    return matcher.matches(san);
  }
}
