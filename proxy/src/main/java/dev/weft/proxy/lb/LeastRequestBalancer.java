package dev.weft.proxy.lb;

import dev.weft.proxy.config.LbConfig;
import dev.weft.proxy.upstream.EndpointState;
import java.util.random.RandomGenerator;

/**
 * Envoy's {@code LEAST_REQUEST}. When all weights are equal: the power of {@code choice_count}
 * choices (sample that many hosts at random, with replacement, and take the one with the fewest
 * active requests). When weights differ: earliest-deadline-first scheduling where a host's
 * weight, each time it is scheduled, is {@code weight / (active_requests + 1) ^ active_request_bias}.
 * One instance per event loop; picks allocate nothing.
 */
public final class LeastRequestBalancer implements LoadBalancer {
  private final EndpointState[] hosts;
  private final RandomGenerator random;
  private final int choiceCount;
  private final double bias;
  private final boolean weighted;
  // EDF schedule (weighted only): a binary min-heap of host indices ordered by deadline, then index.
  private final double[] deadline;
  private final int[] heap;

  public LeastRequestBalancer(EndpointState[] hosts, int choiceCount, double activeRequestBias,
      RandomGenerator random) {
    this.hosts = hosts;
    this.random = random;
    this.choiceCount = Math.max(1, choiceCount);
    this.bias = activeRequestBias;
    boolean allSame = true;
    for (EndpointState h : hosts) {
      allSame &= h.config().weight() == hosts[0].config().weight();
    }
    this.weighted = !allSame;
    this.deadline = weighted ? new double[hosts.length] : null;
    this.heap = weighted ? new int[hosts.length] : null;
    if (weighted) {
      for (int i = 0; i < hosts.length; i++) {
        deadline[i] = 1.0 / effectiveWeight(hosts[i]);
        heap[i] = i;
      }
      for (int i = hosts.length / 2 - 1; i >= 0; i--) {
        siftDown(i);
      }
    }
  }

  @Override
  public EndpointState pick(long hash, int attempt) {
    int n = hosts.length;
    if (n <= 1) {
      return n == 0 ? null : hosts[0];
    }
    if (!weighted) {
      EndpointState best = hosts[random.nextInt(n)];
      for (int c = 1; c < choiceCount; c++) {
        EndpointState sample = hosts[random.nextInt(n)];
        if (sample.activeRequests.get() < best.activeRequests.get()) {
          best = sample;
        }
      }
      return best;
    }
    int i = heap[0];
    double now = deadline[i];
    deadline[i] = now + 1.0 / effectiveWeight(hosts[i]);
    siftDown(0);
    return hosts[i];
  }

  private double effectiveWeight(EndpointState h) {
    double w = Math.max(1, h.config().weight());
    if (bias == 0) {
      return w;
    }
    double active = h.activeRequests.get() + 1;
    return bias == 1.0 ? w / active : w / Math.pow(active, bias);
  }

  private boolean before(int a, int b) {
    return deadline[a] < deadline[b] || deadline[a] == deadline[b] && a < b;
  }

  private void siftDown(int at) {
    int n = heap.length;
    int x = heap[at];
    while (true) {
      int child = 2 * at + 1;
      if (child >= n) {
        break;
      }
      if (child + 1 < n && before(heap[child + 1], heap[child])) {
        child++;
      }
      if (!before(heap[child], x)) {
        break;
      }
      heap[at] = heap[child];
      at = child;
    }
    heap[at] = x;
  }

  /** {@code LEAST_REQUEST}. */
  public static final class Provider implements LoadBalancerProvider {
    @Override
    public String policyName() {
      return "LEAST_REQUEST";
    }

    @Override
    public LoadBalancer newBalancer(EndpointState[] hosts, LbConfig config, RandomGenerator random) {
      return new LeastRequestBalancer(hosts, config.choiceCount(), config.activeRequestBias(), random);
    }
  }
}
