package dev.weft.proxy.config;

/**
 * A cluster's load-balancing settings besides the policy name (Envoy's {@code Cluster}
 * {@code *_lb_config}, {@code common_lb_config} and the load assignment's {@code policy}).
 *
 * @param choiceCount            LEAST_REQUEST: hosts sampled per pick when weights are equal (default 2)
 * @param activeRequestBias      LEAST_REQUEST: exponent of {@code active + 1} dividing a host's weight
 *                               when weights differ (default 1.0)
 * @param minRingSize            RING_HASH: minimum ring entries (default 1024)
 * @param maxRingSize            RING_HASH: maximum ring entries (default 8M)
 * @param maglevTableSize        MAGLEV: lookup table size, a prime (default 65537)
 * @param healthyPanicThreshold  percent of healthy hosts below which a priority is in panic and uses
 *                               all its hosts (default 50; 0 disables panic)
 * @param localityWeighted       {@code locality_weighted_lb_config}: pick a locality by weight × health
 *                               first, then a host in it
 * @param overprovisioningFactor the load assignment's {@code policy.overprovisioning_factor}, in
 *                               percent (default 140)
 */
public record LbConfig(
    int choiceCount,
    double activeRequestBias,
    long minRingSize,
    long maxRingSize,
    int maglevTableSize,
    int healthyPanicThreshold,
    boolean localityWeighted,
    int overprovisioningFactor) {

  public static final int DEFAULT_CHOICE_COUNT = 2;
  public static final long DEFAULT_MIN_RING_SIZE = 1024;
  public static final long DEFAULT_MAX_RING_SIZE = 8 * 1024 * 1024;
  public static final int DEFAULT_MAGLEV_TABLE_SIZE = 65537;
  public static final int DEFAULT_PANIC_THRESHOLD = 50;
  public static final int DEFAULT_OVERPROVISIONING_FACTOR = 140;

  /** Envoy's defaults. */
  public static final LbConfig DEFAULT = new LbConfig(DEFAULT_CHOICE_COUNT, 1.0, DEFAULT_MIN_RING_SIZE,
      DEFAULT_MAX_RING_SIZE, DEFAULT_MAGLEV_TABLE_SIZE, DEFAULT_PANIC_THRESHOLD, false,
      DEFAULT_OVERPROVISIONING_FACTOR);

  /** This config with the load assignment's overprovisioning factor. */
  public LbConfig withOverprovisioningFactor(int factor) {
    return new LbConfig(choiceCount, activeRequestBias, minRingSize, maxRingSize, maglevTableSize,
        healthyPanicThreshold, localityWeighted, factor);
  }
}
