package dev.weft.proxy.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.proxy.config.PathNormalization;
import dev.weft.proxy.config.PathNormalization.EscapedSlashes;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PathNormalizerTest {
  /** Istio's usual setting: normalize, merge slashes, escaped slashes kept. */
  private static final PathNormalization NORMALIZE_MERGE =
      new PathNormalization(true, true, EscapedSlashes.KEEP_UNCHANGED);
  private static final PathNormalization NORMALIZE_ONLY =
      new PathNormalization(true, false, EscapedSlashes.KEEP_UNCHANGED);
  private static final PathNormalization REJECT_SLASHES =
      new PathNormalization(true, true, EscapedSlashes.REJECT_REQUEST);
  private static final PathNormalization UNESCAPE_SLASHES =
      new PathNormalization(true, true, EscapedSlashes.UNESCAPE_AND_FORWARD);
  private static final PathNormalization NONE = PathNormalization.NONE;

  /** target, options, forwarded URI (null: rejected), path matched. */
  static Stream<Arguments> cases() {
    return Stream.of(
        // RFC 3986 section 6: unreserved decoded, the rest upper-cased, dot segments removed.
        Arguments.of("/admin", NORMALIZE_MERGE, "/admin", "/admin"),
        Arguments.of("/%61dmin", NORMALIZE_MERGE, "/admin", "/admin"),
        Arguments.of("/%7Euser/%2d%2E%5f", NORMALIZE_MERGE, "/~user/-._", "/~user/-._"),
        Arguments.of("/a%3fb%2a", NORMALIZE_MERGE, "/a%3Fb%2A", "/a%3Fb%2A"),
        Arguments.of("/a%01b%7f", NORMALIZE_MERGE, "/a%01b%7F", "/a%01b%7F"),
        Arguments.of("/a%2525", NORMALIZE_MERGE, "/a%2525", "/a%2525"),
        Arguments.of("/a/../admin", NORMALIZE_MERGE, "/admin", "/admin"),
        Arguments.of("/./admin", NORMALIZE_MERGE, "/admin", "/admin"),
        Arguments.of("/%2e%2e/admin", NORMALIZE_MERGE, "/admin", "/admin"),
        Arguments.of("/.%2E/.%2e/admin", NORMALIZE_MERGE, "/admin", "/admin"),
        Arguments.of("/../../admin", NORMALIZE_MERGE, "/admin", "/admin"),
        Arguments.of("/a/b/..", NORMALIZE_MERGE, "/a/", "/a/"),
        Arguments.of("/a/.", NORMALIZE_MERGE, "/a/", "/a/"),
        Arguments.of("/..", NORMALIZE_MERGE, "/", "/"),
        Arguments.of("/a..b/.c", NORMALIZE_MERGE, "/a..b/.c", "/a..b/.c"),
        Arguments.of("/a\\..\\admin", NORMALIZE_MERGE, "/admin", "/admin"),
        Arguments.of("/caf\u00e9", NORMALIZE_MERGE, "/caf%E9", "/caf%E9"),
        Arguments.of("/a\"b<c>`", NORMALIZE_MERGE, "/a%22b%3Cc%3E%60", "/a%22b%3Cc%3E%60"),
        // merge_slashes, after dot segments (Envoy's order).
        Arguments.of("//admin", NORMALIZE_MERGE, "/admin", "/admin"),
        Arguments.of("/a///b//", NORMALIZE_MERGE, "/a/b/", "/a/b/"),
        Arguments.of("//admin", NORMALIZE_ONLY, "//admin", "//admin"),
        Arguments.of("/a//../b", NORMALIZE_ONLY, "/a/b", "/a/b"),
        // The query is kept verbatim and never matched.
        Arguments.of("/admin?x", NORMALIZE_MERGE, "/admin?x", "/admin"),
        Arguments.of("/a/../b?q=/../%2e&r=%zz", NORMALIZE_MERGE, "/b?q=/../%2e&r=%zz", "/b"),
        Arguments.of("/?", NORMALIZE_MERGE, "/?", "/"),
        // Escaped slashes.
        Arguments.of("/admin%2F..", NORMALIZE_MERGE, "/admin%2F..", "/admin%2F.."),
        Arguments.of("/a%2fb%5cc", NORMALIZE_MERGE, "/a%2Fb%5Cc", "/a%2Fb%5Cc"),
        Arguments.of("/admin%2F..", REJECT_SLASHES, null, null),
        Arguments.of("/a%5Cb", REJECT_SLASHES, null, null),
        Arguments.of("/admin%2F..", UNESCAPE_SLASHES, "/", "/"),
        Arguments.of("/x%2F%2Fadmin", UNESCAPE_SLASHES, "/x/admin", "/x/admin"),
        Arguments.of("/a%5cb", UNESCAPE_SLASHES, "/a/b", "/a/b"),
        // Rejected whatever the options.
        Arguments.of("/admin#x", NORMALIZE_MERGE, null, null),
        Arguments.of("/admin#x", NONE, null, null),
        Arguments.of("/admin%00", NORMALIZE_MERGE, null, null),
        Arguments.of("/admin%00", NONE, null, null),
        Arguments.of("/a%zz", NORMALIZE_MERGE, null, null),
        Arguments.of("/a%4", NONE, null, null),
        Arguments.of("/a%", NONE, null, null),
        Arguments.of("/a b", NONE, null, null),
        Arguments.of("/a\tb", NORMALIZE_MERGE, null, null),
        Arguments.of("/a\u007f", NORMALIZE_MERGE, null, null),
        Arguments.of("admin", NORMALIZE_MERGE, null, null),
        Arguments.of("", NORMALIZE_MERGE, null, null),
        Arguments.of("example.com:443", NORMALIZE_MERGE, null, null),
        // Without normalization the path is forwarded as it came.
        Arguments.of("/a/../%61//b%2f", NONE, "/a/../%61//b%2f", "/a/../%61//b%2f"),
        Arguments.of("/a%2Fb", new PathNormalization(false, false, EscapedSlashes.UNESCAPE_AND_FORWARD),
            "/a/b", "/a/b"),
        Arguments.of("/a%5Cb", new PathNormalization(false, false, EscapedSlashes.UNESCAPE_AND_FORWARD),
            "/a\\b", "/a\\b"),
        // Absolute-form keeps scheme and authority; the path part is normalized.
        Arguments.of("http://app.test/a/../%61dmin?x", NORMALIZE_MERGE, "http://app.test/admin?x", "/admin"),
        Arguments.of("http://app.test", NORMALIZE_MERGE, "http://app.test/", "/"),
        Arguments.of("http://app.test?q", NORMALIZE_MERGE, "http://app.test/?q", "/"),
        Arguments.of("*", NORMALIZE_MERGE, "*", "*"));
  }

  @ParameterizedTest(name = "[{index}] {0} with {1}")
  @MethodSource("cases")
  void normalizesOrRejects(String target, PathNormalization options, String uri, String path) {
    PathNormalizer.Result result = PathNormalizer.normalize(target, options);

    if (uri == null) {
      assertThat(result).isInstanceOf(PathNormalizer.Rejected.class);
    } else {
      assertThat(result).isEqualTo(new PathNormalizer.Normalized(uri, path));
    }
  }

  @ParameterizedTest(name = "[{index}] {0} with {1}")
  @MethodSource("cases")
  void normalizingTwiceChangesNothing(String target, PathNormalization options, String uri, String path) {
    if (uri == null) {
      return;
    }

    assertThat(PathNormalizer.normalize(uri, options)).isEqualTo(new PathNormalizer.Normalized(uri, path));
  }
}
