package dev.weft.proxy.upstream;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;

/**
 * Last handler of an upstream HTTP/1.1 connection or HTTP/2 stream pipeline: passes response
 * objects and events to the request currently leasing it. With no lease, stray data closes an
 * HTTP/1.1 connection (the server broke framing) and an idle timeout closes it.
 */
final class UpstreamHandler extends ChannelInboundHandlerAdapter {
  UpstreamListener listener;
  /** Requests this HTTP/1.1 connection has carried. */
  int requests;

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    UpstreamListener l = listener;
    if (msg instanceof HttpObject o && o.decoderResult().isFailure()) {
      // The upstream broke HTTP framing: nothing of it may reach the client; the exchange fails
      // as a reset does (no response forwarded, connection closed).
      ReferenceCountUtil.release(msg);
      exceptionCaught(ctx, o.decoderResult().cause());
      return;
    }
    if (l != null && msg instanceof HttpObject o) {
      l.onUpstreamRead(o);
    } else {
      ReferenceCountUtil.release(msg);
      ctx.close();
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    UpstreamListener l = listener;
    if (l != null) {
      l.onUpstreamReadComplete();
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    UpstreamListener l = listener;
    if (l != null) {
      l.onUpstreamWritabilityChanged(ctx.channel().isWritable());
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    UpstreamListener l = listener;
    listener = null;
    if (l != null) {
      l.onUpstreamClosed(null);
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof Http2ResetFrame reset && listener != null) {
      listener.onUpstreamReset(reset.errorCode());
    }
    if (evt instanceof IdleStateEvent && listener == null) {
      ctx.close();
    }
    ReferenceCountUtil.release(evt);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    UpstreamListener l = listener;
    listener = null;
    if (l != null) {
      l.onUpstreamClosed(cause);
    }
    ctx.close();
  }
}
