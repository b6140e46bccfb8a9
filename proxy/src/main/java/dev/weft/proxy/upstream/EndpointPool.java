package dev.weft.proxy.upstream;

import dev.weft.proxy.IdleTimeoutHandler;
import dev.weft.proxy.config.ClusterConfig;
import dev.weft.proxy.http.ProxyError;
import dev.weft.proxy.tls.TlsContextProvider;
import dev.weft.proxy.upstream.health.CircuitBreaker;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http2.DefaultHttp2WindowUpdateFrame;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Connections from one event loop to one endpoint: idle HTTP/1.1 connections (reused most
 * recently used first) and HTTP/2 connections carrying up to their stream limit each. Only
 * ever touched from its event loop.
 *
 * <p>The cluster's {@link CircuitBreaker} bounds it: a request that finds no idle connection or
 * free stream is pending ({@code max_pending_requests}) until a connection is opened for it
 * ({@code max_connections}, though a pool with no connection may always open one, as Envoy)
 * or, when no more may be opened, until one of this pool's connections frees up.
 */
final class EndpointPool {
  private static final int MAX_RESPONSE_INITIAL_LINE = 8192;
  private static final int MAX_RESPONSE_HEADERS = 64 * 1024;
  private static final int MAX_CHUNK = 64 * 1024;

  private final ClusterRuntime cluster;
  private final EventLoop loop;
  private final UpstreamConnector connector;
  private final ArrayDeque<Channel> idleHttp1 = new ArrayDeque<>();
  /** Open or connecting HTTP/1.1 connections of this pool. */
  private int http1Connections;
  /** Requests waiting for a connection or stream because the cluster's max_connections was reached. */
  private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
  private final List<Http2Connection> http2 = new ArrayList<>();
  private Http2Connection connecting;

  EndpointPool(ClusterRuntime cluster, EventLoop loop, UpstreamConnector connector) {
    this.cluster = cluster;
    this.loop = loop;
    this.connector = connector;
  }

  void collectChannels(List<Channel> out) {
    out.addAll(idleHttp1);
    http2.forEach(c -> out.add(c.channel));
  }

  // ---- HTTP/1.1

  void acquireHttp1(EndpointState endpoint, ClusterConfig config, TlsContextProvider tls, LeaseCallback callback) {
    Channel ch;
    while ((ch = idleHttp1.pollLast()) != null) {
      if (ch.isActive()) {
        callback.onLease(new Http1Lease(cluster, ch, endpoint, ch.pipeline().get(UpstreamHandler.class), this,
            config.maxRequestsPerConnection()));
        return;
      }
    }
    // No idle connection: the request is pending until a connection is opened or freed for it.
    CircuitBreaker breaker = cluster.circuitBreaker();
    if (!breaker.tryStartPending()) {
      cluster.requestEnded(endpoint);
      callback.onLeaseFailure(ProxyError.OVERFLOW);
      return;
    }
    if (breaker.tryOpenConnection(http1Connections == 0)) {
      http1Connections++;
      connectHttp1(cluster, loop, connector, endpoint, config, tls, callback, this, true);
    } else {
      waiters.add(new Waiter(endpoint, config, tls, callback));
    }
  }

  /**
   * Opens an HTTP/1.1 connection whose {@code max_connections} slot the caller has taken;
   * {@code pool} is null for a dedicated (unpooled) connection; {@code pending} says the
   * request holds a pending-request slot until the connection is up or failed.
   */
  static void connectHttp1(ClusterRuntime cluster, EventLoop loop, UpstreamConnector connector,
      EndpointState endpoint, ClusterConfig config, TlsContextProvider tls, LeaseCallback callback, EndpointPool pool,
      boolean pending) {
    UpstreamHandler handler = new UpstreamHandler();
    long idleMillis = config.idleTimeout().toMillis();
    ChannelFuture f = connector.connect(cluster, loop, endpoint, config, tls, new ChannelInitializer<>() {
      @Override
      protected void initChannel(Channel ch) {
        ChannelPipeline p = ch.pipeline();
        p.addLast("codec", new HttpClientCodec(new HttpDecoderConfig()
            .setMaxInitialLineLength(MAX_RESPONSE_INITIAL_LINE)
            .setMaxHeaderSize(MAX_RESPONSE_HEADERS)
            .setMaxChunkSize(MAX_CHUNK), false, false));
        if (idleMillis > 0) {
          p.addLast("idle", new IdleTimeoutHandler(Duration.ofMillis(idleMillis)));
        }
        p.addLast("upstream", handler);
      }
    });
    f.addListener((ChannelFuture cf) -> {
      if (pending) {
        cluster.circuitBreaker().endPending();
      }
      if (cf.isSuccess()) {
        cf.channel().closeFuture().addListener(c -> {
          cluster.circuitBreaker().connectionClosed();
          if (pool != null) {
            pool.idleHttp1.remove(cf.channel());
            pool.http1Connections--;
            pool.connectForWaiter();
          }
        });
        callback.onLease(new Http1Lease(cluster, cf.channel(), endpoint, handler, pool,
            config.maxRequestsPerConnection()));
      } else {
        cluster.circuitBreaker().connectionClosed();
        if (pool != null) {
          pool.http1Connections--;
        }
        cluster.requestEnded(endpoint);
        callback.onLeaseFailure(ProxyError.UPSTREAM_CONNECT_FAILURE);
        if (pool != null) {
          pool.connectForWaiter();
        }
      }
    });
  }

