package dev.weft.proxy.listener;

import dev.weft.proxy.IdleTimeoutHandler;
import dev.weft.proxy.config.FilterChainConfig;
import dev.weft.proxy.config.HttpConnectionManagerConfig;
import dev.weft.proxy.config.ListenerConfig;
import dev.weft.proxy.config.NetworkFilterConfig;
import dev.weft.proxy.config.TcpProxyConfig;
import dev.weft.proxy.http.DrainState;
import dev.weft.proxy.http.HttpChainContext;
import dev.weft.proxy.http.HttpProxyHandler;
import dev.weft.proxy.metrics.ProxyMetrics;
import dev.weft.proxy.rbac.NetworkRbacHandler;
import dev.weft.proxy.tcp.TcpProxyHandler;
import dev.weft.proxy.tls.TlsContextProvider;
import dev.weft.proxy.tls.TlsContexts;
import dev.weft.proxy.tls.TlsServerHandshake;
import dev.weft.proxy.upstream.ClusterManager;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http2.DefaultHttp2WindowUpdateFrame;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Builds the pipeline of every accepted connection of one listener, in one place:
 *
 * <pre>
 * stats ─► [sniffer] ─► [tls ─► handshake] ─► HTTP/1.1: [idle] ─► codec ─► router
 *                      HTTP/2:   h2 ─► mux ─► per stream: codec ─► router
 *                      TCP:      [idle] ─► tcp_proxy (then relay)
 * </pre>
 *
 * The sniffer runs only when the chain depends on what the client sends (TLS or HTTP inspector,
 * or an HTTP connection manager with codec AUTO). A chain with a TLS transport socket
 * terminates TLS first; the network filter is installed once the handshake has verified the
 * peer, and ALPN picks HTTP/2 or HTTP/1.1.
 */
public final class ListenerInitializer extends ChannelInitializer<Channel> {
  private static final int MAX_CHUNK = 64 * 1024;

  private final ListenerConfig listener;
  private final ClusterManager clusters;
  private final ProxyMetrics metrics;
  private final ProxyMetrics.ListenerStats stats;
  private final ChannelGroup connections;
  private final DrainState drain;
  private final Duration drainTimeout;
  private final Map<HttpConnectionManagerConfig, HttpChainContext> httpChains = new IdentityHashMap<>();
  private final Map<FilterChainConfig, TlsContextProvider> tls = new IdentityHashMap<>();
  private final boolean sniff;
  private final boolean sniffHttp;
  private final java.util.function.Function<String, dev.weft.proxy.config.RouteTable> rds;

  /**
   * @param tlsContexts builds the server TLS contexts of chains with a transport socket
   * @throws TlsContexts.TlsSetupException when a chain's certificate or roots cannot be loaded
   */
  public ListenerInitializer(ListenerConfig listener, ClusterManager clusters, ProxyMetrics metrics,
      ChannelGroup connections, DrainState drain, Duration drainTimeout, TlsContexts tlsContexts)
      throws TlsContexts.TlsSetupException {
    this(listener, clusters, metrics, connections, drain, drainTimeout, tlsContexts,
        dev.weft.proxy.config.RouteTable::empty);
  }

  /**
   * @param rds the current route table of an RDS name (looked up per request, so a route
   *            update reaches requests on connections already open)
   */
  public ListenerInitializer(ListenerConfig listener, ClusterManager clusters, ProxyMetrics metrics,
      ChannelGroup connections, DrainState drain, Duration drainTimeout, TlsContexts tlsContexts,
      java.util.function.Function<String, dev.weft.proxy.config.RouteTable> rds)
      throws TlsContexts.TlsSetupException {
    this.rds = rds;
    this.listener = listener;
    this.clusters = clusters;
    this.metrics = metrics;
    this.stats = metrics.listener(listener.name());
    this.connections = connections;
    this.drain = drain;
    this.drainTimeout = drainTimeout;
    boolean anyAuto = false;
    for (FilterChainConfig c : listener.filterChains()) {
      anyAuto |= isAutoHttp(c);
    }
    anyAuto |= listener.defaultFilterChain() != null && isAutoHttp(listener.defaultFilterChain());
    this.sniffHttp = listener.inspectHttp() || anyAuto;
    this.sniff = sniffHttp || listener.inspectTls();
    for (FilterChainConfig c : listener.filterChains()) {
      context(c, tlsContexts);
    }
    if (listener.defaultFilterChain() != null) {
      context(listener.defaultFilterChain(), tlsContexts);
    }
  }

  private static boolean isAutoHttp(FilterChainConfig c) {
    return c.filter() instanceof HttpConnectionManagerConfig h && h.codec() == HttpConnectionManagerConfig.Codec.AUTO;
  }

  private void context(FilterChainConfig c, TlsContexts tlsContexts) throws TlsContexts.TlsSetupException {
    if (c.filter() instanceof HttpConnectionManagerConfig h) {
      String rdsName = h.rdsRouteConfigName();
      httpChains.put(h, rdsName == null ? new HttpChainContext(listener.name(), h, clusters, metrics, drain)
          : new HttpChainContext(listener.name(), h, clusters, metrics, drain, () -> rds.apply(rdsName)));
    }
    if (c.tls() != null) {
      tls.put(c, tlsContexts.server(c.tls()));
    }
  }

  @Override
  protected void initChannel(Channel ch) {
    connections.add(ch);
    ChannelPipeline p = ch.pipeline();
    p.addLast("stats", new ConnectionStats(stats));
    if (sniff) {
      p.addLast("sniffer", new ProtocolSniffer(listener.inspectTimeout().toNanos(),
          listener.continueOnInspectTimeout(), listener.inspectTls(), sniffHttp,
          (ctx, transport, protocol) -> install(ctx.channel(), transport, protocol)));
    } else {
      install(ch, "raw_buffer", null);
    }
  }

