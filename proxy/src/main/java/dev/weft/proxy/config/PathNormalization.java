package dev.weft.proxy.config;

/**
 * How the HTTP connection manager normalizes request paths before routing, authorization and
 * forwarding (Envoy's {@code normalize_path}, {@code merge_slashes} and
 * {@code path_with_escaped_slashes_action}). The normalized path is the one routed, authorized
 * and sent upstream, so what is authorized is what the workload receives.
 *
 * @param normalizePath        RFC 3986 section 6 normalization: decode percent-encoded unreserved
 *                             characters, upper-case other percent-encodings, remove dot segments
 * @param mergeSlashes         collapse runs of '/' into one
 * @param escapedSlashes       what to do with {@code %2F} and {@code %5C} in the path
 */
public record PathNormalization(boolean normalizePath, boolean mergeSlashes, EscapedSlashes escapedSlashes) {

  /** Envoy's defaults: no normalization, escaped slashes kept. */
  public static final PathNormalization NONE = new PathNormalization(false, false, EscapedSlashes.KEEP_UNCHANGED);

  /** Envoy's {@code PathWithEscapedSlashesAction}, less the redirect. */
  public enum EscapedSlashes {
    /** Leave {@code %2F}/{@code %5C} as they are (normalization upper-cases them). */
    KEEP_UNCHANGED,
    /** Answer 400 to a path that has an escaped slash. */
    REJECT_REQUEST,
    /** Decode {@code %2F} to '/' and {@code %5C} to '\' before the rest of normalization. */
    UNESCAPE_AND_FORWARD
  }
}
