package dev.weft.controlplane.xds;

import java.time.Duration;

/**
 * How long the server waits before it answers a client that keeps rejecting config: the first
 * rejection of a type is answered as soon as a new version exists; each further consecutive
 * rejection doubles the wait, from {@code initial} up to {@code max}. A rejected version itself is
 * never sent again (see {@link AdsService}).
 *
 * @param initial wait after the second consecutive NACK (default 200 ms)
 * @param max     longest wait (default 30 s)
 */
public record NackBackoff(Duration initial, Duration max) {
  public static final NackBackoff DEFAULT = new NackBackoff(Duration.ofMillis(200), Duration.ofSeconds(30));

  public NackBackoff {
    if (initial.isNegative() || max.compareTo(initial) < 0) {
      throw new IllegalArgumentException("nack backoff " + initial + ".." + max + " (expected: 0 <= initial <= max)");
    }
  }

  /** The wait after the {@code consecutiveNacks}-th rejection in a row (1-based). */
  public Duration delay(int consecutiveNacks) {
    if (consecutiveNacks <= 1) {
      return Duration.ZERO;
    }
    int shift = Math.min(consecutiveNacks - 2, 30);
    Duration d = initial.multipliedBy(1L << shift);
    return d.compareTo(max) > 0 ? max : d;
  }
}
