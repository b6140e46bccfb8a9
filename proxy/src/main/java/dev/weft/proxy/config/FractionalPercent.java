package dev.weft.proxy.config;

/**
 * Envoy's {@code FractionalPercent}: {@code numerator / denominator} of requests, where the
 * denominator is 100, 10 000 or 1 000 000.
 */
public record FractionalPercent(long numerator, long denominator) {

  public static final FractionalPercent NEVER = new FractionalPercent(0, 100);

  /**
   * Whether a request drawn with {@code random} (any long, uniformly distributed) is selected:
   * as Envoy, {@code random mod denominator < numerator}.
   */
  public boolean selects(long random) {
    return numerator > 0 && (numerator >= denominator || Math.floorMod(random, denominator) < numerator);
  }

  @Override
  public String toString() {
    return numerator + "/" + denominator;
  }
}
