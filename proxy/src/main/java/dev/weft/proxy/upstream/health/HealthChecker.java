package dev.weft.proxy.upstream.health;

import dev.weft.proxy.config.HealthCheckConfig;
import dev.weft.proxy.upstream.EndpointState;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.IntFunction;
import java.util.function.Supplier;

/**
 * Envoy's active health checking for one cluster: one session per endpoint, each living on one
 * worker event loop, where every step (connect, request, timeout, next check) is a
 * non-blocking callback or timer. HTTP checks send {@code GET path} over HTTP/1.1 (through the
 * cluster's TLS when it has one) and reuse the connection while the endpoint keeps it alive;
 * TCP checks connect, optionally send bytes and expect bytes, then close.
 *
 * <p>An endpoint turns unhealthy ({@link EndpointState#failedActiveHealthCheck}) after
 * {@code unhealthy_threshold} failures in a row and healthy again after
 * {@code healthy_threshold} successes; the first check of a new endpoint decides at once, as
 * in Envoy. A passing check also ends an outlier ejection when
 * {@code successful_active_health_check_uneject_host} is on (Envoy's default).
 */
public final class HealthChecker {
  private static final int MAX_TCP_RESPONSE = 64 * 1024;

  /** Opens a connection to an endpoint (over the cluster's TLS), counted apart from traffic. */
  public interface Connector {
    ChannelFuture connect(EventLoop loop, EndpointState endpoint, ChannelHandler initializer);
  }

  private final String cluster;
  private final IntFunction<EventLoop> loops;
  private final Connector connector;
  private final ClusterHealthStats stats;
  private final Runnable healthChanged;
  private final Supplier<OutlierDetector> outlier;
  private final BooleanSupplier hadTraffic;
  private final Map<EndpointState, Session> sessions = new IdentityHashMap<>();
  private volatile HealthCheckConfig config;
  private int nextLoop;

  public HealthChecker(String cluster, IntFunction<EventLoop> loops, Connector connector, ClusterHealthStats stats,
      Runnable healthChanged, Supplier<OutlierDetector> outlier, BooleanSupplier hadTraffic) {
    this.cluster = cluster;
    this.loops = loops;
    this.connector = connector;
    this.stats = stats;
    this.healthChanged = healthChanged;
    this.outlier = outlier;
    this.hadTraffic = hadTraffic;
  }

  public HealthCheckConfig config() {
    return config;
  }

  /** Applies a config version: sessions of removed endpoints stop, new endpoints get one. */
  public synchronized void update(HealthCheckConfig config, List<EndpointState> endpoints) {
    this.config = config;
    Map<EndpointState, Boolean> keep = new IdentityHashMap<>();
    endpoints.forEach(e -> keep.put(e, Boolean.TRUE));
    sessions.entrySet().removeIf(e -> {
      if (keep.containsKey(e.getKey())) {
        return false;
      }
      e.getValue().stop();
      return true;
    });
    for (EndpointState e : endpoints) {
      if (!sessions.containsKey(e)) {
        Session s = new Session(e, loops.apply(nextLoop++));
        sessions.put(e, s);
        s.start();
      }
    }
  }

  /** Stops every session (the cluster was removed or lost its health check). */
  public synchronized void stop() {
    sessions.values().forEach(Session::stop);
    sessions.clear();
  }

  private static long jitter(java.time.Duration max) {
    long n = max.toNanos();
    return n <= 0 ? 0 : ThreadLocalRandom.current().nextLong(n + 1);
  }

  /** The checks of one endpoint; every field is touched only on {@link #loop}. */
  private final class Session {
    final EndpointState host;
    final EventLoop loop;
    volatile boolean stopped;
    ScheduledFuture<?> next;
    ScheduledFuture<?> timeout;
    /** The HTTP check connection, reused while the endpoint keeps it alive. */
    Channel channel;
    /** The connection of the TCP check in flight. */
    Channel tcpChannel;
    boolean inFlight;
    int checkId;

    Session(EndpointState host, EventLoop loop) {
      this.host = host;
      this.loop = loop;
    }

    void start() {
      loop.execute(() -> schedule(jitter(config.initialJitter())));
    }

    void stop() {
      stopped = true;
      loop.execute(() -> {
        if (next != null) {
          next.cancel(false);
        }
        if (timeout != null) {
          timeout.cancel(false);
        }
        closeChannel();
      });
    }

