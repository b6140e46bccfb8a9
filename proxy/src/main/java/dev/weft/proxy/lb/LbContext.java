package dev.weft.proxy.lb;

import dev.weft.proxy.upstream.EndpointState;

/**
 * What a load balancer may know about the request it picks a host for: its hash (from the
 * route's hash policies) and which hosts a retry should avoid (Envoy's
 * {@code previous_hosts} predicate).
 */
public interface LbContext {

  /** No hash, nothing to avoid. */
  LbContext NONE = new LbContext() {};

  /** Whether {@link #hash()} is set. */
  default boolean hasHash() {
    return false;
  }

  /** The request's hash, when {@link #hasHash()}. */
  default long hash() {
    return 0;
  }

  /** Whether {@code endpoint} should be skipped if another choice exists (a host already tried). */
  default boolean shouldAvoid(EndpointState endpoint) {
    return false;
  }
}
