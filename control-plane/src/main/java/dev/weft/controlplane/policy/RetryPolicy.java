package dev.weft.controlplane.policy;

import java.time.Duration;
import java.util.List;

/**
 * Retries of a route (Envoy's {@code retry_policy}).
 *
 * @param attempts             retries after the first try ({@code num_retries}); 0 turns retries off
 * @param perTryTimeout        timeout of each try, or null for the route's timeout
 * @param retryOn              Envoy {@code retry_on} conditions ({@code 5xx}, {@code reset}, ...)
 * @param retriableStatusCodes codes for the {@code retriable-status-codes} condition
 * @param baseInterval         back-off base interval, or null for Envoy's 25 ms
 * @param maxInterval          back-off maximum interval, or null for 10 x the base
 * @param budget               the retry budget of the service's clusters, or null
 */
public record RetryPolicy(
    int attempts,
    Duration perTryTimeout,
    List<String> retryOn,
    List<Integer> retriableStatusCodes,
    Duration baseInterval,
    Duration maxInterval,
    Budget budget) {

  /** The Envoy {@code retry_on} conditions the sidecar implements (HTTP, then gRPC). */
  public static final List<String> CONDITIONS = List.of("5xx", "gateway-error", "reset", "connect-failure",
      "refused-stream", "retriable-4xx", "retriable-status-codes",
      "cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable");

  public RetryPolicy {
    retryOn = List.copyOf(retryOn);
    retriableStatusCodes = List.copyOf(retriableStatusCodes);
  }

  /**
   * A retry budget: retries in flight may be at most {@code percent} of the active requests, but
   * {@code minConcurrency} are always allowed (Envoy's {@code retry_budget}).
   */
  public record Budget(double percent, int minConcurrency) {}
}
