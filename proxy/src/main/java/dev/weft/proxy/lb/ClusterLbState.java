package dev.weft.proxy.lb;

import dev.weft.proxy.config.LbConfig;
import dev.weft.proxy.upstream.EndpointState;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The load-balancing state of one cluster that its event loops share: the hosts grouped by
 * priority with health applied ({@link PrioritySet}), and the immutable balancers of hash-based
 * policies (ring, Maglev table). It is rebuilt only when the {@link Inputs} change (endpoints,
 * weights, priorities, localities, LB settings) or when {@link #healthChanged()} is called; a
 * config update that keeps the inputs keeps it, and every loop's round-robin positions and
 * schedules with it.
 *
 * <p>Rebuilding is lazy and lock-free: the first loop to pick after a change builds the new state
 * and publishes it with one volatile write (two loops racing both build a correct state).
 */
public final class ClusterLbState {
  private final AtomicLong healthGeneration = new AtomicLong();
  private volatile Built built;

  /**
   * What a cluster's balancing depends on. Records compare by value (endpoints by identity), so a
   * cluster update with equal inputs can keep the previous instance, and loops compare instances.
   */
  public record Inputs(LoadBalancerProvider provider, LbConfig config, List<EndpointState> endpoints) {
    public Inputs {
      endpoints = List.copyOf(endpoints);
    }
  }

  /** One build: inputs and health generation it was built from, its priority set and shared balancers. */
  static final class Built {
    final Inputs inputs;
    /** The health generation this build is current for; moves on when health changed in name only. */
    volatile long generation;
    /** Each endpoint's health when built, to tell a real change from a spurious notice. */
    final boolean[] healthy;
    final PrioritySet set;
    /** For hash-based policies: per level, over healthy hosts and (for levels in panic) all hosts. */
    final LoadBalancer[] sharedHealthy;
    final LoadBalancer[] sharedAll;

    Built(Inputs inputs, long generation) {
      this.inputs = inputs;
      this.generation = generation;
      this.healthy = health(inputs.endpoints());
      this.set = PrioritySet.build(inputs.endpoints(), inputs.config());
      int n = set.levels.length;
      if (inputs.provider().hashBased()) {
        sharedHealthy = new LoadBalancer[n];
        sharedAll = new LoadBalancer[n];
        for (int p = 0; p < n; p++) {
          PrioritySet.Level l = set.levels[p];
          if (l.healthy.length > 0) {
            sharedHealthy[p] = inputs.provider().newBalancer(l.healthy, inputs.config(), null);
          }
          if (set.panic[p]) {
            sharedAll[p] = inputs.provider().newBalancer(l.all, inputs.config(), null);
          }
        }
      } else {
        sharedHealthy = null;
        sharedAll = null;
      }
    }
  }

  /**
   * Tells the balancers that a host's health changed ({@link EndpointState#healthy()} flags set
   * by health checks or outlier detection): the next pick on each loop rebuilds the priority
   * loads, panic state and balancers. Cheap (one atomic increment); call it from any thread after
   * setting the flags.
   */
  public void healthChanged() {
    healthGeneration.incrementAndGet();
  }

  /** How many times health changed. */
  public long healthGeneration() {
    return healthGeneration.get();
  }

  private static boolean[] health(List<EndpointState> endpoints) {
    boolean[] h = new boolean[endpoints.size()];
    for (int i = 0; i < h.length; i++) {
      h[i] = PrioritySet.isHealthy(endpoints.get(i));
    }
    return h;
  }

  /**
   * The state for {@code inputs} and the current health, building it if needed. A health notice
   * that changed no endpoint's health keeps the state (and every loop's positions).
   */
  Built current(Inputs inputs) {
    Built b = built;
    long g = healthGeneration.get();
    if (b != null && b.inputs == inputs && b.generation == g) {
      return b;
    }
    if (b != null && b.inputs == inputs && java.util.Arrays.equals(b.healthy, health(inputs.endpoints()))) {
      b.generation = g;
      return b;
    }
    b = new Built(inputs, g);
    built = b;
    return b;
  }

  /** The priority set for {@code inputs} and the current health (for the admin page and tests). */
  public PrioritySet prioritySet(Inputs inputs) {
    return current(inputs).set;
  }
}
