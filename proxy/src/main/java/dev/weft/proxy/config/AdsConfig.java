package dev.weft.proxy.config;

import io.envoyproxy.envoy.config.core.v3.Node;
import java.time.Duration;

/**
 * Where and how the sidecar gets its dynamic resources: one aggregated (ADS) gRPC stream to the
 * control plane named by a static cluster (the bootstrap's {@code dynamic_resources}).
 *
 * @param clusterName  the static cluster of the control plane ({@code envoy_grpc.cluster_name});
 *                     its first endpoint is dialled, with its TLS transport socket if any
 * @param delta        incremental xDS ({@code DELTA_GRPC}, Weft's default) or state of the world
 *                     ({@code GRPC})
 * @param lds          listeners come over ADS ({@code lds_config.ads})
 * @param cds          clusters come over ADS ({@code cds_config.ads})
 * @param retryBase    first reconnect delay (from {@code envoy_grpc.retry_policy.retry_back_off})
 * @param retryMax     largest reconnect delay
 * @param node         the bootstrap's node, sent on the first request of every stream
 */
public record AdsConfig(
    String clusterName,
    boolean delta,
    boolean lds,
    boolean cds,
    Duration retryBase,
    Duration retryMax,
    Node node) {

  /** Envoy's defaults for the ADS stream's back-off: 500 ms, then up to 30 s. */
  public static final Duration DEFAULT_RETRY_BASE = Duration.ofMillis(500);
  public static final Duration DEFAULT_RETRY_MAX = Duration.ofSeconds(30);
}
