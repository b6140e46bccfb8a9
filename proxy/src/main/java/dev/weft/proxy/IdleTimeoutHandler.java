package dev.weft.proxy;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.concurrent.Ticker;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Fires {@link IdleStateEvent}s (all-idle) when a connection has neither read nor written for
 * the timeout: the idle timeouts of Envoy's HTTP connection manager, clusters and TCP proxy.
 *
 * <p>Unlike Netty's {@code IdleStateHandler} it counts a write when it is made, not when it
 * completes, so it needs no promise and no listener per write: a forwarded request or response
 * costs one clock read. A write that never completes (a peer that stops reading) is idle from
 * the moment it was made, as with Netty's default.
 */
public final class IdleTimeoutHandler extends ChannelDuplexHandler {
  private final long timeoutNanos;
  private final Runnable onCheck = this::check;
  private ChannelHandlerContext ctx;
  private Ticker ticker;
  private ScheduledFuture<?> check;
  private long lastActivity;
  private boolean reading;
  private boolean first = true;
  private boolean destroyed;

  public IdleTimeoutHandler(Duration timeout) {
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("idle timeout must be positive: " + timeout);
    }
    this.timeoutNanos = timeout.toNanos();
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    if (ctx.channel().isActive() && ctx.channel().isRegistered()) {
      start();
    }
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    stop();
  }

  @Override
  public void channelRegistered(ChannelHandlerContext ctx) {
    if (ctx.channel().isActive()) {
      start();
    }
    ctx.fireChannelRegistered();
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    start();
    ctx.fireChannelActive();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    stop();
    ctx.fireChannelInactive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    reading = true;
    ctx.fireChannelRead(msg);
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if (reading) {
      reading = false;
      active();
    }
    ctx.fireChannelReadComplete();
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    active();
    ctx.write(msg, promise);
  }

  private void active() {
    if (ticker != null) {
      lastActivity = ticker.nanoTime();
      first = true;
    }
  }

  private void start() {
    if (ticker != null || destroyed) {
      return;
    }
    ticker = ctx.executor().ticker();
    lastActivity = ticker.nanoTime();
    check = ctx.executor().schedule(onCheck, timeoutNanos, TimeUnit.NANOSECONDS);
  }

  private void stop() {
    destroyed = true;
    if (check != null) {
      check.cancel(false);
      check = null;
    }
  }

  private void check() {
    check = null;
    if (destroyed || !ctx.channel().isOpen()) {
      return;
    }
    long left = reading ? timeoutNanos : timeoutNanos - (ticker.nanoTime() - lastActivity);
    if (left > 0) {
      check = ctx.executor().schedule(onCheck, left, TimeUnit.NANOSECONDS);
      return;
    }
    check = ctx.executor().schedule(onCheck, timeoutNanos, TimeUnit.NANOSECONDS);
    IdleStateEvent event = first ? IdleStateEvent.FIRST_ALL_IDLE_STATE_EVENT : IdleStateEvent.ALL_IDLE_STATE_EVENT;
    first = false;
    ctx.fireUserEventTriggered(event);
  }
}
