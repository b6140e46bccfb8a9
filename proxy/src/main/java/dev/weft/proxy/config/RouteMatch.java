package dev.weft.proxy.config;

import com.google.re2j.Pattern;
import java.util.List;
import java.util.Locale;

/**
 * Envoy's route match: a path condition plus header conditions (which also carry method
 * matches, on the {@code :method} pseudo-header) and an optional gRPC-only flag.
 */
public record RouteMatch(PathMatch path, List<HeaderMatcher> headers, boolean grpcOnly) {

  public RouteMatch {
    headers = List.copyOf(headers);
  }

  /** A path condition; the path excludes the query string. */
  public sealed interface PathMatch {
    boolean matches(String path);

    /** Envoy's {@code prefix}. */
    record Prefix(String prefix, boolean caseSensitive) implements PathMatch {
      public boolean matches(String path) {
        return caseSensitive ? path.startsWith(prefix) : path.regionMatches(true, 0, prefix, 0, prefix.length());
      }
    }

    /** Envoy's {@code path}: the whole path. */
    record Exact(String path, boolean caseSensitive) implements PathMatch {
      public boolean matches(String p) {
        return caseSensitive ? p.equals(path) : p.equalsIgnoreCase(path);
      }
    }

    /** Envoy's {@code path_separated_prefix}: the prefix, then end of path or '/'. */
    record SeparatedPrefix(String prefix) implements PathMatch {
      public boolean matches(String p) {
        return p.startsWith(prefix) && (p.length() == prefix.length() || p.charAt(prefix.length()) == '/');
      }
    }

    /** Envoy's {@code safe_regex}: RE2 syntax, must match the whole path. */
    record Regex(Pattern pattern) implements PathMatch {
      public boolean matches(String path) {
        return pattern.matches(path);
      }

      @Override
      public String toString() {
        return "Regex[" + pattern.pattern() + "]";
      }
    }
  }

  /** Lower-cased header name helper shared by matchers. */
  static String lower(String s) {
    return s.toLowerCase(Locale.ROOT);
  }
}