  /** A request waiting for a connection of this pool (the cluster's max_connections was reached). */
  private record Waiter(EndpointState endpoint, ClusterConfig config, TlsContextProvider tls,
      LeaseCallback callback) {}

  /** A connection of this pool closed or failed: open one for the first waiter if the breaker allows. */
  private void connectForWaiter() {
    if (waiters.isEmpty() || !cluster.circuitBreaker().tryOpenConnection(http1Connections == 0)) {
      return;
    }
    Waiter w = waiters.poll();
    http1Connections++;
    connectHttp1(cluster, loop, connector, w.endpoint(), w.config(), w.tls(), w.callback(), this, true);
  }

  /** A reusable HTTP/1.1 connection came back: it serves the first waiter, or goes idle. */
  private void giveBack(Channel channel, UpstreamHandler handler, int maxRequests) {
    Waiter w = waiters.poll();
    if (w == null) {
      idleHttp1.addLast(channel);
      return;
    }
    cluster.circuitBreaker().endPending();
    // Hand over on a fresh stack: the releasing exchange is still unwinding.
    loop.execute(() -> {
      if (channel.isActive()) {
        w.callback().onLease(new Http1Lease(cluster, channel, w.endpoint(), handler, this, maxRequests));
      } else {
        acquireHttp1(w.endpoint(), w.config(), w.tls(), w.callback());
      }
    });
  }

  private static final class Http1Lease extends UpstreamLease {
    private final EndpointPool pool;
    private final int maxRequests;

    Http1Lease(ClusterRuntime cluster, Channel channel, EndpointState endpoint, UpstreamHandler handler,
        EndpointPool pool, int maxRequests) {
      super(cluster, channel, endpoint, handler);
      this.pool = pool;
      this.maxRequests = maxRequests;
    }

    @Override
    public boolean http2() {
      return false;
    }

    @Override
    void doRelease(boolean reusable) {
      int served = ++handler.requests;
      if (pool != null && reusable && channel.isActive() && (maxRequests == 0 || served < maxRequests)) {
        channel.config().setAutoRead(true);
        pool.giveBack(channel, handler, maxRequests);
      } else {
        channel.close();
      }
    }
  }

  // ---- HTTP/2

  void acquireHttp2(EndpointState endpoint, ClusterConfig config, TlsContextProvider tls, LeaseCallback callback) {
    for (int i = 0; i < http2.size(); i++) {
      Http2Connection c = http2.get(i);
      if (c.canOpenStream()) {
        c.openStream(endpoint, callback);
        return;
      }
    }
    // No stream available now: the request is pending until a connection has room for it.
    CircuitBreaker breaker = cluster.circuitBreaker();
    if (!breaker.tryStartPending()) {
      cluster.requestEnded(endpoint);
      callback.onLeaseFailure(ProxyError.OVERFLOW);
      return;
    }
    if (connecting != null && connecting.waiters.size() < connecting.maxStreams()) {
      connecting.waiters.add(callback);
      return;
    }
    if (breaker.tryOpenConnection(http2.isEmpty() && connecting == null)) {
      connectHttp2(endpoint, config, tls, callback);
    } else {
      waiters.add(new Waiter(endpoint, config, tls, callback));
    }
  }

  private void connectHttp2(EndpointState endpoint, ClusterConfig config, TlsContextProvider tls,
      LeaseCallback first) {
    Http2Connection c = new Http2Connection(config);
    c.waiters.add(first);
    connecting = c;
    ChannelFuture f = connector.connect(cluster, loop, endpoint, config, tls, new ChannelInitializer<>() {
      @Override
      protected void initChannel(Channel ch) {
        c.init(ch);
      }
    });
    f.addListener((ChannelFuture cf) -> {
      if (connecting == c) {
        connecting = null;
      }
      List<LeaseCallback> waiting = new ArrayList<>(c.waiters);
      c.waiters.clear();
      CircuitBreaker breaker = cluster.circuitBreaker();
      for (int i = 0; i < waiting.size(); i++) {
        breaker.endPending();
      }
      if (!cf.isSuccess()) {
        breaker.connectionClosed();
        for (LeaseCallback w : waiting) {
          cluster.requestEnded(endpoint);
          w.onLeaseFailure(ProxyError.UPSTREAM_CONNECT_FAILURE);
        }
        serveHttp2Waiters();
        return;
      }
      http2.add(c);
      cf.channel().closeFuture().addListener(x -> {
        http2.remove(c);
        breaker.connectionClosed();
        serveHttp2Waiters();
      });
      for (LeaseCallback w : waiting) {
        c.openStream(endpoint, w);
      }
    });
  }

