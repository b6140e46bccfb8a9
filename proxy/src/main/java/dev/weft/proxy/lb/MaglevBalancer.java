package dev.weft.proxy.lb;

import dev.weft.proxy.config.LbConfig;
import dev.weft.proxy.upstream.EndpointState;
import java.util.Arrays;
import java.util.Comparator;
import java.util.random.RandomGenerator;

/**
 * Envoy's {@code MAGLEV}: a lookup table of a prime size (default 65537) filled by each host in
 * turn along its own permutation ({@code offset = xxHash64(key) % M}, {@code skip =
 * xxHash64(key, 1) % (M - 1) + 1}), as often as its normalized weight allows, so each host owns a
 * share of slots proportional to its weight and adding a host moves only about 1/N of them. Hosts
 * are ordered by key first, so the table does not depend on the order endpoints were listed in.
 * Immutable once built; shared by every event loop.
 */
public final class MaglevBalancer implements LoadBalancer {
  private final EndpointState[] hosts;
  private final int[] table;

  public MaglevBalancer(EndpointState[] unsorted, int tableSize, boolean localityWeighted) {
    EndpointState[] sorted = unsorted.clone();
    String[] keys = new String[sorted.length];
    Arrays.sort(sorted, Comparator.comparing(HashWeights::key));
    for (int i = 0; i < sorted.length; i++) {
      keys[i] = HashWeights.key(sorted[i]);
    }
    double[] weights = HashWeights.normalize(sorted, localityWeighted);
    int n = sorted.length;
    long[] offset = new long[n];
    long[] skip = new long[n];
    long[] next = new long[n];
    double[] targetWeight = new double[n];
    double max = 0;
    for (int i = 0; i < n; i++) {
      offset[i] = Long.remainderUnsigned(XxHash64.hash(keys[i], 0), tableSize);
      skip[i] = Long.remainderUnsigned(XxHash64.hash(keys[i], 1), tableSize - 1) + 1;
      max = Math.max(max, weights[i]);
    }
    this.hosts = sorted;
    if (max == 0) {
      this.table = new int[0];
      return;
    }
    int[] t = new int[tableSize];
    Arrays.fill(t, -1);
    int filled = 0;
    for (long iteration = 1; filled < tableSize; iteration++) {
      for (int i = 0; i < n && filled < tableSize; i++) {
        if (weights[i] == 0 || iteration * weights[i] < targetWeight[i]) {
          continue;
        }
        targetWeight[i] += max;
        int c = (int) ((offset[i] + skip[i] * next[i]) % tableSize);
        while (t[c] >= 0) {
          next[i]++;
          c = (int) ((offset[i] + skip[i] * next[i]) % tableSize);
        }
        t[c] = i;
        next[i]++;
        filled++;
      }
    }
    this.table = t;
  }

  /** The number of slots in the table. */
  int tableSize() {
    return table.length;
  }

  @Override
  public EndpointState pick(long hash, int attempt) {
    if (table.length == 0) {
      return null;
    }
    if (attempt > 0) {
      // A host to avoid: flip many bits of the hash so the next slot is far from the last (as Envoy).
      hash ^= ~0L - attempt + 1;
    }
    return hosts[table[(int) Long.remainderUnsigned(hash, table.length)]];
  }

  /** {@code MAGLEV}. */
  public static final class Provider implements LoadBalancerProvider {
    @Override
    public String policyName() {
      return "MAGLEV";
    }

    @Override
    public boolean hashBased() {
      return true;
    }

    @Override
    public LoadBalancer newBalancer(EndpointState[] hosts, LbConfig config, RandomGenerator random) {
      return new MaglevBalancer(hosts, config.maglevTableSize(), config.localityWeighted());
    }
  }
}
