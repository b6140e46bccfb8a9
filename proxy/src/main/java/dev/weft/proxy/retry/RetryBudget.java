package dev.weft.proxy.retry;

import dev.weft.proxy.config.RetryBudgetConfig;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A cluster's retry budget at run time: the requests whose first attempt is in flight, and the
 * retries in flight. A retry may start only while retries in flight stay below
 * {@link #allowed(RetryBudgetConfig, long)} ({@code budget_percent} of those requests, at least
 * {@code min_retry_concurrency}), and it holds its slot from the decision, through its back-off,
 * until its attempt's outcome.
 *
 * <p>Envoy divides by all active requests and frees the slot when the back-off ends; Weft's
 * stricter accounting bounds the rate, not only the concurrency: a retry lasts at least as long
 * as a first attempt (its back-off comes on top), so over any run retries stay within about
 * {@code budget_percent} of the requests sent, even when every endpoint fails. Shared by the
 * cluster's event loops, hence atomics.
 */
public final class RetryBudget {
  private final AtomicLong activeRequests = new AtomicLong();
  private final AtomicLong activeRetries = new AtomicLong();

  /** Concurrent retries the budget allows with {@code activeRequests} requests in flight. */
  public static long allowed(RetryBudgetConfig budget, long activeRequests) {
    long share = (long) (budget.budgetPercent() * activeRequests / 100.0);
    return Math.max(budget.minRetryConcurrency(), share);
  }

  public void requestStarted() {
    activeRequests.incrementAndGet();
  }

  public void requestFinished() {
    activeRequests.decrementAndGet();
  }

  /** Takes a retry slot when the budget allows one; false when it is exhausted. */
  public boolean tryAcquire(RetryBudgetConfig budget) {
    while (true) {
      long r = activeRetries.get();
      if (r >= allowed(budget, activeRequests.get())) {
        return false;
      }
      if (activeRetries.compareAndSet(r, r + 1)) {
        return true;
      }
    }
  }

  public void release() {
    activeRetries.decrementAndGet();
  }

  public long activeRequests() {
    return activeRequests.get();
  }

  public long activeRetries() {
    return activeRetries.get();
  }
}
