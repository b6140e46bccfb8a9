package dev.weft.proxy.config;

import java.time.Duration;

/**
 * Passive health checking of a cluster's endpoints (Envoy's {@code outlier_detection}), with
 * Envoy's field meanings and defaults ({@link #DEFAULTS}). Percentages are 0 to 100;
 * {@code successRateStdevFactor} is in thousandths (1900 = 1.9 standard deviations).
 */
public record OutlierDetectionConfig(
    int consecutive5xx,
    int consecutiveGatewayFailure,
    int consecutiveLocalOriginFailure,
    boolean splitExternalLocalOriginErrors,
    Duration interval,
    Duration baseEjectionTime,
    Duration maxEjectionTime,
    Duration maxEjectionTimeJitter,
    int maxEjectionPercent,
    int enforcingConsecutive5xx,
    int enforcingConsecutiveGatewayFailure,
    int enforcingConsecutiveLocalOriginFailure,
    int enforcingSuccessRate,
    int enforcingLocalOriginSuccessRate,
    int successRateMinimumHosts,
    int successRateRequestVolume,
    int successRateStdevFactor,
    int failurePercentageThreshold,
    int enforcingFailurePercentage,
    int enforcingFailurePercentageLocalOrigin,
    int failurePercentageMinimumHosts,
    int failurePercentageRequestVolume,
    boolean successfulActiveHealthCheckUnejectHost) {

  /** Envoy's defaults, used for every field that is not set. */
  public static final OutlierDetectionConfig DEFAULTS = new OutlierDetectionConfig(
      5, 5, 5, false,
      Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(300), Duration.ZERO, 10,
      100, 0, 100, 100, 100,
      5, 100, 1900,
      85, 0, 0, 5, 50, true);
}
