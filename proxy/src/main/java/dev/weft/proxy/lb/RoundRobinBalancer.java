package dev.weft.proxy.lb;

import dev.weft.proxy.config.LbConfig;
import dev.weft.proxy.upstream.EndpointState;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;

/**
 * Envoy's {@code ROUND_ROBIN}: plain rotation when all weights are equal, otherwise smooth
 * weighted round robin (each endpoint is picked in proportion to its weight, interleaved rather
 * than in bursts). One instance per event loop, so it needs no synchronization.
 */
public final class RoundRobinBalancer implements LoadBalancer {
  private final EndpointState[] endpoints;
  private final int[] weights;
  private final int[] current;
  private final int totalWeight;
  private final boolean weighted;
  private int next;

  public RoundRobinBalancer(List<EndpointState> endpoints) {
    this(endpoints.toArray(EndpointState[]::new), ThreadLocalRandom.current());
  }

  /** @param random chooses the starting offset, so loops do not all hit the first endpoint together */
  public RoundRobinBalancer(EndpointState[] endpoints, RandomGenerator random) {
    this.endpoints = endpoints;
    this.weights = new int[endpoints.length];
    this.current = new int[endpoints.length];
    int total = 0;
    boolean allSame = true;
    for (int i = 0; i < endpoints.length; i++) {
      weights[i] = Math.max(1, endpoints[i].config().weight());
      total += weights[i];
      allSame &= weights[i] == weights[0];
    }
    this.totalWeight = total;
    this.weighted = !allSame;
    this.next = endpoints.length == 0 ? 0 : random.nextInt(endpoints.length);
  }

  /** The next endpoint, or null when there are none. */
  public EndpointState pick() {
    int n = endpoints.length;
    if (n == 0) {
      return null;
    }
    if (!weighted) {
      int i = next;
      next = i + 1 == n ? 0 : i + 1;
      return endpoints[i];
    }
    int best = 0;
    for (int i = 0; i < n; i++) {
      current[i] += weights[i];
      if (current[i] > current[best]) {
        best = i;
      }
    }
    current[best] -= totalWeight;
    return endpoints[best];
  }

  @Override
  public EndpointState pick(long hash, int attempt) {
    return pick();
  }

  /** {@code ROUND_ROBIN}. */
  public static final class Provider implements LoadBalancerProvider {
    @Override
    public String policyName() {
      return "ROUND_ROBIN";
    }

    @Override
    public LoadBalancer newBalancer(EndpointState[] hosts, LbConfig config, RandomGenerator random) {
      return new RoundRobinBalancer(hosts, random);
    }
  }
}
