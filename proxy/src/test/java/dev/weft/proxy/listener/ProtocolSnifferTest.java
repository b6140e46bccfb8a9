package dev.weft.proxy.listener;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class ProtocolSnifferTest {

  private static String detect(String s) {
    ByteBuf b = Unpooled.copiedBuffer(s, StandardCharsets.ISO_8859_1);
    try {
      return ProtocolSniffer.detect(b);
    } finally {
      b.release();
    }
  }

  @Test
  void tellsHttp2PrefaceHttp1AndOtherBytesApart() {
    assertThat(detect("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")).isEqualTo("h2c");
    assertThat(detect("PRI * HTTP/2.0\r\n")).isEqualTo(ProtocolSniffer.UNDECIDED);
    assertThat(detect("GET / HTTP/1.1\r\nHost: x\r\n")).isEqualTo("http/1.1");
    assertThat(detect("POST /x HTTP/1.0\r\n")).isEqualTo("http/1.0");
    assertThat(detect("GET /long/path")).isEqualTo(ProtocolSniffer.UNDECIDED);
    assertThat(detect("GET / HTTP/3.0\r\n")).isNull();
    assertThat(detect("\u0016\u0003\u0001\u0002\u0000")).as("a TLS ClientHello").isNull();
    assertThat(detect("SSH-2.0-OpenSSH\r\n")).isNull();
    assertThat(detect("hello world\n")).isNull();
  }

  @Test
  void decidesThenRemovesItselfAndPassesTheBytesOn() {
    AtomicReference<String> seen = new AtomicReference<>();
    EmbeddedChannel ch = new EmbeddedChannel();
    ch.pipeline().addLast(new ProtocolSniffer(0, false, (ctx, p) -> seen.set(p)));
    ch.writeInbound(Unpooled.copiedBuffer("GET / HT", StandardCharsets.US_ASCII));
    assertThat(seen.get()).isNull();
    assertThat((Object) ch.readInbound()).isNull();
    ch.writeInbound(Unpooled.copiedBuffer("TP/1.1\r\n\r\n", StandardCharsets.US_ASCII));
    assertThat(seen.get()).isEqualTo("http/1.1");
    assertThat(ch.pipeline().get(ProtocolSniffer.class)).isNull();
    ByteBuf passed = ch.readInbound();
    assertThat(passed.toString(StandardCharsets.US_ASCII)).isEqualTo("GET / HTTP/1.1\r\n\r\n");
    passed.release();
    assertThat(ch.finish()).isFalse();
  }

  @Test
  void closesOnTimeoutUnlessToldToContinue() throws Exception {
    EmbeddedChannel closing = new EmbeddedChannel(new ProtocolSniffer(1_000_000, false, (c, p) -> { }));
    Thread.sleep(5);
    closing.runPendingTasks();
    assertThat(closing.isOpen()).isFalse();

    AtomicReference<String> seen = new AtomicReference<>("unset");
    EmbeddedChannel continuing = new EmbeddedChannel(new ProtocolSniffer(1_000_000, true, (c, p) -> seen.set(p)));
    Thread.sleep(5);
    continuing.runPendingTasks();
    assertThat(continuing.isOpen()).isTrue();
    assertThat(seen.get()).isNull();
    continuing.finishAndReleaseAll();
  }
}