    void schedule(long nanos) {
      if (!stopped) {
        next = loop.schedule(this::check, nanos, TimeUnit.NANOSECONDS);
      }
    }

    void closeChannel() {
      if (channel != null) {
        channel.close();
        channel = null;
      }
      if (tcpChannel != null) {
        tcpChannel.close();
        tcpChannel = null;
      }
    }

    void check() {
      if (stopped) {
        return;
      }
      HealthCheckConfig c = config;
      int id = ++checkId;
      inFlight = true;
      stats.healthCheckAttempts.increment();
      timeout = loop.schedule(() -> {
        if (id == checkId && inFlight) {
          // A timed-out check leaves the connection in an unknown state: close it.
          closeChannel();
          done(id, false);
        }
      }, c.timeout().toNanos(), TimeUnit.NANOSECONDS);
      switch (c.check()) {
        case HealthCheckConfig.Http http -> httpCheck(id, http);
        case HealthCheckConfig.Tcp tcp -> tcpCheck(id, tcp);
      }
    }

    // ---- HTTP

    void httpCheck(int id, HealthCheckConfig.Http http) {
      if (channel != null && channel.isActive()) {
        sendHttp(channel, http);
        return;
      }
      channel = null;
      HttpResponseReader reader = new HttpResponseReader(this, http);
      ChannelFuture f = connector.connect(loop, host, new ChannelInitializer<>() {
        @Override
        protected void initChannel(Channel ch) {
          ch.pipeline().addLast("codec", new HttpClientCodec());
          ch.pipeline().addLast("hc", reader);
        }
      });
      f.addListener((ChannelFuture cf) -> {
        if (stopped || id != checkId || !inFlight) {
          cf.channel().close();
          return;
        }
        if (!cf.isSuccess()) {
          done(id, false);
          cf.channel().close();
          return;
        }
        channel = cf.channel();
        sendHttp(channel, http);
      });
    }

    void sendHttp(Channel ch, HealthCheckConfig.Http http) {
      FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, http.path(),
          Unpooled.EMPTY_BUFFER);
      req.headers().set(HttpHeaderNames.HOST, http.host());
      req.headers().set(HttpHeaderNames.USER_AGENT, "Envoy/HC");
      ch.writeAndFlush(req, ch.voidPromise());
    }

    void httpResponse(Channel ch, int status, boolean keepAlive, HealthCheckConfig.Http http) {
      if (ch != channel || !inFlight) {
        return;
      }
      if (!keepAlive) {
        closeChannel();
      }
      done(checkId, http.expected(status));
    }

    void channelLost(Channel ch) {
      if (ch == channel) {
        channel = null;
        if (inFlight) {
          done(checkId, false);
        }
      }
    }

    // ---- TCP

    void tcpCheck(int id, HealthCheckConfig.Tcp tcp) {
      ChannelFuture f = connector.connect(loop, host, new ChannelInitializer<>() {
        @Override
        protected void initChannel(Channel ch) {
          ch.pipeline().addLast("hc", new TcpResponseReader(Session.this, id, tcp));
        }
      });
      f.addListener((ChannelFuture cf) -> {
        if (stopped || id != checkId || !inFlight) {
          cf.channel().close();
          return;
        }
        if (!cf.isSuccess()) {
          done(id, false);
          cf.channel().close();
          return;
        }
        if (tcp.send().length == 0) {
          // Connect-only check.
          done(id, true);
          cf.channel().close();
          return;
        }
        // Held until the check ends, so a timeout or a stop closes it.
        tcpChannel = cf.channel();
        cf.channel().writeAndFlush(Unpooled.wrappedBuffer(tcp.send())).addListener((ChannelFuture wf) -> {
          if (tcp.receive().isEmpty() && wf.isSuccess()) {
            done(id, true);
            wf.channel().close();
          }
        });
      });
    }

    // ---- results

