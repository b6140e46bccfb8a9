package dev.weft.proxy.retry;

/**
 * Envoy's fully jittered exponential back-off: before retry {@code n} (1 for the first retry)
 * wait a uniformly random time in {@code [0, (2^n - 1) x base)}, the upper bound capped at
 * {@code max}. With the defaults (25 ms, 250 ms): under 25 ms, 75 ms, 175 ms, then 250 ms.
 */
public final class BackOff {
  private BackOff() {}

  /**
   * The delay in milliseconds before retry {@code retry}.
   *
   * @param random any long, uniformly distributed (injected so tests are deterministic)
   */
  public static long delayMillis(int retry, long baseMillis, long maxMillis, long random) {
    long base = Math.max(1, baseMillis);
    long max = Math.max(base, maxMillis);
    long multiplier = retry >= 62 ? Long.MAX_VALUE : (1L << Math.max(1, retry)) - 1;
    long upper = multiplier > max / base ? max : multiplier * base;
    return Math.floorMod(random, upper);
  }
}
