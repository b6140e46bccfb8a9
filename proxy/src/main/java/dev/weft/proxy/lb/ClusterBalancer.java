package dev.weft.proxy.lb;

import dev.weft.proxy.upstream.EndpointState;
import java.util.random.RandomGenerator;

/**
 * Picks a host of a cluster on one event loop, as Envoy does: a priority level by its load (by the
 * request's hash for hash-based policies, else at random); in a level in panic any of its hosts,
 * else with locality weighting a locality by effective weight (smooth weighted round robin) then a
 * healthy host in it, else a healthy host of the level; the host by the cluster's policy. When the
 * {@link LbContext} says to avoid the host (a retry's previous host), it picks again, as long as
 * the context asks (Envoy's {@code host_selection_retry_max_attempts} lives in the context).
 *
 * <p>One instance per event loop: its balancers' state (positions, schedules) needs no locks.
 * It follows the cluster's {@link ClusterLbState} and rebuilds its own balancers only when that
 * state was rebuilt.
 */
public final class ClusterBalancer {
  /** Upper bound on picks per request, whatever the context says. */
  private static final int MAX_PICKS = 16;

  private final ClusterLbState shared;
  private final RandomGenerator random;
  private ClusterLbState.Built built;
  /** Whether this loop makes its own balancers (policies that are not hash based). */
  private boolean perLoop;
  private LoadBalancer[] healthy;
  private LoadBalancer[] all;
  private LoadBalancer[][] locality;
  private double[][] localityCurrent;

  /** @param random this loop's randomness ({@code ThreadLocalRandom.current()} in the proxy) */
  public ClusterBalancer(ClusterLbState shared, RandomGenerator random) {
    this.shared = shared;
    this.random = random;
  }

  /** A host for a request, or null when the cluster has none to offer. */
  public EndpointState pick(ClusterLbState.Inputs inputs, LbContext ctx) {
    ClusterLbState.Built b = shared.current(inputs);
    if (b != built) {
      reset(b);
    }
    PrioritySet set = b.set;
    if (set.levels.length == 0) {
      return null;
    }
    boolean hashBased = b.inputs.provider().hashBased();
    long hash = hashBased && ctx.hasHash() ? ctx.hash() : random.nextLong();
    EndpointState host = null;
    for (int attempt = 0; attempt < MAX_PICKS; attempt++) {
      int level = set.choose(hashBased || attempt == 0 ? hash : random.nextLong());
      host = pickIn(b, level, hash, attempt);
      if (host == null || !ctx.shouldAvoid(host)) {
        return host;
      }
    }
    return host;
  }

  private void reset(ClusterLbState.Built b) {
    built = b;
    int n = b.set.levels.length;
    perLoop = b.sharedHealthy == null;
    if (!perLoop) {
      healthy = b.sharedHealthy;
      all = b.sharedAll;
      locality = null;
    } else {
      healthy = new LoadBalancer[n];
      all = new LoadBalancer[n];
      locality = new LoadBalancer[n][];
      localityCurrent = new double[n][];
    }
  }

  private EndpointState pickIn(ClusterLbState.Built b, int level, long hash, int attempt) {
    PrioritySet.Level l = b.set.levels[level];
    if (b.set.panic[level]) {
      LoadBalancer lb = balancer(all, level, l.all, b);
      return lb == null ? null : lb.pick(hash, attempt);
    }
    if (perLoop && b.inputs.config().localityWeighted()) {
      int li = chooseLocality(level, l);
      if (li >= 0) {
        if (locality[level] == null) {
          locality[level] = new LoadBalancer[l.localityHealthy.length];
        }
        return balancer(locality[level], li, l.localityHealthy[li], b).pick(hash, attempt);
      }
    }
    LoadBalancer lb = balancer(healthy, level, l.healthy, b);
    return lb == null ? null : lb.pick(hash, attempt);
  }

  private LoadBalancer balancer(LoadBalancer[] cache, int i, EndpointState[] hosts, ClusterLbState.Built b) {
    LoadBalancer lb = cache[i];
    if (lb == null && hosts.length > 0 && perLoop) {
      lb = b.inputs.provider().newBalancer(hosts, b.inputs.config(), random);
      cache[i] = lb;
    }
    return lb;
  }

  /** Smooth weighted round robin over the level's localities by effective weight; -1 if none has any. */
  private int chooseLocality(int level, PrioritySet.Level l) {
    double[] w = l.localityWeight;
    double[] current = localityCurrent[level];
    if (current == null) {
      current = localityCurrent[level] = new double[w.length];
    }
    double total = 0;
    int best = -1;
    for (int i = 0; i < w.length; i++) {
      if (w[i] <= 0) {
        continue;
      }
      total += w[i];
      current[i] += w[i];
      if (best < 0 || current[i] > current[best]) {
        best = i;
      }
    }
    if (best >= 0) {
      current[best] -= total;
    }
    return best;
  }
}
