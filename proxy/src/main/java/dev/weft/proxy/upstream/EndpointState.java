package dev.weft.proxy.upstream;

import dev.weft.proxy.config.EndpointConfig;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/** One endpoint of a cluster at run time, with the counters {@code /clusters} shows. */
public final class EndpointState {
  final EndpointConfig config;
  final InetSocketAddress socketAddress;
  public final AtomicLong activeRequests = new AtomicLong();
  public final LongAdder totalRequests = new LongAdder();
  public final AtomicLong activeConnections = new AtomicLong();
  public final LongAdder connectFailures = new LongAdder();
  /** Failed its active health check (set by the health checker). */
  public volatile boolean failedActiveHealthCheck;
  /** Ejected by outlier detection (set by the outlier detector). */
  public volatile boolean ejected;
  /** Outlier-detection counters and health-check state of this endpoint. */
  public final dev.weft.proxy.upstream.health.HostHealth health = new dev.weft.proxy.upstream.health.HostHealth();

  EndpointState(EndpointConfig config) {
    this.config = config;
    this.socketAddress = new InetSocketAddress(InetAddress.ofLiteral(config.address().host()), config.address().port());
  }

  /** Whether the endpoint may take traffic: not failing health checks and not ejected. */
  public boolean healthy() {
    return !failedActiveHealthCheck && !ejected;
  }

  public EndpointConfig config() {
    return config;
  }

  @Override
  public String toString() {
    return config.address().toString();
  }
}