    void done(int id, boolean healthy) {
      if (stopped || id != checkId || !inFlight) {
        return;
      }
      inFlight = false;
      if (timeout != null) {
        timeout.cancel(false);
        timeout = null;
      }
      HealthCheckConfig c = config;
      if (tcpChannel != null) {
        tcpChannel.close(); // TCP checks use a fresh connection each time
        tcpChannel = null;
      }
      if (healthy) {
        stats.healthCheckSuccesses.increment();
        OutlierDetector od = outlier.get();
        if (od != null && host.ejected) {
          od.unejectAfterHealthCheck(host);
        }
      } else {
        stats.healthCheckFailures.increment();
      }
      boolean changed = record(host, healthy, c.healthyThreshold(), c.unhealthyThreshold());
      if (changed) {
        healthChanged.run();
      }
      java.time.Duration interval = hadTraffic.getAsBoolean() ? c.interval() : c.noTrafficInterval();
      schedule(interval.toNanos() + jitter(c.intervalJitter()));
    }
  }

  /** Reads HTTP health-check responses on a (reused) connection. */
  private static final class HttpResponseReader extends ChannelInboundHandlerAdapter {
    private final Session session;
    private final HealthCheckConfig.Http http;
    private int status;
    private boolean keepAlive;

    HttpResponseReader(Session session, HealthCheckConfig.Http http) {
      this.session = session;
      this.http = http;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        if (msg instanceof HttpResponse r) {
          status = r.status().code();
          keepAlive = HttpUtil.isKeepAlive(r);
        }
        if (msg instanceof LastHttpContent) {
          session.httpResponse(ctx.channel(), status, keepAlive, http);
        }
      } finally {
        ReferenceCountUtil.release(msg);
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      session.channelLost(ctx.channel());
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }

  /**
   * Collects a TCP health check's response until every expected block was seen, in order. The
   * bytes are copied to the heap (at most 64 KiB), so nothing pooled outlives the connection even
   * when the event loop shuts down with a check in flight.
   */
  private static final class TcpResponseReader extends ChannelInboundHandlerAdapter {
    private final Session session;
    private final int id;
    private final HealthCheckConfig.Tcp tcp;
    private byte[] received = new byte[0];
    private int length;

    TcpResponseReader(Session session, int id, HealthCheckConfig.Tcp tcp) {
      this.session = session;
      this.id = id;
      this.tcp = tcp;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (!(msg instanceof ByteBuf b)) {
        ReferenceCountUtil.release(msg);
        return;
      }
      try {
        int n = b.readableBytes();
        if (length + n > MAX_TCP_RESPONSE) {
          ctx.close();
          return;
        }
        if (length + n > received.length) {
          received = java.util.Arrays.copyOf(received, Math.max(length + n, received.length * 2));
        }
        b.readBytes(received, length, n);
        length += n;
      } finally {
        b.release();
      }
      if (!tcp.receive().isEmpty() && matches(received, length, tcp.receive())) {
        session.done(id, true);
        ctx.close();
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      session.done(id, false);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }

  /**
   * Applies one check result to {@code host}'s active-health state: unhealthy after
   * {@code unhealthyThreshold} failures in a row, healthy again after {@code healthyThreshold}
   * successes in a row; the first result of a host never checked before decides at once.
   *
   * @return whether {@link EndpointState#failedActiveHealthCheck} changed
   */
  static boolean record(EndpointState host, boolean passed, int healthyThreshold, int unhealthyThreshold) {
    HostHealth h = host.health;
    boolean changed = false;
    if (passed) {
      h.consecutiveUnhealthy = 0;
      if (host.failedActiveHealthCheck && (h.pendingFirstCheck || ++h.consecutiveHealthy >= healthyThreshold)) {
        host.failedActiveHealthCheck = false;
        h.consecutiveHealthy = 0;
        changed = true;
      }
    } else {
      h.consecutiveHealthy = 0;
      if (!host.failedActiveHealthCheck
          && (h.pendingFirstCheck || ++h.consecutiveUnhealthy >= unhealthyThreshold)) {
        host.failedActiveHealthCheck = true;
        h.consecutiveUnhealthy = 0;
        changed = true;
      }
    }
    h.pendingFirstCheck = false;
    return changed;
  }

  /** Envoy's TCP health-check match: each expected block occurs in {@code data[0, length)}, in order. */
  static boolean matches(byte[] data, int length, List<byte[]> expected) {
    int from = 0;
    for (byte[] block : expected) {
      int at = indexOf(data, from, length, block);
      if (at < 0) {
        return false;
      }
      from = at + block.length;
    }
    return true;
  }

  private static int indexOf(byte[] data, int from, int end, byte[] block) {
    outer:
    for (int i = from; i + block.length <= end; i++) {
      for (int j = 0; j < block.length; j++) {
        if (data[i + j] != block[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  @Override
  public String toString() {
    return "HealthChecker[" + cluster + "]";
  }
}
