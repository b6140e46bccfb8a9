package dev.weft.proxy.upstream.health;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The outlier-detection and health-check bookkeeping of one endpoint. The counters the data
 * path touches are atomics (any event loop reports outcomes); the ejection fields are guarded
 * by the cluster's {@link OutlierDetector}; the health-check fields belong to its
 * {@link HealthChecker} session's event loop.
 */
public final class HostHealth {
  // ---- outlier detection, written from every event loop
  final AtomicInteger consecutive5xx = new AtomicInteger();
  final AtomicInteger consecutiveGatewayFailure = new AtomicInteger();
  final AtomicInteger consecutiveLocalOriginFailure = new AtomicInteger();
  final LongAdder externalTotal = new LongAdder();
  final LongAdder externalSuccess = new LongAdder();
  final LongAdder localTotal = new LongAdder();
  final LongAdder localSuccess = new LongAdder();

  // ---- outlier detection, guarded by the detector
  long lastEjectionNanos;
  long ejectionJitterNanos;
  int ejectTimeBackoff;
  long ejections;

  /** Success rate (percent) of the last interval, or -1 when it had too few requests. */
  volatile double successRate = -1;
  volatile double localOriginSuccessRate = -1;

  // ---- active health checking
  /** The host has never been checked (its first result decides at once, as in Envoy). */
  volatile boolean pendingFirstCheck = true;
  int consecutiveHealthy;
  int consecutiveUnhealthy;

  /** Times outlier detection ejected this host. */
  public long ejections() {
    return ejections;
  }

  public double successRate() {
    return successRate;
  }

  public double localOriginSuccessRate() {
    return localOriginSuccessRate;
  }

  /** Whether the host is waiting for its first active health check. */
  public boolean pendingFirstCheck() {
    return pendingFirstCheck;
  }
}
