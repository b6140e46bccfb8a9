package dev.weft.proxy.retry;

import dev.weft.proxy.lb.LbContext;
import dev.weft.proxy.upstream.EndpointState;

/**
 * What the router tells the balancer for each attempt of one request: the request hash, and
 * with Envoy's {@code previous_hosts} predicate the hosts already tried. As Envoy's
 * {@code host_selection_retry_max_attempts}, a pick of a tried host is redone at most that many
 * times per attempt; after that the last pick stands. Reused across the requests of a
 * connection or stream ({@link #reset}); touched only on its event loop.
 */
public final class RetryLbContext implements LbContext {
  private EndpointState[] tried = new EndpointState[4];
  private int triedCount;
  private boolean avoidPrevious;
  private int maxRejections;
  private int rejections;
  private boolean hasHash;
  private long hash;

  /** Starts a new request. */
  public void reset(boolean avoidPrevious, int hostSelectionRetryMaxAttempts) {
    java.util.Arrays.fill(tried, 0, triedCount, null);
    triedCount = 0;
    this.avoidPrevious = avoidPrevious;
    this.maxRejections = hostSelectionRetryMaxAttempts;
    rejections = 0;
    hasHash = false;
    hash = 0;
  }

  /** Sets the request's hash (from the route's hash policies). */
  public void hash(long value) {
    hasHash = true;
    hash = value;
  }

  /** Starts a new attempt: its picks may again be redone up to the limit. */
  public void newAttempt() {
    rejections = 0;
  }

  /** Records the host an attempt went to. */
  public void tried(EndpointState endpoint) {
    for (int i = 0; i < triedCount; i++) {
      if (tried[i] == endpoint) {
        return;
      }
    }
    if (triedCount == tried.length) {
      tried = java.util.Arrays.copyOf(tried, triedCount * 2);
    }
    tried[triedCount++] = endpoint;
  }

  @Override
  public boolean hasHash() {
    return hasHash;
  }

  @Override
  public long hash() {
    return hash;
  }

  @Override
  public boolean shouldAvoid(EndpointState endpoint) {
    if (!avoidPrevious || rejections >= maxRejections) {
      return false;
    }
    for (int i = 0; i < triedCount; i++) {
      if (tried[i] == endpoint) {
        rejections++;
        return true;
      }
    }
    return false;
  }
}
