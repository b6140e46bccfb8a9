package dev.weft.proxy.http;

import dev.weft.proxy.config.HttpConnectionManagerConfig;
import dev.weft.proxy.config.RouteTable;
import dev.weft.proxy.metrics.ProxyMetrics;
import dev.weft.proxy.upstream.ClusterManager;

/**
 * What the HTTP handlers of one filter chain share: its config, the clusters and the meters.
 *
 * @param listener listener name (metric label)
 * @param config   the chain's HTTP connection manager config
 * @param routes   the route table for a new request: the inline {@code route_config}, or the
 *                 current RDS table of the published snapshot (read once per request)
 * @param faults   the chain's fault filter (its active-fault counts live as long as the chain)
 */
public record HttpChainContext(
    String listener,
    HttpConnectionManagerConfig config,
    ClusterManager clusters,
    ProxyMetrics metrics,
    DrainState drain,
    java.util.function.Supplier<RouteTable> routes,
    FaultInjector faults) {

  /** A chain whose routes are its inline {@code route_config}. */
  public HttpChainContext(String listener, HttpConnectionManagerConfig config, ClusterManager clusters,
      ProxyMetrics metrics, DrainState drain) {
    this(listener, config, clusters, metrics, drain, config::routes);
  }

  /** A chain with its fault filter built from {@code config}. */
  public HttpChainContext(String listener, HttpConnectionManagerConfig config, ClusterManager clusters,
      ProxyMetrics metrics, DrainState drain, java.util.function.Supplier<RouteTable> routes) {
    this(listener, config, clusters, metrics, drain, routes, config.faults().isEmpty() ? FaultInjector.NONE
        : new FaultInjector(config, metrics.faults(listener)));
  }
}
