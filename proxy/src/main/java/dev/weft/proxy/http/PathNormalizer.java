package dev.weft.proxy.http;

import dev.weft.proxy.config.PathNormalization;
import java.util.ArrayList;
import java.util.List;

/**
 * Normalizes an HTTP request target before it is routed, authorized and forwarded, following
 * Envoy's HTTP connection manager. A pure function of the target and the options.
 *
 * <p>Always, whatever the options:
 * <ul>
 *   <li>a fragment ({@code #}) is rejected, as Envoy does;</li>
 *   <li>control characters and spaces are rejected, and so is {@code %00} (an encoded NUL);</li>
 *   <li>a '%' not followed by two hex digits is rejected (RFC 3986 section 2.1), so no decoder
 *       downstream can read a different path from it;</li>
 *   <li>a target that is neither origin-form ({@code /path}), absolute-form
 *       ({@code http://host/path}) nor {@code *} is rejected;</li>
 *   <li>the query is kept as it is and is never part of the path.</li>
 * </ul>
 * Then, in Envoy's order: escaped slashes ({@code %2F}, {@code %5C}) are kept, rejected or
 * decoded; with {@code normalize_path}, percent-encoded unreserved characters are decoded, other
 * percent-encodings upper-cased (other encoded control characters stay encoded, as in Envoy),
 * '\' becomes '/', and dot segments are removed (RFC 3986 sections 6.2.2 and 5.2.4); with
 * {@code merge_slashes}, runs of '/' collapse. The result is a fixed point: normalizing it again
 * changes nothing.
 */
public final class PathNormalizer {
  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  private PathNormalizer() {}

  /** The outcome of normalizing a request target. */
  public sealed interface Result permits Normalized, Rejected {}

  /**
   * A target to route and forward.
   *
   * @param uri  the request target to forward (the normalized path plus the original query;
   *             absolute-form keeps its scheme and authority)
   * @param path the normalized path without query, for route and RBAC matching
   */
  public record Normalized(String uri, String path) implements Result {}

  /** A target answered with 400; {@code reason} says why (for logs and tests). */
  public record Rejected(String reason) implements Result {}

  public static Result normalize(String target, PathNormalization options) {
    if (target.isEmpty()) {
      return new Rejected("empty request target");
    }
    for (int i = 0; i < target.length(); i++) {
      char c = target.charAt(i);
      if (c <= 0x20 || c == 0x7F) {
        return new Rejected("control character or space at " + i);
      }
      if (c == '#') {
        return new Rejected("fragment in request target");
      }
    }
    String prefix = "";
    String rest = target;
    if (target.charAt(0) != '/') {
      if (target.equals("*")) {
        return new Normalized(target, target);
      }
      int scheme = target.indexOf("://");
      if (scheme <= 0 || !isScheme(target, scheme)) {
        return new Rejected("request target is neither origin-form nor absolute-form");
      }
      int end = scheme + 3;
      while (end < target.length() && target.charAt(end) != '/' && target.charAt(end) != '?') {
        end++;
      }
      prefix = target.substring(0, end);
      rest = end == target.length() || target.charAt(end) == '?' ? "/" + target.substring(end) : target.substring(end);
    }
    int q = rest.indexOf('?');
    String rawPath = q < 0 ? rest : rest.substring(0, q);
    String query = q < 0 ? "" : rest.substring(q);

    StringBuilder sb = new StringBuilder(rawPath.length());
    boolean normalize = options.normalizePath();
    for (int i = 0; i < rawPath.length(); i++) {
      char c = rawPath.charAt(i);
      if (c == '%') {
        int hi = i + 2 < rawPath.length() ? hex(rawPath.charAt(i + 1)) : -1;
        int lo = hi >= 0 ? hex(rawPath.charAt(i + 2)) : -1;
        if (lo < 0) {
          return new Rejected("invalid percent-encoding at " + i);
        }
        int v = hi << 4 | lo;
        if (v == 0) {
          return new Rejected("encoded NUL (%00) in path");
        }
        i += 2;
        if (v == '/' || v == '\\') {
          switch (options.escapedSlashes()) {
            case REJECT_REQUEST -> {
              return new Rejected("escaped slash in path");
            }
            case UNESCAPE_AND_FORWARD -> {
              sb.append(normalize ? '/' : (char) v);
              continue;
            }
            case KEEP_UNCHANGED -> { }
          }
        }
        if (normalize && isUnreserved(v)) {
          sb.append((char) v);
        } else if (normalize) {
          sb.append('%').append(HEX[v >> 4]).append(HEX[v & 15]);
        } else {
          sb.append(rawPath, i - 2, i + 1);
        }
      } else if (normalize && c == '\\') {
        sb.append('/');
      } else if (normalize && (c >= 0x80 || c == '"' || c == '<' || c == '>' || c == '`')) {
        // Escaped as Chromium's canonicalizer (and so Envoy) does; chars above 0xFF cannot occur
        // because targets are read as ISO-8859-1 bytes.
        sb.append('%').append(HEX[(c >> 4) & 15]).append(HEX[c & 15]);
      } else {
        sb.append(c);
      }
    }
    String path = sb.toString();
    if (normalize) {
      path = removeDotSegments(path);
    }
    if (options.mergeSlashes()) {
      path = mergeSlashes(path);
    }
    String uri = prefix.isEmpty() && query.isEmpty() ? path : prefix + path + query;
    return new Normalized(uri, path);
  }

  /** RFC 3986 section 5.2.4 on an absolute path: "." segments go, ".." removes the one before. */
  static String removeDotSegments(String path) {
    if (path.indexOf('.') < 0) {
      return path;
    }
    String[] segments = path.split("/", -1);
    List<String> out = new ArrayList<>(segments.length);
    for (int i = 1; i < segments.length; i++) {
      String s = segments[i];
      boolean last = i == segments.length - 1;
      if (s.equals(".") || s.equals("..")) {
        if (s.equals("..") && !out.isEmpty()) {
          out.removeLast();
        }
        if (last) {
          out.add(""); // "/a/." and "/a/b/.." keep their trailing slash
        }
        continue;
      }
      out.add(s);
    }
    return "/" + String.join("/", out);
  }

  static String mergeSlashes(String path) {
    if (!path.contains("//")) {
      return path;
    }
    StringBuilder sb = new StringBuilder(path.length());
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (c != '/' || sb.isEmpty() || sb.charAt(sb.length() - 1) != '/') {
        sb.append(c);
      }
    }
    return sb.toString();
  }

  private static boolean isScheme(String s, int end) {
    if (!Character.isLetter(s.charAt(0))) {
      return false;
    }
    for (int i = 1; i < end; i++) {
      char c = s.charAt(i);
      if (!(c < 0x80 && (Character.isLetterOrDigit(c) || c == '+' || c == '-' || c == '.'))) {
        return false;
      }
    }
    return true;
  }

  private static boolean isUnreserved(int c) {
    return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
        || c == '-' || c == '.' || c == '_' || c == '~';
  }

  private static int hex(char c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    return -1;
  }
}
