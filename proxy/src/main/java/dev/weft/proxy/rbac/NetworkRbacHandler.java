package dev.weft.proxy.rbac;

import dev.weft.proxy.config.RbacConfig;
import dev.weft.proxy.metrics.ProxyMetrics;
import dev.weft.proxy.tls.PeerIdentity;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import java.util.List;

/**
 * The network RBAC filters of a filter chain ({@code envoy.filters.network.rbac}): installed
 * just before the chain's terminal filter, it decides once per connection from the peer
 * principal and the destination port, then closes a denied connection or removes itself.
 *
 * <p>The decision is made as soon as the connection's identity is final: when the handler is
 * added to an active connection, or, while a TLS handshake is still running, when the handshake
 * completes (handlers before this one set the {@link PeerIdentity} by then). Bytes read before
 * the decision are held and passed on only if the connection is allowed.
 */
public final class NetworkRbacHandler extends ChannelInboundHandlerAdapter {
  private final List<RbacConfig> filters;
  private final ProxyMetrics metrics;
  private final String listener;
  private final ArrayDeque<Object> held = new ArrayDeque<>();
  private boolean decided;

  public NetworkRbacHandler(List<RbacConfig> filters, ProxyMetrics metrics, String listener) {
    this.filters = List.copyOf(filters);
    this.metrics = metrics;
    this.listener = listener;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    if (ctx.channel().isActive()) {
      decideUnlessHandshaking(ctx);
    }
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    decideUnlessHandshaking(ctx);
    ctx.fireChannelActive();
  }

  private void decideUnlessHandshaking(ChannelHandlerContext ctx) {
    SslHandler tls = ctx.pipeline().get(SslHandler.class);
    if (tls == null || tls.handshakeFuture().isDone()) {
      decide(ctx);
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (!decided && evt instanceof SslHandshakeCompletionEvent e) {
      if (e.isSuccess()) {
        decide(ctx);
      } else {
        decided = true;
        ctx.close();
      }
    }
    ctx.fireUserEventTriggered(evt);
  }

  private void decide(ChannelHandlerContext ctx) {
    if (decided) {
      return;
    }
    decided = true;
    var request = new ConnectionRbacRequest(PeerIdentity.principal(ctx.channel()),
        ConnectionRbacRequest.localPort(ctx.channel()));
    RbacConfig denying = RbacConfig.firstDenying(filters, request);
    if (denying != null) {
      metrics.rbacDenied(listener, denying.name());
      releaseHeld();
      ctx.close();
      return;
    }
    Object msg;
    while ((msg = held.poll()) != null) {
      ctx.fireChannelRead(msg);
    }
    ctx.pipeline().remove(this);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (decided) {
      if (ctx.channel().isActive()) {
        ctx.fireChannelRead(msg);
      } else {
        ReferenceCountUtil.release(msg);
      }
      return;
    }
    held.add(msg);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    releaseHeld();
    ctx.fireChannelInactive();
  }

  private void releaseHeld() {
    Object msg;
    while ((msg = held.poll()) != null) {
      ReferenceCountUtil.release(msg);
    }
  }
}
