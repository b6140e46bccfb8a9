package dev.weft.proxy.config;

import java.util.List;

/**
 * Applies a {@link HeaderMatcher} to a header for RBAC, value by value. Unlike routing, which
 * matches the values of a repeated header joined with ",", authorization must not let one value
 * hide another: {@code x-a: ok} plus {@code x-a: evil} must not slip past a deny on {@code evil}.
 *
 * <p>With {@link RbacConfig.Bias#MATCH} the header matches when any header line matches, any
 * comma-separated element of a line matches, or the joined value matches (what Envoy would
 * match). With {@link RbacConfig.Bias#NO_MATCH} it matches only when every header line matches.
 * An absent header is matched as {@code null} (so {@code present_match: false} works).
 */
final class RbacHeaderMatch {
  private RbacHeaderMatch() {}

  static boolean matches(HeaderMatcher m, RbacRequest r, RbacConfig.Bias bias) {
    List<String> values = r.headerValues(m.name());
    if (values.isEmpty()) {
      return m.matches(null);
    }
    if (bias == RbacConfig.Bias.NO_MATCH) {
      for (int i = 0, n = values.size(); i < n; i++) {
        if (!m.matches(values.get(i))) {
          return false;
        }
      }
      return true;
    }
    for (int i = 0, n = values.size(); i < n; i++) {
      String v = values.get(i);
      if (m.matches(v)) {
        return true;
      }
      if (v.indexOf(',') >= 0) {
        for (String element : v.split(",", -1)) {
          if (m.matches(element.trim())) {
            return true;
          }
        }
      }
    }
    return values.size() > 1 && m.matches(String.join(",", values));
  }
}
