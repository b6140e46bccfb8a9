package dev.weft.proxy.config;

import java.time.Duration;
import java.util.List;

/**
 * An upstream cluster.
 *
 * @param name                     cluster name
 * @param endpoints                its endpoints (static for now)
 * @param lbPolicy                 load-balancer policy name, as Envoy spells it
 * @param connectTimeout           TCP connect timeout
 * @param protocol                 HTTP protocol spoken to the endpoints
 * @param idleTimeout              close a pooled connection idle this long; ZERO disables
 * @param maxRequestsPerConnection close a connection after this many requests; 0 = unlimited
 * @param http2                    HTTP/2 client settings when HTTP/2 is spoken
 * @param bufferLimitBytes         per-connection buffer limit (write high-water mark)
 * @param tls                      the client side of TLS to the endpoints (Envoy's
 *                                 {@code UpstreamTlsContext}), or null for plaintext
 * @param circuitBreakers          per-cluster limits ({@link CircuitBreakers#DEFAULTS} when unset)
 * @param outlierDetection         passive health checking, or null when off
 * @param healthCheck              active health checking, or null when off
 * @param retryBudget              the retry budget of the DEFAULT priority's thresholds (it replaces
 *                                 {@code max_retries}, as in Envoy), or null for none
 * @param lb                       load-balancing settings of {@code lbPolicy}, priorities and localities
 */
public record ClusterConfig(
    String name,
    List<EndpointConfig> endpoints,
    String lbPolicy,
    Duration connectTimeout,
    UpstreamProtocol protocol,
    Duration idleTimeout,
    int maxRequestsPerConnection,
    Http2Settings http2,
    int bufferLimitBytes,
    TlsConfig tls,
    CircuitBreakers circuitBreakers,
    OutlierDetectionConfig outlierDetection,
    HealthCheckConfig healthCheck,
    RetryBudgetConfig retryBudget,
    LbConfig lb) {

  public ClusterConfig {
    endpoints = List.copyOf(endpoints);
    if (circuitBreakers == null) {
      circuitBreakers = CircuitBreakers.DEFAULTS;
    }
    if (lb == null) {
      lb = LbConfig.DEFAULT;
    }
  }

  /**
   * A cluster with default circuit breakers, no outlier detection or health checks, and Envoy's
   * default load-balancing settings.
   */
  public ClusterConfig(String name, List<EndpointConfig> endpoints, String lbPolicy, Duration connectTimeout,
      UpstreamProtocol protocol, Duration idleTimeout, int maxRequestsPerConnection, Http2Settings http2,
      int bufferLimitBytes, TlsConfig tls) {
    this(name, endpoints, lbPolicy, connectTimeout, protocol, idleTimeout, maxRequestsPerConnection, http2,
        bufferLimitBytes, tls, CircuitBreakers.DEFAULTS, null, null, null, LbConfig.DEFAULT);
  }

  /** A cluster without a retry budget, with Envoy's default load-balancing settings. */
  public ClusterConfig(String name, List<EndpointConfig> endpoints, String lbPolicy, Duration connectTimeout,
      UpstreamProtocol protocol, Duration idleTimeout, int maxRequestsPerConnection, Http2Settings http2,
      int bufferLimitBytes, TlsConfig tls, CircuitBreakers circuitBreakers, OutlierDetectionConfig outlierDetection,
      HealthCheckConfig healthCheck) {
    this(name, endpoints, lbPolicy, connectTimeout, protocol, idleTimeout, maxRequestsPerConnection, http2,
        bufferLimitBytes, tls, circuitBreakers, outlierDetection, healthCheck, null, LbConfig.DEFAULT);
  }

  /** The HTTP protocol used towards a cluster's endpoints. */
  public enum UpstreamProtocol { HTTP1, HTTP2, DOWNSTREAM }
}
