package dev.weft.perf;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;

/**
 * Last handler of the fixed-response server's HTTP/1.1 pipeline ({@code HttpRequestDecoder →
 * Http1FixedResponder}): answers every request, once its body has been read and released, with
 * the same pre-encoded {@code 200 text/plain} response. Pipelined requests are answered in order
 * and flushed once per read batch. A malformed request gets {@code 400} and the connection closes.
 */
final class Http1FixedResponder extends ChannelInboundHandlerAdapter {
  private static final byte[] KEEP_ALIVE = encode(200, "OK", FixedResponseServer.BODY, false);
  private static final byte[] CLOSE = encode(200, "OK", FixedResponseServer.BODY, true);
  private static final byte[] BAD_REQUEST = encode(400, "Bad Request", new byte[0], true);

  private boolean keepAlive = true;
  private boolean flushPending;

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    try {
      if (msg instanceof HttpObject http && http.decoderResult().isFailure()) {
        ctx.writeAndFlush(Unpooled.wrappedBuffer(BAD_REQUEST)).addListener(ChannelFutureListener.CLOSE);
        return;
      }
      if (msg instanceof HttpRequest request) {
        keepAlive = HttpUtil.isKeepAlive(request);
      }
      if (msg instanceof LastHttpContent) {
        ByteBuf response = Unpooled.wrappedBuffer(keepAlive ? KEEP_ALIVE : CLOSE);
        if (keepAlive) {
          ctx.write(response);
          flushPending = true;
        } else {
          ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }
      }
    } finally {
      ReferenceCountUtil.release(msg);
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if (flushPending) {
      flushPending = false;
      ctx.flush();
    }
    ctx.fireChannelReadComplete();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close();
  }

  private static byte[] encode(int status, String reason, byte[] body, boolean close) {
    String head = "HTTP/1.1 " + status + " " + reason + "\r\n"
        + "content-type: text/plain\r\n"
        + "content-length: " + body.length + "\r\n"
        + (close ? "connection: close\r\n" : "")
        + "\r\n";
    byte[] headBytes = head.getBytes(StandardCharsets.US_ASCII);
    byte[] all = new byte[headBytes.length + body.length];
    System.arraycopy(headBytes, 0, all, 0, headBytes.length);
    System.arraycopy(body, 0, all, headBytes.length, body.length);
    return all;
  }
}
