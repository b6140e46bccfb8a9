package dev.weft.proxy.upstream;

import dev.weft.proxy.config.ClusterConfig;
import dev.weft.proxy.config.EndpointConfig;
import dev.weft.proxy.config.RetryBudgetConfig;
import dev.weft.proxy.config.SocketAddressConfig;
import dev.weft.proxy.http.ProxyError;
import dev.weft.proxy.lb.ClusterBalancer;
import dev.weft.proxy.lb.ClusterLbState;
import dev.weft.proxy.lb.LbContext;
import dev.weft.proxy.lb.LoadBalancerProvider;
import dev.weft.proxy.lb.LoadBalancerRegistry;
import dev.weft.proxy.lb.PrioritySet;
import dev.weft.proxy.metrics.ProxyMetrics;
import dev.weft.proxy.metrics.RetryStats;
import dev.weft.proxy.retry.RetryBudget;
import dev.weft.proxy.retry.RetryRefusal;
import dev.weft.proxy.tls.TlsContextProvider;
import dev.weft.proxy.tls.TlsContexts;
import dev.weft.proxy.upstream.health.CircuitBreaker;
import dev.weft.proxy.upstream.health.ClusterHealthStats;
import dev.weft.proxy.upstream.health.HealthChecker;
import dev.weft.proxy.upstream.health.OutlierDetector;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

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
  private final RetryStats retryStats;
  private final RetryBudget retryBudget = new RetryBudget();
  private volatile Snapshot snapshot;
  private final ClusterHealthStats healthStats;
  private final CircuitBreaker breaker;
  private final Map<EndpointState, AutoCloseable> endpointMeters = new HashMap<>();
  private volatile OutlierDetector outlier;
  private io.netty.util.concurrent.ScheduledFuture<?> outlierTimer;
  private HealthChecker healthChecker;
  /** TLS for health-check connections: the cluster's, offering only HTTP/1.1 (health checks speak it). */
  private volatile TlsContextProvider healthCheckTls;

  /** Load-balancing state shared by the loops; outlives versions that keep the balancer inputs. */
  private final ClusterLbState lbState = new ClusterLbState();

  /**
   * The config, endpoint objects and client TLS contexts of one cluster version: {@code tls} for
   * HTTP/1.1 and raw TCP connections, {@code tlsH2} for HTTP/2 ones. They differ only in ALPN, and
   * only when the cluster speaks the downstream protocol: each connection then offers just the
   * protocol it will speak, as Envoy's per-protocol pools do, so a server that prefers h2 cannot
   * pick it for a connection that is going to send HTTP/1.1. {@code lb} are the balancer inputs.
   */
  record Snapshot(ClusterConfig config, List<EndpointState> endpoints, TlsContextProvider tls,
      TlsContextProvider tlsH2, ClusterLbState.Inputs lb) {}

  private final TlsContexts tlsContexts;

  ClusterRuntime(ClusterConfig config, UpstreamConnector connector, EventLoopIndex loops, ProxyMetrics metrics,
      TlsContexts tlsContexts) throws TlsContexts.TlsSetupException {
    this.name = config.name();
    this.connector = connector;
    this.loops = loops;
    this.perLoop = new PerLoop[loops.size()];
    this.stats = metrics.cluster(name);
    this.retryStats = metrics.retries(name);
    this.tlsContexts = tlsContexts;
    this.healthStats = new ClusterHealthStats(metrics.registry(), name);
    this.breaker = new CircuitBreaker(config.circuitBreakers(), healthStats);
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
  synchronized void update(ClusterConfig config) throws TlsContexts.TlsSetupException {
    TlsContextProvider tls = null;
    TlsContextProvider tlsH2 = null;
    if (config.tls() != null) {
      switch (config.protocol()) {
        case HTTP1 -> tls = tlsH2 = tlsContexts.client(config.tls(), List.of("http/1.1"));
        case HTTP2 -> tls = tlsH2 = tlsContexts.client(config.tls(), List.of("h2"));
        case DOWNSTREAM -> {
          tls = tlsContexts.clientOffering(config.tls(), List.of("http/1.1"));
          tlsH2 = tlsContexts.clientOffering(config.tls(), List.of("h2"));
        }
      }
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
      EndpointState e = prev != null && prev.config.equals(ec) ? prev : new EndpointState(ec);
      if (e != prev && config.healthCheck() != null) {
        // As Envoy: with active health checking, a new host takes traffic once a check passed.
        e.failedActiveHealthCheck = true;
      }
      endpoints.add(e);
    }
    healthCheckTls = config.tls() == null || config.healthCheck() == null ? null
        : tlsContexts.clientOffering(config.tls(), List.of("http/1.1"));
    LoadBalancerProvider provider = LoadBalancerRegistry.getDefault().provider(config.lbPolicy());
    if (provider == null) {
      throw new IllegalArgumentException("lb_policy " + config.lbPolicy() + " is not registered");
    }
    ClusterLbState.Inputs lb = new ClusterLbState.Inputs(provider, config.lb(), endpoints);
    if (old != null && old.lb().equals(lb)) {
      lb = old.lb(); // same endpoints and settings: balancers keep their state
    }
    snapshot = new Snapshot(config, List.copyOf(endpoints), tls, tlsH2, lb);
    applyHealthConfig(config, endpoints);
  }

  // ---- circuit breakers, outlier detection, active health checks

  /** Keeps breakers, per-endpoint meters, the outlier detector and the health checker in step with the config. */
  private void applyHealthConfig(ClusterConfig config, List<EndpointState> endpoints) {
    breaker.update(config.circuitBreakers());
    java.util.Set<EndpointState> current = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    current.addAll(endpoints);
    OutlierDetector od = outlier;
    var it = endpointMeters.entrySet().iterator();
    while (it.hasNext()) {
      var e = it.next();
      if (!current.contains(e.getKey())) {
        closeQuietly(e.getValue());
        if (od != null) {
          od.removed(e.getKey());
        }
        it.remove();
      }
    }
    for (EndpointState e : endpoints) {
      endpointMeters.computeIfAbsent(e, x -> healthStats.endpoint(x.config.address().toString(), x.totalRequests,
          x::healthy));
    }
    var odConfig = config.outlierDetection();
    if (odConfig == null) {
      if (od != null) {
        outlier = null;
        outlierTimer.cancel(false);
        endpoints.forEach(od::removed);
      }
    } else if (od == null || !od.config().interval().equals(odConfig.interval())) {
      if (od == null) {
        od = new OutlierDetector(odConfig, this::endpoints, healthStats, System::nanoTime,
            () -> java.util.concurrent.ThreadLocalRandom.current().nextInt(100), this::healthChanged);
        outlier = od;
      } else {
        od.update(odConfig);
        outlierTimer.cancel(false);
      }
      long nanos = odConfig.interval().toNanos();
      outlierTimer = loops.loop(0).scheduleWithFixedDelay(od::evaluate, nanos, nanos,
          java.util.concurrent.TimeUnit.NANOSECONDS);
    } else {
      od.update(odConfig);
    }
    var hc = config.healthCheck();
    if (hc == null) {
      if (healthChecker != null) {
        healthChecker.stop();
        healthChecker = null;
        endpoints.forEach(e -> e.failedActiveHealthCheck = false);
      }
    } else {
      if (healthChecker == null) {
        healthChecker = new HealthChecker(name, loops::loop, this::connectHealthCheck, healthStats,
            this::healthChanged, this::outlierDetector, this::hadTraffic);
      }
      healthChecker.update(hc, endpoints);
    }
    healthChanged();
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception ignored) {
      // meters removal does not fail
    }
  }

  /** Stops the cluster's timers and health checks (the cluster was removed). */
  synchronized void stop() {
    if (outlierTimer != null) {
      outlierTimer.cancel(false);
    }
    if (healthChecker != null) {
      healthChecker.stop();
    }
    endpointMeters.values().forEach(ClusterRuntime::closeQuietly);
    endpointMeters.clear();
  }

  /**
   * Health checks and outlier detection call this after changing an endpoint's
   * {@link EndpointState#healthy()} flags (ejected, back, failed or passed active health checks):
   * balancers recompute priority loads, panic and locality weights and rebuild on their next pick.
   * Cheap (one atomic increment), any thread.
   */
  public void healthChanged() {
    lbState.healthChanged();
  }

  /** The current priority levels, loads and panic state (for {@code /clusters} and tests). */
  public PrioritySet prioritySet() {
    return lbState.prioritySet(snapshot.lb());
  }

  /** The outlier detector, or null when outlier detection is off. */
  public OutlierDetector outlierDetector() {
    return outlier;
  }

  /** The active health checker, or null when health checking is off. */
  public HealthChecker healthChecker() {
    return healthChecker;
  }

  public CircuitBreaker circuitBreaker() {
    return breaker;
  }

  public ClusterHealthStats healthStats() {
    return healthStats;
  }

  private boolean hadTraffic() {
    for (EndpointState e : snapshot.endpoints()) {
      if (e.totalRequests.sum() > 0) {
        return true;
      }
    }
    return false;
  }

  private io.netty.channel.ChannelFuture connectHealthCheck(EventLoop loop, EndpointState endpoint,
      io.netty.channel.ChannelHandler initializer) {
    Snapshot s = snapshot;
    return connector.connect(this, loop, endpoint, s.config(), s.config().tls() == null ? null : healthCheckTls,
        initializer, false);
  }

  /** A connection attempt to {@code endpoint} for traffic ended (for outlier detection). */
  void connectOutcome(EndpointState endpoint, boolean success) {
    OutlierDetector od = outlier;
    if (od != null && !success) {
      od.onLocalFailure(endpoint);
    }
  }

  /**
   * Takes a slot of the cluster's {@code max_retries} circuit breaker before a retry; false
   * (and {@code upstream_rq_retry_overflow} counted) when it is full. Pair each {@code true}
   * with one {@link #endRetry()} when the retry attempt ends.
   */
  public boolean tryStartRetry() {
    return breaker.tryStartRetry();
  }

  /** Gives back the slot taken by {@link #tryStartRetry()}. */
  public void endRetry() {
    breaker.endRetry();
  }

  /** A request admitted by {@link #acquire} ended (lease released or lease failed). */
  void requestEnded(EndpointState endpoint) {
    endpoint.activeRequests.decrementAndGet();
    breaker.endRequest();
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
    EndpointState endpoint = p.balancer.pick(s.lb(), lb);
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
    if (!breaker.tryStartRequest()) {
      callback.onLeaseFailure(ProxyError.OVERFLOW);
      return;
    }
    EndpointPool pool = p.pools.computeIfAbsent(endpoint.config.address(),
        a -> new EndpointPool(this, loop, connector));
    endpoint.totalRequests.increment();
    endpoint.activeRequests.incrementAndGet();
    if (h2) {
      pool.acquireHttp2(endpoint, config, s.tlsH2(), callback);
    } else {
      pool.acquireHttp1(endpoint, config, s.tls(), callback);
    }
  }

  /**
   * Opens a dedicated, unpooled HTTP/1.1 connection (for upgrades such as WebSocket, whose
   * connection becomes a tunnel). Must be called on {@code loop}.
   */
  public void connectDedicated(EventLoop loop, LeaseCallback callback) {
    connectDedicated(loop, LbContext.NONE, callback);
  }

  /** Like {@link #connectDedicated(EventLoop, LeaseCallback)}, with the request's hash. */
  public void connectDedicated(EventLoop loop, LbContext lb, LeaseCallback callback) {
    Snapshot s = snapshot;
    EndpointState endpoint = perLoop(loop, s).balancer.pick(s.lb(), lb);
    if (endpoint == null) {
      callback.onLeaseFailure(ProxyError.NO_HEALTHY_UPSTREAM);
      return;
    }
    if (!breaker.tryStartRequest()) {
      callback.onLeaseFailure(ProxyError.OVERFLOW);
      return;
    }
    if (!breaker.tryOpenConnection(false)) {
      breaker.endRequest();
      callback.onLeaseFailure(ProxyError.OVERFLOW);
      return;
    }
    endpoint.totalRequests.increment();
    endpoint.activeRequests.incrementAndGet();
    EndpointPool.connectHttp1(this, loop, connector, endpoint, s.config(), s.tls(), callback, null, false);
  }

  /**
   * The router reports the response status of each attempt on {@code endpoint} (for outlier
   * detection: consecutive 5xx, gateway errors, success rate).
   */
  public void recordResponse(EndpointState endpoint, int status) {
    OutlierDetector od = outlier;
    if (od != null) {
      od.onResponse(endpoint, status);
    }
  }

  /**
   * The router reports a local-origin failure of an attempt on {@code endpoint} after it was
   * leased: the connection or stream was reset, or the attempt timed out.
   */
  public void recordLocalFailure(EndpointState endpoint) {
    OutlierDetector od = outlier;
    if (od != null) {
      od.onLocalFailure(endpoint);
    }
  }

  // ---- retries: the router takes a slot before each retry and gives it back when the retry ends

  public RetryStats retryStats() {
    return retryStats;
  }

  /** A request's first attempt to this cluster started (it counts towards the retry budget's base). */
  public void requestStarted() {
    retryBudget.requestStarted();
  }

  /** The first attempt counted by {@link #requestStarted()} got its outcome (or the request ended). */
  public void requestFinished() {
    retryBudget.requestFinished();
  }

  /**
   * Takes a retry slot, or says why none is available. With a retry budget (Envoy: it replaces
   * {@code max_retries}) the slot comes from the budget; without, from the {@code max_retries}
   * circuit breaker. Give it back with {@link #releaseRetry(RetryBudgetConfig)}, passing the same
   * {@code budget}.
   *
   * @param budget the cluster's retry budget as the caller read it once ({@code config().retryBudget()})
   */
  public RetryRefusal tryAcquireRetry(RetryBudgetConfig budget) {
    if (budget != null) {
      return retryBudget.tryAcquire(budget) ? null : RetryRefusal.BUDGET;
    }
    return tryStartRetry() ? null : RetryRefusal.MAX_RETRIES;
  }

  /** Gives back a slot taken by {@link #tryAcquireRetry(RetryBudgetConfig)} with the same {@code budget}. */
  public void releaseRetry(RetryBudgetConfig budget) {
    if (budget != null) {
      retryBudget.release();
    } else {
      endRetry();
    }
  }

  /** Picks an endpoint for a raw TCP connection, or null when the cluster has none. */
  public EndpointState pickTcp(EventLoop loop) {
    return pickTcp(loop, LbContext.NONE);
  }

  /** Picks an endpoint for a raw TCP connection with its hash (the source IP), or null. */
  public EndpointState pickTcp(EventLoop loop, LbContext lb) {
    Snapshot s = snapshot;
    return perLoop(loop, s).balancer.pick(s.lb(), lb);
  }

  /**
   * Opens a raw TCP connection to {@code endpoint}; {@code handler} initializes its pipeline.
   * Returns null, counting {@code upstream_cx_overflow}, when the cluster's
   * {@code max_connections} breaker is full (the caller closes the downstream, as Envoy's
   * tcp_proxy does).
   */
  public io.netty.channel.ChannelFuture connectTcp(EventLoop loop, EndpointState endpoint,
      io.netty.channel.ChannelHandler handler) {
    if (!breaker.tryOpenConnection(false)) {
      return null;
    }
    Snapshot s = snapshot;
    io.netty.channel.ChannelFuture f = connector.connect(this, loop, endpoint, s.config(), s.tls(), handler);
    f.addListener((io.netty.channel.ChannelFuture cf) -> {
      if (cf.isSuccess()) {
        cf.channel().closeFuture().addListener(c -> breaker.connectionClosed());
      } else {
        breaker.connectionClosed();
      }
    });
    return f;
  }

  private PerLoop perLoop(EventLoop loop, Snapshot s) {
    int i = loops.of(loop);
    PerLoop p = perLoop[i];
    if (p == null || p.snapshot != s) {
      p = new PerLoop(s, p, lbState);
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

  /** State of one event loop: pools by endpoint address, and the balancer (which outlives versions). */
  private static final class PerLoop {
    final Snapshot snapshot;
    final Map<SocketAddressConfig, EndpointPool> pools;
    final ClusterBalancer balancer;

    PerLoop(Snapshot snapshot, PerLoop previous, ClusterLbState lbState) {
      this.snapshot = snapshot;
      this.pools = previous != null ? previous.pools : new HashMap<>();
      this.balancer = previous != null ? previous.balancer : new ClusterBalancer(lbState, ThreadLocalRandom.current());
    }
  }
}
