package dev.weft.controlplane.ca;

import static dev.weft.controlplane.ca.CaFixture.CART;
import static dev.weft.controlplane.ca.CaFixture.WEB;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RateLimiterTest {

  private final AtomicLong now = new AtomicLong(1_000_000_000L);

  @Test
  void allowsABurstThenOneRequestPerRefillInterval() {
    RateLimiter limiter = new RateLimiter(new RateLimiter.Limits(3, 1.0, 100), now::get);

    for (int i = 0; i < 3; i++) {
      assertThat(limiter.tryAcquire(WEB)).isEmpty();
    }
    assertThat(limiter.tryAcquire(WEB)).contains(Duration.ofSeconds(1));
    assertThat(limiter.tryAcquire(CART)).isEmpty();

    now.addAndGet(Duration.ofMillis(400).toNanos());
    assertThat(limiter.tryAcquire(WEB)).contains(Duration.ofMillis(600));
    now.addAndGet(Duration.ofMillis(600).toNanos());
    assertThat(limiter.tryAcquire(WEB)).isEmpty();
    assertThat(limiter.tryAcquire(WEB)).isPresent();
  }

  @Test
  void refillNeverExceedsTheBurst() {
    RateLimiter limiter = new RateLimiter(new RateLimiter.Limits(2, 10.0, 100), now::get);
    limiter.tryAcquire(WEB);
    now.addAndGet(Duration.ofHours(1).toNanos());

    assertThat(limiter.tryAcquire(WEB)).isEmpty();
    assertThat(limiter.tryAcquire(WEB)).isEmpty();
    assertThat(limiter.tryAcquire(WEB)).isPresent();
  }

  @Test
  void forgetsIdleCallersWhenTrackingTooMany() {
    RateLimiter limiter = new RateLimiter(new RateLimiter.Limits(1, 1.0, 1), now::get);
    assertThat(limiter.tryAcquire(WEB)).isEmpty();
    now.addAndGet(Duration.ofSeconds(5).toNanos());

    assertThat(limiter.tryAcquire(CART)).isEmpty();
    assertThat(limiter.tryAcquire(WEB)).isEmpty();
  }

  @Test
  void rejectsLimitsOutOfRange() {
    assertThatThrownBy(() -> new RateLimiter.Limits(0, 1, 1)).hasMessage("burst: 0 (expected: >= 1)");
    assertThatThrownBy(() -> new RateLimiter.Limits(1, 0, 1)).hasMessage("perSecond: 0.0 (expected: > 0)");
  }
}
