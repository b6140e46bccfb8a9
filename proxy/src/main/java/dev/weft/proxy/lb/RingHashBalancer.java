package dev.weft.proxy.lb;

import dev.weft.proxy.config.LbConfig;
import dev.weft.proxy.upstream.EndpointState;
import java.util.Arrays;
import java.util.Comparator;
import java.util.random.RandomGenerator;

/**
 * Envoy's {@code RING_HASH} (ketama): each host owns points on a 64-bit ring at
 * {@code xxHash64("ip:port_i")}, as many as its normalized weight times the ring size, where the
 * ring size is the smallest that gives the lightest host {@code minimum_ring_size × weight} points,
 * capped at {@code maximum_ring_size}. A request goes to the first point at or after its hash, so
 * a key stays on its host and adding a host moves only about 1/N of the keys. Immutable once
 * built; shared by every event loop.
 */
public final class RingHashBalancer implements LoadBalancer {
  private final long[] hashes;
  private final EndpointState[] owners;

  public RingHashBalancer(EndpointState[] hosts, long minRingSize, long maxRingSize, boolean localityWeighted) {
    double[] weights = HashWeights.normalize(hosts, localityWeighted);
    double min = Double.MAX_VALUE;
    for (double w : weights) {
      if (w > 0) {
        min = Math.min(min, w);
      }
    }
    if (min == Double.MAX_VALUE) {
      hashes = new long[0];
      owners = new EndpointState[0];
      return;
    }
    double scale = Math.min(Math.ceil(min * minRingSize) / min, (double) maxRingSize);
    int size = (int) Math.min(Math.ceil(scale) + hosts.length, Integer.MAX_VALUE - 8);
    long[] entryHash = new long[size];
    int[] entryHost = new int[size];
    int count = 0;
    double current = 0;
    double target = 0;
    StringBuilder key = new StringBuilder(64);
    for (int h = 0; h < hosts.length; h++) {
      key.setLength(0);
      key.append(HashWeights.key(hosts[h])).append('_');
      int prefix = key.length();
      target += scale * weights[h];
      for (long i = 0; current < target && count < size; i++) {
        key.setLength(prefix);
        key.append(i);
        entryHash[count] = XxHash64.hash(key);
        entryHost[count] = h;
        count++;
        current++;
      }
    }
    Integer[] order = new Integer[count];
    for (int i = 0; i < count; i++) {
      order[i] = i;
    }
    Arrays.sort(order, Comparator.<Integer>comparingLong(i -> entryHash[i] ^ Long.MIN_VALUE)
        .thenComparingInt(i -> i));
    hashes = new long[count];
    owners = new EndpointState[count];
    for (int i = 0; i < count; i++) {
      hashes[i] = entryHash[order[i]];
      owners[i] = hosts[entryHost[order[i]]];
    }
  }

  /** The number of points on the ring. */
  public int size() {
    return hashes.length;
  }

  @Override
  public EndpointState pick(long hash, int attempt) {
    int n = hashes.length;
    if (n == 0) {
      return null;
    }
    // The first point whose hash is >= the request's (unsigned), wrapping to the start.
    int lo = 0;
    int hi = n;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (Long.compareUnsigned(hashes[mid], hash) < 0) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    int at = lo == n ? 0 : lo;
    if (attempt > 0) {
      // A host to avoid: behave as if its point were not on the ring (Envoy steps along the ring).
      at = (int) ((at + (long) attempt) % n);
    }
    return owners[at];
  }

  /** {@code RING_HASH}. */
  public static final class Provider implements LoadBalancerProvider {
    @Override
    public String policyName() {
      return "RING_HASH";
    }

    @Override
    public boolean hashBased() {
      return true;
    }

    @Override
    public LoadBalancer newBalancer(EndpointState[] hosts, LbConfig config, RandomGenerator random) {
      return new RingHashBalancer(hosts, config.minRingSize(), config.maxRingSize(), config.localityWeighted());
    }
  }
}
