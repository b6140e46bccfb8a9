package dev.weft.proxy.config;

/**
 * A cluster's retry budget (Envoy's {@code circuit_breakers.thresholds[].retry_budget}):
 * concurrent retries may not exceed {@code budgetPercent} of the cluster's active requests, but
 * {@code minRetryConcurrency} are always allowed.
 */
public record RetryBudgetConfig(double budgetPercent, int minRetryConcurrency) {
  public static final double DEFAULT_PERCENT = 20.0;
  public static final int DEFAULT_MIN_CONCURRENCY = 3;
}
