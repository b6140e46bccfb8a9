package dev.weft.proxy.tcp;

import dev.weft.proxy.config.TcpProxyConfig;
import dev.weft.proxy.http.RequestHash;
import dev.weft.proxy.lb.LbContext;
import dev.weft.proxy.upstream.ClusterManager;
import dev.weft.proxy.upstream.ClusterRuntime;
import dev.weft.proxy.upstream.EndpointState;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;

/**
 * The TCP proxy filter: installed on a downstream connection, it opens a connection to an
 * endpoint of the cluster on the same event loop, then replaces itself with a {@link TcpRelay}
 * on both sides. Bytes that arrive before the upstream connects are held and sent first.
 */
public final class TcpProxyHandler extends ChannelInboundHandlerAdapter {
  private final TcpProxyConfig config;
  private final ClusterManager clusters;
  private final ArrayDeque<Object> early = new ArrayDeque<>();
  private boolean inputShutdown;
  private boolean started;

  public TcpProxyHandler(TcpProxyConfig config, ClusterManager clusters) {
    this.config = config;
    this.clusters = clusters;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    if (ctx.channel().isActive()) {
      connect(ctx);
    }
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    connect(ctx);
    ctx.fireChannelActive();
  }

  private void connect(ChannelHandlerContext ctx) {
    if (started) {
      return;
    }
    started = true;
    Channel down = ctx.channel();
    down.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
    down.config().setAutoRead(false);
    ClusterRuntime cluster = clusters.get(config.cluster());
    EndpointState endpoint = cluster == null ? null : cluster.pickTcp(down.eventLoop(),
        config.hashSourceIp() ? RequestHash.sourceIp(down.remoteAddress()) : LbContext.NONE);
    if (endpoint == null) {
      down.close();
      return;
    }
    endpoint.totalRequests.increment();
    ChannelFuture f = cluster.connectTcp(down.eventLoop(), endpoint, new ChannelInitializer<>() {
      @Override
      protected void initChannel(Channel ch) {
        ch.config().setAutoRead(false);
        ch.pipeline().addLast("relay", new TcpRelay(down));
      }
    });
    if (f == null) {
      down.close(); // the cluster's max_connections circuit breaker is full
      return;
    }
    f.addListener((ChannelFuture cf) -> {
      if (!cf.isSuccess() || !down.isActive()) {
        cf.channel().close();
        down.close();
        return;
      }
      Channel up = cf.channel();
      Object msg;
      while ((msg = early.poll()) != null) {
        up.write(msg, up.voidPromise());
      }
      up.flush();
      ctx.pipeline().replace(this, "relay", new TcpRelay(up));
      TcpRelay.start(down, up);
      if (inputShutdown) {
        down.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
      }
    });
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof ByteBuf) {
      early.add(msg);
    } else {
      ReferenceCountUtil.release(msg);
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof ChannelInputShutdownEvent) {
      inputShutdown = true;
      return;
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    early.forEach(ReferenceCountUtil::release);
    early.clear();
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close();
  }
}
