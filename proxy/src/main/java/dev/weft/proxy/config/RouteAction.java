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
   */
  record Forward(
      List<WeightedTarget> clusters,
      int totalWeight,
      Duration timeout,
      Duration grpcTimeoutMax,
      String hostRewrite,
      String prefixRewrite,
      int clusterNotFoundStatus) implements RouteAction {

    public Forward {
      clusters = List.copyOf(clusters);
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