  private void install(Channel ch, String transport, String protocol) {
    int port = ch.localAddress() instanceof InetSocketAddress a ? a.getPort() : 0;
    FilterChainConfig chain = listener.selectChain(port, transport, protocol);
    if (chain == null) {
      ch.close();
      return;
    }
    TlsContextProvider serverTls = tls.get(chain);
    if (serverTls == null) {
      installFilter(ch, chain, protocol, false);
      return;
    }
    // TLS first (a plaintext client on a TLS-only chain fails the handshake: STRICT mTLS);
    // the network filter goes in once the handshake has verified the peer.
    ChannelPipeline p = ch.pipeline();
    p.addLast("tls", serverTls.current().newHandler(ch.alloc()));
    p.addLast("tls-handshake", new TlsServerHandshake(serverTls.localPrincipal(),
        (ctx, alpn) -> installFilter(ctx.channel(), chain, alpn, true)));
  }

  /**
   * Installs the chain's terminal filter.
   *
   * @param protocol the sniffed protocol ("h2c", "http/1.1", ...) or the ALPN result ("h2",
   *                 "http/1.1") when known, else null
   * @param afterTls whether this runs after a TLS handshake (then an unknown HTTP version is
   *                 sniffed from the decrypted bytes)
   */
  private void installFilter(Channel ch, FilterChainConfig chain, String protocol, boolean afterTls) {
    NetworkFilterConfig filter = chain.filter();
    ChannelPipeline p = ch.pipeline();
    if (!chain.networkRbac().isEmpty() && p.get("rbac") == null) {
      p.addLast("rbac", new NetworkRbacHandler(chain.networkRbac(), metrics, listener.name()));
    }
    switch (filter) {
      case TcpProxyConfig tcp -> {
        if (!tcp.idleTimeout().isZero()) {
          p.addLast("idle", new IdleTimeoutHandler(tcp.idleTimeout()));
        }
        p.addLast("tcp_proxy", new TcpProxyHandler(tcp, clusters));
      }
      case HttpConnectionManagerConfig http -> {
        if (http.codec() == HttpConnectionManagerConfig.Codec.AUTO && protocol == null && afterTls) {
          p.addLast("sniffer", new ProtocolSniffer(listener.inspectTimeout().toNanos(), true,
              (ctx, sniffed) -> installFilter(ctx.channel(), chain, sniffed == null ? "http/1.1" : sniffed, true)));
          return;
        }
        boolean h2 = switch (http.codec()) {
          case HTTP1 -> false;
          case HTTP2 -> true;
          case AUTO -> "h2c".equals(protocol) || "h2".equals(protocol);
        };
        HttpChainContext context = httpChains.get(http);
        if (h2) {
          installHttp2(p, http, context);
        } else {
          installHttp1(p, http, context);
        }
      }
    }
  }

  private void installHttp1(ChannelPipeline p, HttpConnectionManagerConfig http, HttpChainContext context) {
    if (!http.idleTimeout().isZero()) {
      p.addLast("idle", new IdleTimeoutHandler(http.idleTimeout()));
    }
    p.addLast("codec", new HttpServerCodec(new HttpDecoderConfig()
        .setMaxInitialLineLength(http.maxRequestHeadersBytes())
        .setMaxHeaderSize(http.maxRequestHeadersBytes())
        .setMaxChunkSize(MAX_CHUNK)));
    p.addLast("router", new HttpProxyHandler(context, false));
  }

  private void installHttp2(ChannelPipeline p, HttpConnectionManagerConfig http, HttpChainContext context) {
    dev.weft.proxy.config.Http2Settings s = http.http2();
    Http2FrameCodec codec = Http2FrameCodecBuilder.forServer()
        .initialSettings(Http2Settings.defaultSettings()
            .maxConcurrentStreams(s.maxConcurrentStreams())
            .initialWindowSize(s.initialStreamWindowSize())
            .maxHeaderListSize(http.maxRequestHeadersBytes()))
        .validateHeaders(true)
        .gracefulShutdownTimeoutMillis(drainTimeout.toMillis())
        .build();
    p.addLast("h2", codec);
    p.addLast("mux", new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
      @Override
      protected void initChannel(Http2StreamChannel stream) {
        stream.pipeline().addLast("codec", new Http2StreamFrameToHttpObjectCodec(true, true));
        stream.pipeline().addLast("router", new HttpProxyHandler(context, true));
      }
    }));
    if (!http.idleTimeout().isZero()) {
      p.addLast("idle", new IdleTimeoutHandler(http.idleTimeout()));
    }
    p.addLast("h2-lifecycle", new Http2ConnectionLifecycle(codec, s.initialConnectionWindowSize()));
  }

  /**
   * Connection-level HTTP/2 housekeeping: grows the connection window, closes idle connections
   * and drains with GOAWAY (the codec's graceful close waits for open streams).
   */
  private static final class Http2ConnectionLifecycle extends ChannelInboundHandlerAdapter {
    private final Http2FrameCodec codec;
    private final int connectionWindow;

    Http2ConnectionLifecycle(Http2FrameCodec codec, int connectionWindow) {
      this.codec = codec;
      this.connectionWindow = connectionWindow;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      int delta = connectionWindow - 65535;
      if (delta > 0) {
        ctx.writeAndFlush(new DefaultHttp2WindowUpdateFrame(delta));
      }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt == DrainState.DRAIN_EVENT) {
        ctx.channel().close();
        return;
      }
      if (evt instanceof IdleStateEvent) {
        if (codec.connection().numActiveStreams() == 0) {
          ctx.close();
        }
        return;
      }
      ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ReferenceCountUtil.release(msg); // connection-level frames the multiplexer passed on
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }
}
