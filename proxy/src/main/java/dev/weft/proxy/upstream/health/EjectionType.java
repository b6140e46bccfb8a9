package dev.weft.proxy.upstream.health;

import java.util.Locale;

/** Why outlier detection ejected a host (Envoy's {@code OutlierEjectionType}). */
public enum EjectionType {
  CONSECUTIVE_5XX,
  CONSECUTIVE_GATEWAY_FAILURE,
  CONSECUTIVE_LOCAL_ORIGIN_FAILURE,
  SUCCESS_RATE,
  SUCCESS_RATE_LOCAL_ORIGIN,
  FAILURE_PERCENTAGE,
  FAILURE_PERCENTAGE_LOCAL_ORIGIN;

  private final String label = name().toLowerCase(Locale.ROOT);

  /** The metric label: Envoy's stat suffix, e.g. {@code consecutive_5xx}. */
  public String label() {
    return label;
  }
}
