package dev.weft.proxy.lb;

import dev.weft.proxy.config.LbConfig;
import dev.weft.proxy.upstream.EndpointState;
import java.util.random.RandomGenerator;

/** Envoy's {@code RANDOM}: a uniformly random host (weights are ignored, as in Envoy). */
public final class RandomBalancer implements LoadBalancer {
  private final EndpointState[] hosts;
  private final RandomGenerator random;

  public RandomBalancer(EndpointState[] hosts, RandomGenerator random) {
    this.hosts = hosts;
    this.random = random;
  }

  @Override
  public EndpointState pick(long hash, int attempt) {
    int n = hosts.length;
    return n == 0 ? null : n == 1 ? hosts[0] : hosts[random.nextInt(n)];
  }

  /** {@code RANDOM}. */
  public static final class Provider implements LoadBalancerProvider {
    @Override
    public String policyName() {
      return "RANDOM";
    }

    @Override
    public LoadBalancer newBalancer(EndpointState[] hosts, LbConfig config, RandomGenerator random) {
      return new RandomBalancer(hosts, random);
    }
  }
}
