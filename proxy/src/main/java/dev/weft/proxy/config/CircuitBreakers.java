package dev.weft.proxy.config;

/**
 * A cluster's circuit breakers (Envoy's {@code circuit_breakers.thresholds}): limits across all
 * of the cluster's event loops beyond which a request is answered 503 {@code overflow} at once
 * instead of queueing.
 *
 * @param defaults the thresholds of routing priority DEFAULT (every Weft route)
 * @param high     the thresholds of routing priority HIGH (kept for /clusters; Weft routes
 *                 have no priority, so they never apply)
 */
public record CircuitBreakers(Thresholds defaults, Thresholds high) {

  /** Envoy's defaults for both priorities. */
  public static final CircuitBreakers DEFAULTS = new CircuitBreakers(Thresholds.DEFAULTS, Thresholds.DEFAULTS);

  /**
   * The limits of one priority.
   *
   * @param maxConnections     open connections to the cluster's endpoints (each event loop's
   *                           pool to an endpoint may still open its first connection, as Envoy)
   * @param maxPendingRequests requests waiting for a connection or stream from a pool
   * @param maxRequests        requests in flight to the cluster
   * @param maxRetries         retries in flight to the cluster
   */
  public record Thresholds(int maxConnections, int maxPendingRequests, int maxRequests, int maxRetries) {
    /** Envoy's defaults: 1024 / 1024 / 1024 / 3. */
    public static final Thresholds DEFAULTS = new Thresholds(1024, 1024, 1024, 3);
  }
}
