package dev.weft.perf;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http2.Http2CodecUtil;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ProtocolDetectorTest {
  private static EmbeddedChannel serverChannel() {
    return new EmbeddedChannel(new ProtocolDetector(
        () -> new ChannelHandler[] {new HttpRequestDecoder(), new Http1FixedResponder()},
        () -> new ChannelHandler[] {Http2FixedResponder.create(16)}));
  }

  @Test
  void http1RequestGetsTheFixedResponse() {
    EmbeddedChannel ch = serverChannel();
    ch.writeInbound(Unpooled.copiedBuffer("GET / HTTP/1.1\r\nHost: a\r\n\r\n", StandardCharsets.US_ASCII));
    assertThat(ch.pipeline().get(ProtocolDetector.class)).isNull();
    ByteBuf response = ch.readOutbound();
    try {
      String text = response.toString(StandardCharsets.US_ASCII);
      assertThat(text).startsWith("HTTP/1.1 200 OK\r\n").contains("content-length: 100\r\n")
          .contains("content-type: text/plain");
      assertThat(text.substring(text.indexOf("\r\n\r\n") + 4)).hasSize(100);
    } finally {
      response.release();
    }
    assertThat(ch.finishAndReleaseAll()).isFalse();
  }

  @Test
  void waitsForTheWholePrefaceBeforeChoosingHttp2() {
    EmbeddedChannel ch = serverChannel();
    ByteBuf preface = Http2CodecUtil.connectionPrefaceBuf();
    ch.writeInbound(preface.readRetainedSlice(10));
    assertThat(ch.pipeline().get(ProtocolDetector.class)).isNotNull();
    ch.writeInbound(preface);
    assertThat(ch.pipeline().get(ProtocolDetector.class)).isNull();
    assertThat(ch.pipeline().get(Http2FixedResponder.class)).isNotNull();
    ch.finishAndReleaseAll();
  }

  @Test
  void malformedHttp1GetsBadRequestAndClose() {
    EmbeddedChannel ch = serverChannel();
    ch.writeInbound(Unpooled.copiedBuffer("NOT HTTP AT ALL\r\n\r\n", StandardCharsets.US_ASCII));
    ByteBuf response = ch.readOutbound();
    try {
      assertThat(response.toString(StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 400 ");
    } finally {
      response.release();
    }
    assertThat(ch.isOpen()).isFalse();
    ch.finishAndReleaseAll();
  }
}
