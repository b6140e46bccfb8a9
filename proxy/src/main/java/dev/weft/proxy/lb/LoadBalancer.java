package dev.weft.proxy.lb;

import dev.weft.proxy.upstream.EndpointState;

/**
 * Picks a host among one fixed set of hosts: the healthy hosts of a priority level, all its hosts
 * (in panic), or the healthy hosts of one locality. {@link ClusterBalancer} chooses the set; a
 * provider in {@link LoadBalancerRegistry} makes the balancer for it.
 *
 * <p>Balancers that are not {@link LoadBalancerProvider#hashBased() hash based} keep mutable state
 * (a round-robin position, an EDF schedule) and belong to one event loop; hash-based ones are
 * immutable and shared by every loop.
 */
public interface LoadBalancer {

  /**
   * Picks a host.
   *
   * @param hash    the request's hash, or a random value when it has none (used by hash-based balancers)
   * @param attempt 0 for the first pick of a request; 1, 2... when the previous pick was a host the
   *                request should avoid, so a hash-based balancer moves to another host
   * @return a host, or null when the set is empty
   */
  EndpointState pick(long hash, int attempt);
}
