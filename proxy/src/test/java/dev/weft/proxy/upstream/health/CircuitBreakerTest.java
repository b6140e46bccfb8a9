package dev.weft.proxy.upstream.health;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.proxy.config.CircuitBreakers;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class CircuitBreakerTest {
  private final ClusterHealthStats stats = new ClusterHealthStats(new SimpleMeterRegistry(), "app");

  private static CircuitBreakers limits(int connections, int pending, int requests, int retries) {
    CircuitBreakers.Thresholds t = new CircuitBreakers.Thresholds(connections, pending, requests, retries);
    return new CircuitBreakers(t, CircuitBreakers.Thresholds.DEFAULTS);
  }

  @Test
  void eachResourceAdmitsUpToItsLimitAndCountsItsOverflow() {
    CircuitBreaker b = new CircuitBreaker(limits(1, 2, 3, 1), stats);
    assertThat(b.tryStartRetry()).isTrue();
    assertThat(b.tryStartRetry()).isFalse();
    b.endRetry();
    assertThat(b.tryStartRetry()).isTrue();
    assertThat(stats.retryOverflow.count()).isEqualTo(1);

    assertThat(b.tryStartRequest()).isTrue();
    assertThat(b.tryStartRequest()).isTrue();
    assertThat(b.tryStartRequest()).isTrue();
    assertThat(b.tryStartRequest()).isFalse();
    assertThat(b.tryStartPending()).isTrue();
    assertThat(b.tryStartPending()).isTrue();
    assertThat(b.tryStartPending()).isFalse();
    assertThat(stats.pendingOverflow.count()).isEqualTo(2);

    assertThat(b.tryOpenConnection(false)).isTrue();
    assertThat(b.tryOpenConnection(false)).isFalse();
    // A pool with no connection may always open its first one, as Envoy allows.
    assertThat(b.tryOpenConnection(true)).isTrue();
    assertThat(b.activeConnections()).isEqualTo(2);
    assertThat(stats.connectionOverflow.count()).isEqualTo(2);
  }

  @Test
  void newThresholdsApplyToTheNextAdmission() {
    CircuitBreaker b = new CircuitBreaker(limits(1, 1, 1, 1), stats);
    assertThat(b.tryStartRequest()).isTrue();
    assertThat(b.tryStartRequest()).isFalse();
    b.update(limits(1, 1, 2, 1));
    assertThat(b.tryStartRequest()).isTrue();
    assertThat(b.limits().maxRequests()).isEqualTo(2);
  }

  @Test
  void theLimitIsNeverExceededByConcurrentThreads() throws Exception {
    CircuitBreaker b = new CircuitBreaker(limits(1, 1, 7, 1), stats);
    AtomicInteger inside = new AtomicInteger();
    AtomicInteger maxSeen = new AtomicInteger();
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 8; t++) {
      threads.add(Thread.ofPlatform().start(() -> {
        try {
          start.await();
        } catch (InterruptedException e) {
          return;
        }
        for (int i = 0; i < 20_000; i++) {
          if (b.tryStartRequest()) {
            maxSeen.accumulateAndGet(inside.incrementAndGet(), Math::max);
            inside.decrementAndGet();
            b.endRequest();
          }
        }
      }));
    }
    start.countDown();
    for (Thread t : threads) {
      t.join();
    }
    assertThat(maxSeen.get()).isBetween(1, 7);
    assertThat(b.activeRequests()).isZero();
  }
}