  /** Streams or a connection freed up: serve requests waiting for them, oldest first. */
  private void serveHttp2Waiters() {
    while (!waiters.isEmpty()) {
      Http2Connection open = null;
      for (int i = 0; i < http2.size() && open == null; i++) {
        if (http2.get(i).canOpenStream()) {
          open = http2.get(i);
        }
      }
      if (open != null) {
        Waiter w = waiters.poll();
        cluster.circuitBreaker().endPending();
        open.openStream(w.endpoint(), w.callback());
        continue;
      }
      if (connecting == null && cluster.circuitBreaker().tryOpenConnection(http2.isEmpty())) {
        Waiter w = waiters.poll();
        connectHttp2(w.endpoint(), w.config(), w.tls(), w.callback());
        while (!waiters.isEmpty() && connecting.waiters.size() < connecting.maxStreams()) {
          connecting.waiters.add(waiters.poll().callback());
        }
      }
      return;
    }
  }

  /** One HTTP/2 connection and the number of streams this pool has open on it. */
  private final class Http2Connection {
    final ClusterConfig config;
    final List<LeaseCallback> waiters = new ArrayList<>();
    Channel channel;
    Http2FrameCodec codec;
    int activeStreams;

    Http2Connection(ClusterConfig config) {
      this.config = config;
    }

    void init(Channel ch) {
      channel = ch;
      dev.weft.proxy.config.Http2Settings s = config.http2();
      codec = Http2FrameCodecBuilder.forClient()
          .initialSettings(Http2Settings.defaultSettings().pushEnabled(false)
              .initialWindowSize(s.initialStreamWindowSize()))
          .validateHeaders(true)
          .build();
      ChannelPipeline p = ch.pipeline();
      p.addLast("h2", codec);
      p.addLast("mux", new Http2MultiplexHandler(new RejectPushHandler()));
      long idleMillis = config.idleTimeout().toMillis();
      if (idleMillis > 0) {
        p.addLast("idle", new IdleTimeoutHandler(Duration.ofMillis(idleMillis)));
      }
      p.addLast("lifecycle", new ChannelInboundHandlerAdapter() {
        @Override
        public void channelActive(ChannelHandlerContext ctx) {
          int delta = s.initialConnectionWindowSize() - 65535;
          if (delta > 0) {
            ctx.writeAndFlush(new DefaultHttp2WindowUpdateFrame(delta));
          }
          ctx.fireChannelActive();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
          if (evt instanceof IdleStateEvent && activeStreams == 0) {
            ctx.close();
          }
          ReferenceCountUtil.release(evt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
          ctx.close();
        }
      });
    }

    long maxStreams() {
      long peer = codec == null ? Long.MAX_VALUE : codec.connection().local().maxActiveStreams();
      return Math.min(peer, config.http2().maxConcurrentStreams());
    }

    boolean canOpenStream() {
      return channel.isActive() && !codec.connection().goAwayReceived() && !codec.connection().goAwaySent()
          && activeStreams < maxStreams();
    }

    void openStream(EndpointState endpoint, LeaseCallback callback) {
      UpstreamHandler handler = new UpstreamHandler();
      activeStreams++;
      new Http2StreamChannelBootstrap(channel)
          .handler(new ChannelInitializer<Http2StreamChannel>() {
            @Override
            protected void initChannel(Http2StreamChannel ch) {
              ch.pipeline().addLast("codec", new Http2StreamFrameToHttpObjectCodec(false, true));
              ch.pipeline().addLast("upstream", handler);
            }
          })
          .open()
          .addListener(f -> {
            if (f.isSuccess()) {
              Http2StreamChannel stream = (Http2StreamChannel) f.getNow();
              stream.closeFuture().addListener(x -> {
                activeStreams--;
                serveHttp2Waiters();
              });
              callback.onLease(new Http2StreamLease(cluster, stream, endpoint, handler));
            } else {
              activeStreams--;
              cluster.requestEnded(endpoint);
              callback.onLeaseFailure(ProxyError.UPSTREAM_RESET);
            }
          });
    }
  }

  private static final class Http2StreamLease extends UpstreamLease {
    Http2StreamLease(ClusterRuntime cluster, Channel channel, EndpointState endpoint, UpstreamHandler handler) {
      super(cluster, channel, endpoint, handler);
    }

    @Override
    public boolean http2() {
      return true;
    }

    @Override
    void doRelease(boolean reusable) {
      // A finished stream closes itself; an unfinished one is reset by closing it.
      if (!reusable) {
        channel.close();
      }
    }
  }

  /** Upstream peers must not push; any pushed stream is refused by closing it. */
  private static final class RejectPushHandler extends ChannelInboundHandlerAdapter {
    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      ctx.close();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ReferenceCountUtil.release(msg);
    }
  }
}
