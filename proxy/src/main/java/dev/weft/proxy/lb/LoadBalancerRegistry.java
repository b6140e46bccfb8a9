package dev.weft.proxy.lb;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The load-balancer providers, keyed by Envoy {@code lb_policy} name. The translator accepts a
 * policy only if it is registered here; {@code ClusterRuntime} asks it for the provider of each
 * cluster.
 */
public final class LoadBalancerRegistry {
  private static final LoadBalancerRegistry DEFAULT = new LoadBalancerRegistry(
      new RoundRobinBalancer.Provider(),
      new LeastRequestBalancer.Provider(),
      new RandomBalancer.Provider(),
      new RingHashBalancer.Provider(),
      new MaglevBalancer.Provider());

  private final Map<String, LoadBalancerProvider> providers;

  public LoadBalancerRegistry(LoadBalancerProvider... providers) {
    Map<String, LoadBalancerProvider> m = new TreeMap<>();
    for (LoadBalancerProvider p : providers) {
      if (m.putIfAbsent(p.policyName(), p) != null) {
        throw new IllegalArgumentException("two providers for " + p.policyName());
      }
    }
    this.providers = Map.copyOf(m);
  }

  /** The registry of the policies Weft implements. */
  public static LoadBalancerRegistry getDefault() {
    return DEFAULT;
  }

  /** The provider of {@code policy}, or null. */
  public LoadBalancerProvider provider(String policy) {
    return providers.get(policy);
  }

  /** The registered policy names, sorted. */
  public Set<String> policies() {
    return new java.util.TreeSet<>(providers.keySet());
  }
}
