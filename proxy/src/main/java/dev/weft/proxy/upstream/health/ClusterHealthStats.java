package dev.weft.proxy.upstream.health;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;

/**
 * A cluster's circuit-breaker, outlier-detection and health-check meters, resolved once per
 * cluster so the hot path only increments fields. Prometheus names (all labelled {@code cluster}):
 * <ul>
 *   <li>{@code weft_upstream_cx_overflow_total}, {@code weft_upstream_rq_pending_overflow_total}
 *       (pending and {@code max_requests} overflows, as Envoy counts them),
 *       {@code weft_upstream_rq_retry_overflow_total};</li>
 *   <li>{@code weft_outlier_detection_ejections_active},
 *       {@code weft_outlier_detection_ejections_enforced_total{type}},
 *       {@code weft_outlier_detection_ejections_detected_total{type}},
 *       {@code weft_outlier_detection_ejections_overflow_total};</li>
 *   <li>{@code weft_health_check_attempts_total}, {@code weft_health_check_successes_total},
 *       {@code weft_health_check_failures_total};</li>
 *   <li>per endpoint ({@code endpoint="ip:port"}): {@code weft_upstream_endpoint_requests_total},
 *       {@code weft_upstream_endpoint_healthy} (1 or 0).</li>
 * </ul>
 */
public final class ClusterHealthStats {
  private final MeterRegistry registry;
  private final String cluster;
  public final Counter connectionOverflow;
  public final Counter pendingOverflow;
  public final Counter requestOverflow;
  public final Counter retryOverflow;
  public final AtomicInteger ejectionsActive = new AtomicInteger();
  private final Counter[] ejectionsEnforced = new Counter[EjectionType.values().length];
  private final Counter[] ejectionsDetected = new Counter[EjectionType.values().length];
  public final Counter ejectionsOverflow;
  public final Counter healthCheckAttempts;
  public final Counter healthCheckSuccesses;
  public final Counter healthCheckFailures;

  public ClusterHealthStats(MeterRegistry registry, String cluster) {
    this.registry = registry;
    this.cluster = cluster;
    connectionOverflow = Counter.builder("weft.upstream.cx.overflow")
        .description("Connections not opened because the cluster's max_connections breaker was full")
        .tag("cluster", cluster).register(registry);
    pendingOverflow = Counter.builder("weft.upstream.rq.pending.overflow")
        .description("Requests answered 503 overflow by the max_pending_requests or max_requests breaker")
        .tag("cluster", cluster).register(registry);
    requestOverflow = pendingOverflow;
    retryOverflow = Counter.builder("weft.upstream.rq.retry.overflow")
        .description("Retries not attempted because the cluster's max_retries breaker was full")
        .tag("cluster", cluster).register(registry);
    Gauge.builder("weft.outlier.detection.ejections.active", ejectionsActive, AtomicInteger::get)
        .description("Hosts currently ejected by outlier detection").tag("cluster", cluster).register(registry);
    for (EjectionType t : EjectionType.values()) {
      ejectionsEnforced[t.ordinal()] = Counter.builder("weft.outlier.detection.ejections.enforced")
          .description("Ejections enforced, by type").tag("cluster", cluster).tag("type", t.label())
          .register(registry);
      ejectionsDetected[t.ordinal()] = Counter.builder("weft.outlier.detection.ejections.detected")
          .description("Hosts found to be outliers (ejected or not), by type").tag("cluster", cluster)
          .tag("type", t.label()).register(registry);
    }
    ejectionsOverflow = Counter.builder("weft.outlier.detection.ejections.overflow")
        .description("Ejections skipped because max_ejection_percent was reached").tag("cluster", cluster)
        .register(registry);
    healthCheckAttempts = Counter.builder("weft.health.check.attempts").description("Active health checks started")
        .tag("cluster", cluster).register(registry);
    healthCheckSuccesses = Counter.builder("weft.health.check.successes").description("Active health checks passed")
        .tag("cluster", cluster).register(registry);
    healthCheckFailures = Counter.builder("weft.health.check.failures")
        .description("Active health checks failed (status, timeout, connect or protocol error)")
        .tag("cluster", cluster).register(registry);
  }

  public Counter ejectionsEnforced(EjectionType type) {
    return ejectionsEnforced[type.ordinal()];
  }

  public Counter ejectionsDetected(EjectionType type) {
    return ejectionsDetected[type.ordinal()];
  }

  /**
   * Registers the per-endpoint meters of {@code endpoint}; close the returned handle when the
   * endpoint leaves the cluster.
   */
  public AutoCloseable endpoint(String endpoint, LongAdder requests, BooleanSupplier healthy) {
    List<Meter> meters = new ArrayList<>();
    meters.add(FunctionCounter.builder("weft.upstream.endpoint.requests", requests, LongAdder::sum)
        .description("Requests sent to one endpoint").tag("cluster", cluster).tag("endpoint", endpoint)
        .register(registry));
    meters.add(Gauge.builder("weft.upstream.endpoint.healthy", healthy, h -> h.getAsBoolean() ? 1 : 0)
        .description("1 when the endpoint takes traffic (not failing health checks, not ejected)")
        .tag("cluster", cluster).tag("endpoint", endpoint).strongReference(true).register(registry));
    return () -> meters.forEach(registry::remove);
  }
}
