package dev.weft.proxy.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import org.junit.jupiter.api.Test;

class ConnectionHeadersTest {
  @Test
  void aPlainMessageHasNone() {
    HttpHeaders h = new DefaultHttpHeaders().add("host", "a").add("content-length", "3").add("x-tea", "1")
        .add("x-http2-", "not an extension").add("connections", "1");
    assertThat(ConnectionHeaders.scan(h)).isZero();
  }

  @Test
  void findsEachIgnoringCase() {
    HttpHeaders h = new DefaultHttpHeaders().add("Connection", "close").add("KEEP-ALIVE", "timeout=5")
        .add("Proxy-Connection", "keep-alive").add("upGrade", "websocket").add("Te", "trailers")
        .add("X-Http2-Stream-Id", "3");
    assertThat(ConnectionHeaders.scan(h)).isEqualTo(ConnectionHeaders.CONNECTION | ConnectionHeaders.KEEP_ALIVE
        | ConnectionHeaders.PROXY_CONNECTION | ConnectionHeaders.UPGRADE | ConnectionHeaders.TE
        | ConnectionHeaders.HTTP2_EXTENSION);
  }

  @Test
  void eachFlagOnItsOwn() {
    assertThat(ConnectionHeaders.scan(new DefaultHttpHeaders().add("te", "x"))).isEqualTo(ConnectionHeaders.TE);
    assertThat(ConnectionHeaders.scan(new DefaultHttpHeaders().add("keep-alive", "x")))
        .isEqualTo(ConnectionHeaders.KEEP_ALIVE);
    assertThat(ConnectionHeaders.scan(new DefaultHttpHeaders().add("x-http2-scheme", "https")))
        .isEqualTo(ConnectionHeaders.HTTP2_EXTENSION);
  }
}
