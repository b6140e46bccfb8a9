package dev.weft.proxy.lb;

import dev.weft.proxy.config.LbConfig;
import dev.weft.proxy.upstream.EndpointState;
import java.util.random.RandomGenerator;

/**
 * Makes {@link LoadBalancer}s of one policy, registered in {@link LoadBalancerRegistry} under the
 * Envoy {@code lb_policy} name it implements ({@code ROUND_ROBIN}, {@code MAGLEV}, ...).
 */
public interface LoadBalancerProvider {

  /** The Envoy {@code lb_policy} name. */
  String policyName();

  /**
   * Whether the balancer picks by the request's hash. Its balancers are then immutable and shared by
   * every event loop, and the priority level is chosen by the hash too, so a key sticks to a host.
   */
  default boolean hashBased() {
    return false;
  }

  /**
   * A balancer over {@code hosts}.
   *
   * @param hosts  the set to pick from (not empty; never modified)
   * @param config the cluster's load-balancing settings
   * @param random the randomness of the event loop that uses it (unused by hash-based balancers)
   */
  LoadBalancer newBalancer(EndpointState[] hosts, LbConfig config, RandomGenerator random);
}
