package dev.weft.proxy.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * A listener's fault filter meters (Envoy's {@code fault.delays_injected},
 * {@code fault.aborts_injected}, {@code fault.faults_overflow}):
 * {@code weft_http_faults_injected_total{listener,kind="delay"|"abort"}} and
 * {@code weft_http_faults_overflow_total{listener}}.
 */
public final class FaultStats {
  public final Counter delays;
  public final Counter aborts;
  public final Counter overflow;

  FaultStats(MeterRegistry registry, String listener) {
    delays = Counter.builder("weft.http.faults.injected").description("Faults injected by the fault filter")
        .tag("listener", listener).tag("kind", "delay").register(registry);
    aborts = Counter.builder("weft.http.faults.injected").description("Faults injected by the fault filter")
        .tag("listener", listener).tag("kind", "abort").register(registry);
    overflow = Counter.builder("weft.http.faults.overflow")
        .description("Faults not injected because max_active_faults were active").tag("listener", listener)
        .register(registry);
  }
}
