package dev.weft.proxy.lb;

import dev.weft.proxy.config.EndpointConfig;
import dev.weft.proxy.config.LbConfig;
import dev.weft.proxy.upstream.EndpointState;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A cluster's hosts at one moment, grouped by priority level (and locality), with Envoy's priority
 * load: each level's health is {@code min(100, overprovisioning_factor × healthy / hosts)}; load
 * goes to the highest levels first, as much as their health allows, and spills to the next level
 * as health falls. A level whose healthy share is below {@code healthy_panic_threshold} is in
 * panic and uses all its hosts; when every level is, load follows host counts. Immutable: built
 * when endpoints or health change, then shared by every event loop.
 */
public final class PrioritySet {
  final Level[] levels;
  /** Percent of requests per level; sums to 100 when there are hosts. */
  final int[] load;
  final boolean[] panic;

  /** One priority level. */
  static final class Level {
    final int priority;
    final EndpointState[] all;
    final EndpointState[] healthy;
    /** Healthy hosts per locality, and each locality's effective weight (weight × availability). */
    final EndpointState[][] localityHealthy;
    final double[] localityWeight;
    final int health;

    Level(int priority, List<EndpointState> hosts, LbConfig config) {
      this.priority = priority;
      this.all = hosts.toArray(EndpointState[]::new);
      List<EndpointState> ok = new ArrayList<>();
      Map<EndpointConfig.Locality, List<EndpointState>> byLocality = new LinkedHashMap<>();
      Map<EndpointConfig.Locality, int[]> counts = new LinkedHashMap<>();
      for (EndpointState h : hosts) {
        boolean healthy = isHealthy(h);
        if (healthy) {
          ok.add(h);
        }
        EndpointConfig.Locality l = h.config().locality();
        List<EndpointState> list = byLocality.computeIfAbsent(l, k -> new ArrayList<>());
        int[] c = counts.computeIfAbsent(l, k -> new int[] {0, 0, h.config().localityWeight()});
        c[1]++;
        if (healthy) {
          list.add(h);
          c[0]++;
        }
      }
      this.healthy = ok.toArray(EndpointState[]::new);
      this.health = all.length == 0 ? 0
          : (int) Math.min(100, (long) config.overprovisioningFactor() * healthy.length / all.length);
      this.localityHealthy = new EndpointState[byLocality.size()][];
      this.localityWeight = new double[byLocality.size()];
      int i = 0;
      for (var e : byLocality.entrySet()) {
        int[] c = counts.get(e.getKey());
        localityHealthy[i] = e.getValue().toArray(EndpointState[]::new);
        double availability = Math.min(1.0, config.overprovisioningFactor() / 100.0 * c[0] / c[1]);
        localityWeight[i] = c[2] * availability;
        i++;
      }
    }
  }

  /** Whether a host may take traffic outside panic: the control plane's status and ours agree. */
  static boolean isHealthy(EndpointState h) {
    return h.healthy() && h.config().edsHealthy();
  }

  private PrioritySet(Level[] levels, int[] load, boolean[] panic) {
    this.levels = levels;
    this.load = load;
    this.panic = panic;
  }

  /** Groups {@code endpoints} by priority and computes each level's load and panic state. */
  public static PrioritySet build(List<EndpointState> endpoints, LbConfig config) {
    TreeMap<Integer, List<EndpointState>> byPriority = new TreeMap<>();
    for (EndpointState e : endpoints) {
      byPriority.computeIfAbsent(e.config().priority(), k -> new ArrayList<>()).add(e);
    }
    Level[] levels = new Level[byPriority.size()];
    int i = 0;
    for (var e : byPriority.entrySet()) {
      levels[i++] = new Level(e.getKey(), e.getValue(), config);
    }
    int n = levels.length;
    int[] load = new int[n];
    boolean[] panic = new boolean[n];
    if (n == 0) {
      return new PrioritySet(levels, load, panic);
    }
    int totalAvailability = 0;
    for (Level l : levels) {
      totalAvailability += l.health;
    }
    totalAvailability = Math.min(100, totalAvailability);
    if (totalAvailability > 0) {
      int remaining = 100;
      int firstAvailable = -1;
      for (int p = 0; p < n; p++) {
        if (firstAvailable < 0 && levels[p].health > 0) {
          firstAvailable = p;
        }
        load[p] = Math.min(remaining, levels[p].health * 100 / totalAvailability);
        remaining -= load[p];
      }
      load[firstAvailable] += remaining;
    }
    int threshold = config.healthyPanicThreshold();
    if (threshold == 0 && totalAvailability == 0) {
      load[0] = 100;
      return new PrioritySet(levels, load, panic);
    }
    if (totalAvailability == 100) {
      return new PrioritySet(levels, load, panic);
    }
    boolean allPanic = true;
    for (int p = 0; p < n; p++) {
      Level l = levels[p];
      double healthyPercent = l.all.length == 0 ? 0 : 100.0 * l.healthy.length / l.all.length;
      panic[p] = healthyPercent < threshold;
      allPanic &= panic[p];
    }
    if (allPanic) {
      // Everything is in panic: spread load by host counts, healthy or not.
      int total = 0;
      for (Level l : levels) {
        total += l.all.length;
      }
      int remaining = 100;
      for (int p = 0; p < n; p++) {
        load[p] = 100 * levels[p].all.length / total;
        remaining -= load[p];
      }
      load[0] += remaining;
    }
    return new PrioritySet(levels, load, panic);
  }

  /** The level for a value uniform over longs (a random number or the request's hash). */
  int choose(long value) {
    int point = (int) Long.remainderUnsigned(value, 100) + 1;
    int acc = 0;
    for (int p = 0; p < load.length; p++) {
      acc += load[p];
      if (point <= acc) {
        return p;
      }
    }
    return 0;
  }

  /** Percent of requests per level, highest priority first (for tests and the admin page). */
  public int[] load() {
    return load.clone();
  }

  /** Whether each level is in panic. */
  public boolean[] panic() {
    return panic.clone();
  }

  /** The priority numbers of the levels, highest priority first. */
  public int[] priorities() {
    int[] p = new int[levels.length];
    for (int i = 0; i < p.length; i++) {
      p[i] = levels[i].priority;
    }
    return p;
  }
}
