package dev.weft.proxy.tcp;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;

/**
 * Copies bytes from its channel to a peer channel: the last handler on both sides of a TCP
 * proxy connection or an upgraded (WebSocket) HTTP connection.
 *
 * <p>Backpressure: when the peer is not writable this side stops reading until it is. Half
 * close: when this side's input ends, the peer's output is shut down after pending writes; when
 * both directions have ended, both channels close.
 */
public final class TcpRelay extends ChannelInboundHandlerAdapter {
  private final Channel peer;
  private boolean flushPending;

  public TcpRelay(Channel peer) {
    this.peer = peer;
  }

  /** Turns on half-closure and reading on both channels of a relay pair. */
  public static void start(Channel a, Channel b) {
    a.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
    b.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
    a.config().setAutoRead(true);
    b.config().setAutoRead(true);
    a.read();
    b.read();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!peer.isActive()) {
      ReferenceCountUtil.release(msg);
      return;
    }
    peer.write(msg, peer.voidPromise());
    flushPending = true;
    if (!peer.isWritable()) {
      // Stop reading before flushing: the flush can make the peer writable again at once, and
      // the writability event that turns reading back on must not be overridden afterwards.
      ctx.channel().config().setAutoRead(false);
      flushPending = false;
      peer.flush();
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if (flushPending) {
      flushPending = false;
      peer.flush();
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (ctx.channel().isWritable()) {
      peer.config().setAutoRead(true);
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof ChannelInputShutdownEvent) {
      // This side sent FIN: pass it on once everything before it is written.
      peer.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener((ChannelFutureListener) f -> {
        if (peer instanceof DuplexChannel d && peer.isActive()) {
          d.shutdownOutput().addListener(x -> closeIfDone(ctx.channel()));
        } else {
          peer.close();
        }
      });
      return;
    }
    if (evt instanceof IdleStateEvent) {
      ctx.close();
      peer.close();
      return;
    }
    ctx.fireUserEventTriggered(evt);
  }

  private void closeIfDone(Channel self) {
    if (self instanceof DuplexChannel s && peer instanceof DuplexChannel p && s.isInputShutdown()
        && p.isInputShutdown()) {
      self.close();
      peer.close();
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (peer.isActive()) {
      peer.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close();
  }
}
