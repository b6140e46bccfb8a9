package dev.weft.controlplane.policy;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * {@code kind: DestinationPolicy}: how to call a service once routing chose it (Istio's
 * DestinationRule, simplified): load balancing, connection limits, outlier detection, active
 * health checks, and subsets of its endpoints selected by pod labels.
 *
 * @param meta             identity and source
 * @param service          the service (in the policy's namespace)
 * @param loadBalancer     load-balancer settings, or null for round robin
 * @param connectionLimits circuit-breaker thresholds and connect timeout, or null
 * @param outlierDetection passive health checking, or null
 * @param healthCheck      active health checking, or null
 * @param subsets          named subsets of the endpoints
 */
public record DestinationPolicy(PolicyMeta meta, String service, LoadBalancer loadBalancer,
    ConnectionLimits connectionLimits, OutlierDetection outlierDetection, HealthCheck healthCheck,
    List<Subset> subsets) {

  public DestinationPolicy {
    subsets = List.copyOf(subsets);
  }

  /** Load-balancer policies, named as in Envoy and Istio. */
  public enum LbPolicy { ROUND_ROBIN, LEAST_REQUEST, RANDOM, RING_HASH, MAGLEV }

  /** The policy, and for RING_HASH / MAGLEV the request property that is hashed (else null). */
  public record LoadBalancer(LbPolicy policy, HashKey hashKey) {}

  /** Exactly one of: a header name, a cookie, or the source IP. */
  public record HashKey(String header, String cookie, Duration cookieTtl, boolean sourceIp) {}

  /** Circuit-breaker thresholds (null: Envoy's default) and the connect timeout. */
  public record ConnectionLimits(Integer maxConnections, Integer maxPendingRequests, Integer maxRequests,
      Integer maxRetries, Duration connectTimeout) {}

  /** Outlier detection (Envoy's {@code outlier_detection}); null fields take Envoy's defaults. */
  public record OutlierDetection(Integer consecutive5xx, Integer consecutiveGatewayErrors,
      Integer consecutiveLocalOriginFailures, Duration interval, Duration baseEjectionTime,
      Integer maxEjectionPercent) {}

  /** Active health checks: HTTP GET of {@code httpPath}, or a TCP connect when it is null. */
  public record HealthCheck(Duration interval, Duration timeout, int healthyThreshold, int unhealthyThreshold,
      String httpPath) {}

  /** A named subset: the endpoints whose pod labels include all of {@code labels}. */
  public record Subset(String name, Map<String, String> labels) {
    public Subset {
      labels = Map.copyOf(labels);
    }
  }
}
