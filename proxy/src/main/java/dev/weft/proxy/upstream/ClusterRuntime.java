package dev.weft.proxy.upstream;

import dev.weft.proxy.config.ClusterConfig;
import dev.weft.proxy.config.EndpointConfig;
import dev.weft.proxy.config.SocketAddressConfig;
import dev.weft.proxy.http.ProxyError;
import dev.weft.proxy.lb.LbContext;
import dev.weft.proxy.lb.RoundRobinBalancer;
import dev.weft.proxy.metrics.ProxyMetrics;
import dev.weft.proxy.tls.TlsContextProvider;
import dev.weft.proxy.tls.TlsContexts;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A cluster at run time: its current config and endpoints, and one {@link PerLoop} of pools and
 * balancer state per worker event loop. Everything in a {@code PerLoop} is touched only from
 * its own loop, so the request path takes no locks.
 */
public final class ClusterRuntime {
  private final String name;
  private final UpstreamConnector connector;
  private final EventLoopIndex loops;
  private final PerLoop[] perLoop;
  final ProxyMetrics.ClusterStats stats;
  private volatile Snapshot snapshot;

  /** The config, endpoint objects and client TLS context of one cluster version. */
  record Snapshot(ClusterConfig config, List<EndpointState> endpoints, TlsContextProvider tls) {}

  private final TlsContexts tlsContexts;

  ClusterRuntime(ClusterConfig config, UpstreamConnector connector, EventLoopIndex loops, ProxyMetrics metrics,
      TlsContexts tlsContexts) throws TlsContexts.TlsSetupException {
    this.name = config.name();
    this.connector = connector;
    this.loops = loops;
    this.perLoop = new PerLoop[loops.size()];
    this.stats = metrics.cluster(name);
    this.tlsContexts = tlsContexts;
    update(config);
  }

  /** The client TLS context of the current version, or null for plaintext. */
  public TlsContextProvider tls() {
    return snapshot.tls();
  }

  public String name() {
    return name;
  }

  public ClusterConfig config() {
    return snapshot.config();
  }

  public List<EndpointState> endpoints() {
    return snapshot.endpoints();
  }

  public ProxyMetrics.ClusterStats stats() {
    return stats;
  }

  /** Applies a new version of the cluster's config, keeping endpoint counters for endpoints that stay. */
  void update(ClusterConfig config) throws TlsContexts.TlsSetupException {
    TlsContextProvider tls = null;
    if (config.tls() != null) {
      List<String> alpn = switch (config.protocol()) {
        case HTTP1 -> List.of("http/1.1");
        case HTTP2 -> List.of("h2");
        case DOWNSTREAM -> List.of("h2", "http/1.1");
      };
      tls = tlsContexts.client(config.tls(), alpn);
    }
    Snapshot old = snapshot;
    Map<SocketAddressConfig, EndpointState> previous = new HashMap<>();
    if (old != null) {
      for (EndpointState e : old.endpoints()) {
        previous.put(e.config.address(), e);
      }
    }
    List<EndpointState> endpoints = new ArrayList<>();
    for (EndpointConfig ec : config.endpoints()) {
      EndpointState prev = previous.get(ec.address());
      endpoints.add(prev != null && prev.config.equals(ec) ? prev : new EndpointState(ec));
    }
    snapshot = new Snapshot(config, List.copyOf(endpoints), tls);
  }

  /**
   * Leases a connection or stream to an endpoint picked by the balancer, opening one when none
   * is idle. Must be called on {@code loop}, which must be a worker loop; the callback runs there.
   *
   * @param downstreamHttp2 whether the request came in over HTTP/2 (used when the cluster speaks
   *                        the downstream protocol)
   */
  public void acquire(EventLoop loop, boolean downstreamHttp2, LeaseCallback callback) {
    acquire(loop, downstreamHttp2, LbContext.NONE, callback);
  }

