package dev.weft.proxy.retry;

/**
 * Why a failed attempt that {@code retry_on} matched was not retried; the {@code reason} label of
 * {@code weft_cluster_retries_refused_total}.
 */
public enum RetryRefusal {
  /** The request body outgrew the buffer kept for replay. */
  BODY_TOO_LARGE("body_too_large"),
  /** The response had already started downstream (a reset in the middle of the body). */
  RESPONSE_STARTED("response_started"),
  /** The cluster's retry budget was exhausted. */
  BUDGET("budget"),
  /** The cluster's {@code max_retries} circuit breaker was open. */
  MAX_RETRIES("max_retries"),
  /** The route's {@code num_retries} were used up. */
  NUM_RETRIES("num_retries");

  private final String reason;

  RetryRefusal(String reason) {
    this.reason = reason;
  }

  public String reason() {
    return reason;
  }
}
