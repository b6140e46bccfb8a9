package dev.weft.proxy.metrics;

import dev.weft.proxy.retry.RetryRefusal;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * A cluster's retry and timeout meters (Envoy's {@code upstream_rq_retry*},
 * {@code upstream_rq_timeout}, {@code upstream_rq_per_try_timeout}), in Prometheus form:
 * {@code weft_cluster_retries_total{cluster}}, {@code weft_cluster_retries_succeeded_total},
 * {@code weft_cluster_retries_refused_total{cluster,reason}},
 * {@code weft_cluster_retry_budget_exhausted_total}, {@code weft_cluster_timeouts_total{cluster,kind}}.
 */
public final class RetryStats {

  /** Which timeout ended a request or attempt (the {@code kind} label). */
  public enum Timeout {
    ROUTE("route"), PER_TRY("per_try"), IDLE("idle"), MAX_STREAM_DURATION("max_stream_duration");

    final String label;

    Timeout(String label) {
      this.label = label;
    }
  }

  public final Counter retries;
  public final Counter retriesSucceeded;
  public final Counter budgetExhausted;
  private final Counter[] refused = new Counter[RetryRefusal.values().length];
  private final Counter[] timeouts = new Counter[Timeout.values().length];

  RetryStats(MeterRegistry registry, String cluster) {
    retries = Counter.builder("weft.cluster.retries").description("Retries started (attempts after the first)")
        .tag("cluster", cluster).register(registry);
    retriesSucceeded = Counter.builder("weft.cluster.retries.succeeded")
        .description("Retries whose response was passed on").tag("cluster", cluster).register(registry);
    budgetExhausted = Counter.builder("weft.cluster.retry.budget.exhausted")
        .description("Retries refused because the cluster's retry budget was exhausted")
        .tag("cluster", cluster).register(registry);
    for (RetryRefusal r : RetryRefusal.values()) {
      refused[r.ordinal()] = Counter.builder("weft.cluster.retries.refused")
          .description("Failed attempts that retry_on matched but were not retried, by reason")
          .tag("cluster", cluster).tag("reason", r.reason()).register(registry);
    }
    for (Timeout t : Timeout.values()) {
      timeouts[t.ordinal()] = Counter.builder("weft.cluster.timeouts")
          .description("Requests (route, idle, max_stream_duration) or attempts (per_try) that timed out")
          .tag("cluster", cluster).tag("kind", t.label).register(registry);
    }
  }

  public void refused(RetryRefusal reason) {
    refused[reason.ordinal()].increment();
    if (reason == RetryRefusal.BUDGET) {
      budgetExhausted.increment();
    }
  }

  public void timeout(Timeout kind) {
    timeouts[kind.ordinal()].increment();
  }
}
