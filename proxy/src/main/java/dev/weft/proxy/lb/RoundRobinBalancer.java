package dev.weft.proxy.lb;

import dev.weft.proxy.upstream.EndpointState;
import java.util.List;

/**
 * Envoy's {@code ROUND_ROBIN}: plain rotation when all weights are equal, otherwise smooth
 * weighted round robin (each endpoint is picked in proportion to its weight, interleaved rather
 * than in bursts). One instance per event loop, so it needs no synchronization.
 */
public final class RoundRobinBalancer {
  private final EndpointState[] endpoints;
  private final int[] weights;
  private final int[] current;
  private final boolean weighted;
  private int next;

  public RoundRobinBalancer(List<EndpointState> endpoints) {
    this.endpoints = endpoints.toArray(EndpointState[]::new);
    this.weights = new int[this.endpoints.length];
    this.current = new int[this.endpoints.length];
    int total = 0;
    boolean allSame = true;
    for (int i = 0; i < this.endpoints.length; i++) {
      weights[i] = Math.max(1, this.endpoints[i].config().weight());
      total += weights[i];
      allSame &= weights[i] == weights[0];
    }
    this.weighted = !allSame;
    // Start each loop at a different offset so loops do not all hit the first endpoint together.
    this.next = this.endpoints.length == 0 ? 0 : java.util.concurrent.ThreadLocalRandom.current()
        .nextInt(this.endpoints.length);
  }

  /**
   * The next endpoint that may take traffic ({@link EndpointState#healthy()}), or null when
   * there is none.
   */
  public EndpointState pick() {
    int n = endpoints.length;
    if (n == 0) {
      return null;
    }
    if (!weighted) {
      for (int tries = 0; tries < n; tries++) {
        int i = next;
        next = i + 1 == n ? 0 : i + 1;
        if (endpoints[i].healthy()) {
          return endpoints[i];
        }
      }
      return null;
    }
    int best = -1;
    int total = 0;
    for (int i = 0; i < n; i++) {
      if (!endpoints[i].healthy()) {
        continue;
      }
      current[i] += weights[i];
      total += weights[i];
      if (best < 0 || current[i] > current[best]) {
        best = i;
      }
    }
    if (best < 0) {
      return null;
    }
    current[best] -= total;
    return endpoints[best];
  }
}
