package dev.weft.proxy.config;

import java.time.Duration;
import java.util.List;

/** What a route does with a request. */
public sealed interface RouteAction {

  /**
   * Forward to a cluster (or one of several, by weight).
   *
   * @param clusters          one or more weighted targets
   * @param totalWeight       sum of the weights
   * @param timeout           whole-request timeout, starting when the downstream request is
   *                          complete; ZERO disables
   * @param grpcTimeoutMax    when non-null, a gRPC {@code grpc-timeout} header shortens the
   *                          timeout, capped at this value (ZERO: uncapped)
   * @param hostRewrite       replacement for Host/:authority, or null
   * @param prefixRewrite     replacement for the matched prefix, or null
   * @param clusterNotFoundStatus status when the cluster is unknown (503 or 404)
   * @param retryPolicy       retries, per-try timeout and back-off ({@link RetryPolicy#NONE} for none)
   * @param idleTimeout       reset the stream when no byte moved either way for this long
   *                          (route {@code idle_timeout}, else the HCM's {@code stream_idle_timeout});
   *                          ZERO disables
   * @param maxStreamDuration the longest a request may last from its headers on (route or HCM
   *                          {@code max_stream_duration}); ZERO disables
   * @param grpcTimeoutOffset subtracted from a {@code grpc-timeout} deadline (Envoy's
   *                          {@code grpc_timeout_header_offset}), so the proxy answers before the
   *                          client gives up
   * @param includeAttemptCount send {@code x-envoy-attempt-count} upstream
   * @param hashPolicies      how the request's hash for RING_HASH and MAGLEV is computed (Envoy's
   *                          {@code hash_policy}); empty: no hash
   */
  record Forward(
      List<WeightedTarget> clusters,
      int totalWeight,
      Duration timeout,
      Duration grpcTimeoutMax,
      String hostRewrite,
      String prefixRewrite,
      int clusterNotFoundStatus,
      RetryPolicy retryPolicy,
      Duration idleTimeout,
      Duration maxStreamDuration,
      Duration grpcTimeoutOffset,
      boolean includeAttemptCount,
      List<HashPolicy> hashPolicies) implements RouteAction {

    public Forward {
      clusters = List.copyOf(clusters);
      hashPolicies = List.copyOf(hashPolicies);
    }

    /** A forward without retries, idle timeout, stream duration limit or hash policies. */
    public Forward(List<WeightedTarget> clusters, int totalWeight, Duration timeout, Duration grpcTimeoutMax,
        String hostRewrite, String prefixRewrite, int clusterNotFoundStatus) {
      this(clusters, totalWeight, timeout, grpcTimeoutMax, hostRewrite, prefixRewrite, clusterNotFoundStatus,
          RetryPolicy.NONE, Duration.ZERO, Duration.ZERO, Duration.ZERO, false);
    }

    /** A forward without hash policies. */
    public Forward(List<WeightedTarget> clusters, int totalWeight, Duration timeout, Duration grpcTimeoutMax,
        String hostRewrite, String prefixRewrite, int clusterNotFoundStatus, RetryPolicy retryPolicy,
        Duration idleTimeout, Duration maxStreamDuration, Duration grpcTimeoutOffset, boolean includeAttemptCount) {
      this(clusters, totalWeight, timeout, grpcTimeoutMax, hostRewrite, prefixRewrite, clusterNotFoundStatus,
          retryPolicy, idleTimeout, maxStreamDuration, grpcTimeoutOffset, includeAttemptCount, List.of());
    }

    /** Picks a target by weight; {@code random} is uniform in [0, totalWeight). */
    public WeightedTarget pick(int random) {
      if (clusters.size() == 1) {
        return clusters.getFirst();
      }
      int acc = 0;
      for (WeightedTarget t : clusters) {
        acc += t.weight();
        if (random < acc) {
          return t;
        }
      }
      return clusters.getLast();
    }
  }

  /** A weighted cluster with its own header changes. */
  record WeightedTarget(String cluster, int weight, HeaderMutation requestHeaders, HeaderMutation responseHeaders) {}

  /** Answer directly with a status and an optional body. */
  record DirectResponse(int status, byte[] body) implements RouteAction {}
}
