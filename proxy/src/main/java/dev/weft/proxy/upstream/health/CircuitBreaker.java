package dev.weft.proxy.upstream.health;

import dev.weft.proxy.config.CircuitBreakers;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A cluster's circuit breakers at run time: one counter per resource (connections, pending
 * requests, requests, retries) shared by all event loops, checked against the current
 * DEFAULT-priority thresholds. Taking a slot is one atomic increment (undone when over the
 * limit), so the limits hold exactly across loops without locks.
 *
 * <p>Every successful {@code tryX} must be paired with exactly one {@code endX}.
 */
public final class CircuitBreaker {
  private volatile CircuitBreakers.Thresholds limits;
  private final AtomicInteger connections = new AtomicInteger();
  private final AtomicInteger pending = new AtomicInteger();
  private final AtomicInteger requests = new AtomicInteger();
  private final AtomicInteger retries = new AtomicInteger();
  private final ClusterHealthStats stats;

  public CircuitBreaker(CircuitBreakers config, ClusterHealthStats stats) {
    this.limits = config.defaults();
    this.stats = stats;
  }

  /** Applies new thresholds; requests already admitted stay admitted. */
  public void update(CircuitBreakers config) {
    this.limits = config.defaults();
  }

  public CircuitBreakers.Thresholds limits() {
    return limits;
  }

  private static boolean take(AtomicInteger counter, int max) {
    if (counter.incrementAndGet() > max) {
      counter.decrementAndGet();
      return false;
    }
    return true;
  }

  /** Admits a request to the cluster ({@code max_requests}); counts the overflow otherwise. */
  public boolean tryStartRequest() {
    if (take(requests, limits.maxRequests())) {
      return true;
    }
    stats.requestOverflow.increment();
    return false;
  }

  public void endRequest() {
    requests.decrementAndGet();
  }

  /** Admits a request to wait for a connection or stream ({@code max_pending_requests}). */
  public boolean tryStartPending() {
    if (take(pending, limits.maxPendingRequests())) {
      return true;
    }
    stats.pendingOverflow.increment();
    return false;
  }

  public void endPending() {
    pending.decrementAndGet();
  }

  /**
   * Takes a connection slot ({@code max_connections}). With {@code force} (the calling pool has
   * no connection at all, as Envoy allows so no pool starves) the slot is taken even over the
   * limit, and the overflow is still counted.
   */
  public boolean tryOpenConnection(boolean force) {
    if (take(connections, limits.maxConnections())) {
      return true;
    }
    stats.connectionOverflow.increment();
    if (force) {
      connections.incrementAndGet();
      return true;
    }
    return false;
  }

  public void connectionClosed() {
    connections.decrementAndGet();
  }

  /** Admits a retry ({@code max_retries}); counts {@code upstream_rq_retry_overflow} otherwise. */
  public boolean tryStartRetry() {
    if (take(retries, limits.maxRetries())) {
      return true;
    }
    stats.retryOverflow.increment();
    return false;
  }

  public void endRetry() {
    retries.decrementAndGet();
  }

  public int activeConnections() {
    return connections.get();
  }

  public int pendingRequests() {
    return pending.get();
  }

  public int activeRequests() {
    return requests.get();
  }

  public int activeRetries() {
    return retries.get();
  }
}