  /**
   * Like {@link #acquire(EventLoop, boolean, LeaseCallback)}, with the request's hash and the
   * hosts a retry should avoid.
   */
  public void acquire(EventLoop loop, boolean downstreamHttp2, LbContext lb, LeaseCallback callback) {
    Snapshot s = snapshot;
    PerLoop p = perLoop(loop, s);
    EndpointState endpoint = p.balancer.pick();
    if (endpoint == null) {
      callback.onLeaseFailure(ProxyError.NO_HEALTHY_UPSTREAM);
      return;
    }
    ClusterConfig config = s.config();
    boolean h2 = switch (config.protocol()) {
      case HTTP1 -> false;
      case HTTP2 -> true;
      case DOWNSTREAM -> downstreamHttp2;
    };
    EndpointPool pool = p.pools.computeIfAbsent(endpoint.config.address(),
        a -> new EndpointPool(this, loop, connector));
    endpoint.totalRequests.increment();
    endpoint.activeRequests.incrementAndGet();
    if (h2) {
      pool.acquireHttp2(endpoint, config, s.tls(), callback);
    } else {
      pool.acquireHttp1(endpoint, config, s.tls(), callback);
    }
  }

  /**
   * Opens a dedicated, unpooled HTTP/1.1 connection (for upgrades such as WebSocket, whose
   * connection becomes a tunnel). Must be called on {@code loop}.
   */
  public void connectDedicated(EventLoop loop, LeaseCallback callback) {
    Snapshot s = snapshot;
    EndpointState endpoint = perLoop(loop, s).balancer.pick();
    if (endpoint == null) {
      callback.onLeaseFailure(ProxyError.NO_HEALTHY_UPSTREAM);
      return;
    }
    endpoint.totalRequests.increment();
    endpoint.activeRequests.incrementAndGet();
    EndpointPool.connectHttp1(this, loop, connector, endpoint, s.config(), s.tls(), callback, null);
  }

  /**
   * The router reports the response status of each attempt on {@code endpoint} (for outlier
   * detection: consecutive 5xx, gateway errors, success rate).
   */
  public void recordResponse(EndpointState endpoint, int status) {
  }

  /**
   * The router reports a local-origin failure of an attempt on {@code endpoint} after it was
   * leased: the connection or stream was reset, or the attempt timed out.
   */
  public void recordLocalFailure(EndpointState endpoint) {
  }

  /** Picks an endpoint for a raw TCP connection, or null when the cluster has none. */
  public EndpointState pickTcp(EventLoop loop) {
    return perLoop(loop, snapshot).balancer.pick();
  }

  /** Opens a raw TCP connection to {@code endpoint}; {@code handler} initializes its pipeline. */
  public io.netty.channel.ChannelFuture connectTcp(EventLoop loop, EndpointState endpoint,
      io.netty.channel.ChannelHandler handler) {
    Snapshot s = snapshot;
    return connector.connect(this, loop, endpoint, s.config(), s.tls(), handler);
  }

  private PerLoop perLoop(EventLoop loop, Snapshot s) {
    int i = loops.of(loop);
    PerLoop p = perLoop[i];
    if (p == null || p.snapshot != s) {
      p = new PerLoop(s, p);
      perLoop[i] = p;
    }
    return p;
  }

  /** Closes every idle pooled connection (used when the cluster is removed or at shutdown). */
  void closeIdle(List<Channel> out) {
    for (PerLoop p : perLoop) {
      if (p != null) {
        p.pools.values().forEach(pool -> pool.collectChannels(out));
      }
    }
  }

  /** State of one event loop: pools by endpoint address, and the balancer over this version's endpoints. */
  private static final class PerLoop {
    final Snapshot snapshot;
    final Map<SocketAddressConfig, EndpointPool> pools;
    final RoundRobinBalancer balancer;

    PerLoop(Snapshot snapshot, PerLoop previous) {
      this.snapshot = snapshot;
      this.pools = previous != null ? previous.pools : new HashMap<>();
      this.balancer = new RoundRobinBalancer(snapshot.endpoints());
    }
  }
}
