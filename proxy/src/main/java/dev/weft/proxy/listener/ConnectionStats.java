package dev.weft.proxy.listener;

import dev.weft.proxy.metrics.ProxyMetrics;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;

/** First handler of every downstream connection: counts it and its bytes on the listener's meters. */
final class ConnectionStats extends ChannelDuplexHandler {
  private final ProxyMetrics.ListenerStats stats;
  private boolean counted;

  ConnectionStats(ProxyMetrics.ListenerStats stats) {
    this.stats = stats;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    counted = true;
    stats.totalConnections.increment();
    stats.activeConnections.incrementAndGet();
    ctx.fireChannelActive();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (counted) {
      counted = false;
      stats.activeConnections.decrementAndGet();
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof ByteBuf b) {
      stats.bytesReceived.increment(b.readableBytes());
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (msg instanceof ByteBuf b) {
      stats.bytesSent.increment(b.readableBytes());
    } else if (msg instanceof ByteBufHolder h) {
      stats.bytesSent.increment(h.content().readableBytes());
    }
    ctx.write(msg, promise);
  }
}
