package dev.weft.controlplane.ca;

import dev.weft.certs.SpiffeId;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * A token bucket per caller identity: each SPIFFE ID may make {@code burst} requests at once and
 * then {@code perSecond} more each second. It keeps one sidecar in a crash loop, or every sidecar
 * restarting at once, from monopolising the CA.
 *
 * <p>Buckets are created on first use. When more than {@code maxTracked} identities are held, the
 * buckets that have refilled completely (idle callers, indistinguishable from new ones) are
 * dropped. Time comes from an injected nanosecond source, so tests control it.
 */
public final class RateLimiter {

  /**
   * Rate limit settings.
   *
   * @param burst requests a caller may make at once (>= 1)
   * @param perSecond sustained requests per second per caller (> 0)
   * @param maxTracked identities kept before idle ones are dropped (>= 1)
   */
  public record Limits(int burst, double perSecond, int maxTracked) {

    /** The defaults: burst 10, 1 request per second, 100000 identities tracked. */
    public static final Limits DEFAULT = new Limits(10, 1.0, 100_000);

    /**
     * Validates the settings.
     *
     * @throws IllegalArgumentException naming the setting out of range
     */
    public Limits {
      if (burst < 1) {
        throw new IllegalArgumentException("burst: " + burst + " (expected: >= 1)");
      }
      if (!(perSecond > 0) || Double.isInfinite(perSecond)) {
        throw new IllegalArgumentException("perSecond: " + perSecond + " (expected: > 0)");
      }
      if (maxTracked < 1) {
        throw new IllegalArgumentException("maxTracked: " + maxTracked + " (expected: >= 1)");
      }
    }
  }

  private static final class Bucket {
    private double tokens;
    private long updatedNanos;

    Bucket(double tokens, long now) {
      this.tokens = tokens;
      this.updatedNanos = now;
    }
  }

  private final Limits limits;
  private final LongSupplier nanoTime;
  private final Map<SpiffeId, Bucket> buckets = new ConcurrentHashMap<>();

  /**
   * Creates the limiter.
   *
   * @param limits the settings
   * @param nanoTime a monotonic nanosecond source, {@code System::nanoTime} outside tests
   */
  public RateLimiter(Limits limits, LongSupplier nanoTime) {
    this.limits = Objects.requireNonNull(limits, "limits");
    this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
  }

  /**
   * Takes one token from the caller's bucket.
   *
   * @return empty if the request may go ahead, otherwise how long until the next token
   */
  public Optional<Duration> tryAcquire(SpiffeId caller) {
    long now = nanoTime.getAsLong();
    if (buckets.size() >= limits.maxTracked() && !buckets.containsKey(caller)) {
      evictIdle(now);
    }
    Bucket bucket = buckets.computeIfAbsent(caller, id -> new Bucket(limits.burst(), now));
    synchronized (bucket) {
      refill(bucket, now);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return Optional.empty();
      }
      double missing = 1 - bucket.tokens;
      return Optional.of(Duration.ofNanos((long) Math.ceil(missing / limits.perSecond() * 1e9)));
    }
  }

  /** Returns the settings. */
  public Limits limits() {
    return limits;
  }

  private void refill(Bucket bucket, long now) {
    long elapsed = now - bucket.updatedNanos;
    if (elapsed > 0) {
      bucket.tokens = Math.min(limits.burst(), bucket.tokens + elapsed / 1e9 * limits.perSecond());
      bucket.updatedNanos = now;
    }
  }

  private void evictIdle(long now) {
    buckets.entrySet().removeIf(e -> {
      Bucket bucket = e.getValue();
      synchronized (bucket) {
        refill(bucket, now);
        return bucket.tokens >= limits.burst();
      }
    });
  }
}
