package dev.weft.proxy.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import java.util.Iterator;
import java.util.Map;

/**
 * Finds the connection-specific headers of a message (RFC 9110 7.6.1) and Netty's
 * {@code x-http2-*} conversion headers in one pass over its headers, so that a proxy hop does
 * a lookup only for the ones present: a dozen hashed lookups per message become one walk over
 * a handful of names.
 */
final class ConnectionHeaders {
  static final int CONNECTION = 1;
  static final int KEEP_ALIVE = 1 << 1;
  static final int PROXY_CONNECTION = 1 << 2;
  static final int UPGRADE = 1 << 3;
  static final int TE = 1 << 4;
  /** Any {@code x-http2-} header (Netty's HTTP/2 to HTTP/1 conversion adds them). */
  static final int HTTP2_EXTENSION = 1 << 5;

  private static final String HTTP2_PREFIX = "x-http2-";

  private ConnectionHeaders() {}

  /** The flags of the headers {@code h} carries (names compared ignoring case). */
  static int scan(HttpHeaders h) {
    int found = 0;
    Iterator<Map.Entry<CharSequence, CharSequence>> it = h.iteratorCharSequence();
    while (it.hasNext()) {
      CharSequence n = it.next().getKey();
      if (is(n, HttpHeaderNames.TE)) {
        found |= TE;
      } else if (is(n, HttpHeaderNames.UPGRADE)) {
        found |= UPGRADE;
      } else if (is(n, HttpHeaderNames.CONNECTION)) {
        found |= CONNECTION;
      } else if (is(n, HttpHeaderNames.KEEP_ALIVE)) {
        found |= KEEP_ALIVE;
      } else if (is(n, HttpHeaderNames.PROXY_CONNECTION)) {
        found |= PROXY_CONNECTION;
      } else if (n.length() > HTTP2_PREFIX.length()
          && AsciiString.regionMatchesAscii(n, true, 0, HTTP2_PREFIX, 0, HTTP2_PREFIX.length())) {
        found |= HTTP2_EXTENSION;
      }
    }
    return found;
  }

  private static boolean is(CharSequence name, AsciiString known) {
    return AsciiString.contentEqualsIgnoreCase(name, known); // unequal lengths fail at once
  }
}
