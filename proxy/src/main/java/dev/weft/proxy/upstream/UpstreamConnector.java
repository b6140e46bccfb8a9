package dev.weft.proxy.upstream;

import dev.weft.proxy.Transport;
import dev.weft.proxy.config.ClusterConfig;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.ssl.SslHandler;
import dev.weft.proxy.tls.TlsContextProvider;

/** Opens upstream TCP connections on a given event loop, counting connections and bytes per cluster. */
public final class UpstreamConnector {
  private final Transport transport;

  public UpstreamConnector(Transport transport) {
    this.transport = transport;
  }

  /**
   * Connects to an endpoint. With TLS, the returned future completes only once the handshake
   * has verified the server (chain and expected SANs), so a lease never carries a request over
   * an unverified connection.
   */
  ChannelFuture connect(ClusterRuntime cluster, EventLoop loop, EndpointState endpoint, ClusterConfig config,
      TlsContextProvider tls, ChannelHandler initializer) {
    ChannelFuture result = connect(cluster, loop, endpoint, config, tls, initializer, true);
    // Connect errors and failed handshakes are local-origin failures for outlier detection.
    result.addListener((ChannelFuture cf) -> cluster.connectOutcome(endpoint, cf.isSuccess()));
    return result;
  }

  /**
   * Connects as {@link #connect(ClusterRuntime, EventLoop, EndpointState, ClusterConfig,
   * TlsContextProvider, ChannelHandler)}; with {@code traffic} false (health checks) the
   * connection counts in no connection or failure stats and reports nothing to outlier detection.
   */
  ChannelFuture connect(ClusterRuntime cluster, EventLoop loop, EndpointState endpoint, ClusterConfig config,
      TlsContextProvider tls, ChannelHandler initializer, boolean traffic) {
    int high = Math.max(config.bufferLimitBytes(), 32 * 1024);
    ChannelHandler handler = initializer;
    if (tls != null) {
      long handshakeMillis = Math.max(1000, config.connectTimeout().toMillis());
      String sni = config.tls().sni();
      handler = new ChannelInitializer<Channel>() {
        @Override
        protected void initChannel(Channel ch) {
          SslHandler ssl = sni != null
              ? tls.current().newHandler(ch.alloc(), sni, endpoint.socketAddress.getPort())
              : tls.current().newHandler(ch.alloc());
          ssl.setHandshakeTimeoutMillis(handshakeMillis);
          ch.pipeline().addLast("tls", ssl);
          ch.pipeline().addLast(initializer);
        }
      };
    }
    ChannelFuture f = new Bootstrap()
        .group(loop)
        .channel(transport.socketChannel())
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, config.connectTimeout().toMillis()))
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(high / 2, high))
        .handler(handler)
        .connect(endpoint.socketAddress);
    f.addListener((ChannelFuture cf) -> {
      if (!traffic) {
        return;
      }
      if (cf.isSuccess()) {
        cluster.stats.totalConnections.increment();
        cluster.stats.activeConnections.incrementAndGet();
        endpoint.activeConnections.incrementAndGet();
        cf.channel().pipeline().addFirst("stats", new UpstreamBytes(cluster));
        cf.channel().closeFuture().addListener(c -> {
          cluster.stats.activeConnections.decrementAndGet();
          endpoint.activeConnections.decrementAndGet();
        });
      } else {
        cluster.stats.connectFailures.increment();
        endpoint.connectFailures.increment();
      }
    });
    if (tls == null) {
      return f;
    }
    ChannelPromise ready = f.channel().newPromise();
    f.addListener((ChannelFuture cf) -> {
      if (!cf.isSuccess()) {
        ready.setFailure(cf.cause());
        return;
      }
      cf.channel().pipeline().get(SslHandler.class).handshakeFuture().addListener(h -> {
        if (h.isSuccess()) {
          ready.setSuccess();
        } else {
          if (traffic) {
            cluster.stats.tlsFailures.increment();
            endpoint.connectFailures.increment();
          }
          ready.setFailure(h.cause());
          cf.channel().close();
        }
      });
    });
    return ready;
  }

  /** Counts bytes on an upstream connection into its cluster's counters. */
  private static final class UpstreamBytes extends ChannelDuplexHandler {
    private final ClusterRuntime cluster;

    UpstreamBytes(ClusterRuntime cluster) {
      this.cluster = cluster;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof ByteBuf b) {
        cluster.stats.bytesReceived.increment(b.readableBytes());
      }
      ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
      if (msg instanceof ByteBuf b) {
        cluster.stats.bytesSent.increment(b.readableBytes());
      } else if (msg instanceof ByteBufHolder h) {
        cluster.stats.bytesSent.increment(h.content().readableBytes());
      }
      ctx.write(msg, promise);
    }
  }
}
