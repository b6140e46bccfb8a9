package dev.weft.proxy.http;

import dev.weft.proxy.config.HttpConnectionManagerConfig;
import dev.weft.proxy.metrics.ProxyMetrics;
import dev.weft.proxy.upstream.ClusterManager;

/**
 * What the HTTP handlers of one filter chain share: its config, the clusters and the meters.
 *
 * @param listener listener name (metric label)
 * @param config   the chain's HTTP connection manager config
 */
public record HttpChainContext(
    String listener,
    HttpConnectionManagerConfig config,
    ClusterManager clusters,
    ProxyMetrics metrics,
    DrainState drain) {}
