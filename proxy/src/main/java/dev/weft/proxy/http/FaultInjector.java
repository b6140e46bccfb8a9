package dev.weft.proxy.http;

import dev.weft.proxy.config.FaultConfig;
import dev.weft.proxy.config.HttpConnectionManagerConfig;
import dev.weft.proxy.config.Route;
import dev.weft.proxy.config.VirtualHost;
import dev.weft.proxy.metrics.FaultStats;
import dev.weft.proxy.route.Router;
import io.netty.handler.codec.http.HttpRequest;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Envoy's HTTP fault filter at run time, for one filter chain: picks the fault config that
 * applies to a routed request (the route's {@code typed_per_filter_config}, else the virtual
 * host's, else the filter's), decides by its percentages whether to delay and/or abort, and
 * keeps the count of active faults for {@code max_active_faults}. The router runs the decision
 * after RBAC and routing, and schedules any delay on the request's event loop.
 */
public final class FaultInjector {
  /** No fault filter on this chain. */
  static final FaultInjector NONE = new FaultInjector();

  private final FaultConfig filter;
  private final FaultStats stats;
  /**
   * Active faults per config (the filter's and each override). Overrides of inline routes are
   * known up front; those of RDS route tables are added when they first inject a fault.
   */
  private final Map<FaultConfig, AtomicInteger> active = new ConcurrentHashMap<>();

  private FaultInjector() {
    this.filter = null;
    this.stats = null;
  }

  FaultInjector(HttpConnectionManagerConfig config, FaultStats stats) {
    this.filter = config.faults().isEmpty() ? null : config.faults().getFirst();
    this.stats = stats;
    if (filter == null) {
      return;
    }
    active.put(filter, new AtomicInteger());
    for (VirtualHost vh : config.routes().virtualHosts()) {
      vh.faults().values().forEach(f -> active.put(f, new AtomicInteger()));
      for (Route r : vh.routes()) {
        r.faults().values().forEach(f -> active.put(f, new AtomicInteger()));
      }
    }
  }

  /** What to do with one request. */
  public record Decision(FaultConfig config, boolean delay, boolean abort) {}

  /**
   * Decides the fault for a request, or null for none. A non-null decision holds an active-fault
   * slot: give it back with {@link #finished(Decision)} when the request ends.
   *
   * @param delayRandom random long for the delay percentage; {@code abortRandom} for the abort's
   */
  public Decision decide(HttpRequest request, VirtualHost vh, Route route, long delayRandom, long abortRandom) {
    if (filter == null) {
      return null;
    }
    FaultConfig f = filter;
    if (route != null && route.faults().get(filter.filterName()) instanceof FaultConfig o) {
      f = o;
    } else if (vh != null && vh.faults().get(filter.filterName()) instanceof FaultConfig o) {
      f = o;
    }
    if (!Router.headersMatch(f.headers(), request)) {
      return null;
    }
    boolean delay = f.hasDelay() && f.delayPercent().selects(delayRandom);
    boolean abort = f.hasAbort() && f.abortPercent().selects(abortRandom);
    if (!delay && !abort) {
      return null;
    }
    AtomicInteger count = active.computeIfAbsent(f, k -> new AtomicInteger());
    if (count.incrementAndGet() > f.maxActiveFaults()) {
      count.decrementAndGet();
      stats.overflow.increment();
      return null;
    }
    if (delay) {
      stats.delays.increment();
    }
    return new Decision(f, delay, abort);
  }

  /** Counts an abort as it is answered (after any delay). */
  void aborted() {
    stats.aborts.increment();
  }

  /** The request that got {@code decision} ended. */
  void finished(Decision decision) {
    active.get(decision.config()).decrementAndGet();
  }
}
