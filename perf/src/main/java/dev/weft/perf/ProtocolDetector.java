package dev.weft.perf;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http2.Http2CodecUtil;
import java.util.List;
import java.util.function.Supplier;

/**
 * First handler of a cleartext server connection: tells HTTP/2 with prior knowledge (the client
 * opens with the connection preface {@code PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n}) from HTTP/1.1 and
 * replaces itself with the matching handlers. Bytes read so far are passed on to them.
 */
final class ProtocolDetector extends ByteToMessageDecoder {
  private static final ByteBuf PREFACE = Unpooled.unreleasableBuffer(Http2CodecUtil.connectionPrefaceBuf());

  private final Supplier<ChannelHandler[]> http1;
  private final Supplier<ChannelHandler[]> http2;

  /**
   * @param http1 handlers installed, in order, for an HTTP/1.1 connection
   * @param http2 handlers installed, in order, for an HTTP/2 prior-knowledge connection
   */
  ProtocolDetector(Supplier<ChannelHandler[]> http1, Supplier<ChannelHandler[]> http2) {
    this.http1 = http1;
    this.http2 = http2;
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    int prefaceLength = PREFACE.readableBytes();
    int n = Math.min(in.readableBytes(), prefaceLength);
    boolean prefix = ByteBufUtil.equals(in, in.readerIndex(), PREFACE, PREFACE.readerIndex(), n);
    if (prefix && n < prefaceLength) {
      return; // could still be either: wait for more bytes
    }
    String name = ctx.name();
    for (ChannelHandler h : (prefix ? http2 : http1).get()) {
      ctx.pipeline().addAfter(name, null, h);
      name = ctx.pipeline().context(h).name();
    }
    ctx.pipeline().remove(this);
  }
}
