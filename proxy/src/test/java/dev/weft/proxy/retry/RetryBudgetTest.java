package dev.weft.proxy.retry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.proxy.config.RetryBudgetConfig;
import org.junit.jupiter.api.Test;

class RetryBudgetTest {
  private static final RetryBudgetConfig DEFAULT = new RetryBudgetConfig(20, 3);

  @Test
  void allowsThePercentOfActiveRequestsButAtLeastTheMinimum() {
    assertThat(RetryBudget.allowed(DEFAULT, 0)).isEqualTo(3);
    assertThat(RetryBudget.allowed(DEFAULT, 10)).isEqualTo(3);
    assertThat(RetryBudget.allowed(DEFAULT, 20)).isEqualTo(4);
    assertThat(RetryBudget.allowed(DEFAULT, 100)).isEqualTo(20);
    assertThat(RetryBudget.allowed(DEFAULT, 104)).isEqualTo(20);
    assertThat(RetryBudget.allowed(new RetryBudgetConfig(0, 0), 1000)).isZero();
    assertThat(RetryBudget.allowed(new RetryBudgetConfig(100, 0), 7)).isEqualTo(7);
    assertThat(RetryBudget.allowed(new RetryBudgetConfig(12.5, 0), 8)).isEqualTo(1);
  }

  @Test
  void slotsAreTakenUpToTheBudgetAndGivenBack() {
    RetryBudget budget = new RetryBudget();
    for (int i = 0; i < 50; i++) {
      budget.requestStarted();
    }
    int taken = 0;
    while (budget.tryAcquire(DEFAULT)) {
      taken++;
      assertThat(taken).isLessThanOrEqualTo(100);
    }
    assertThat(taken).isEqualTo(10);
    budget.release();
    assertThat(budget.tryAcquire(DEFAULT)).isTrue();
    assertThat(budget.tryAcquire(DEFAULT)).isFalse();
    for (int i = 0; i < 50; i++) {
      budget.requestFinished();
    }
    assertThat(budget.activeRequests()).isZero();
    assertThat(budget.activeRetries()).isEqualTo(10);
    assertThat(budget.tryAcquire(DEFAULT)).as("10 retries active, the minimum is 3").isFalse();
    for (int i = 0; i < 10; i++) {
      budget.release();
    }
    assertThat(budget.tryAcquire(DEFAULT)).isTrue();
  }

  @Test
  void concurrentTakersNeverExceedTheBudget() throws Exception {
    RetryBudget budget = new RetryBudget();
    for (int i = 0; i < 100; i++) {
      budget.requestStarted();
    }
    java.util.concurrent.atomic.AtomicInteger granted = new java.util.concurrent.atomic.AtomicInteger();
    Thread[] threads = new Thread[4];
    for (int t = 0; t < threads.length; t++) {
      threads[t] = Thread.ofPlatform().start(() -> {
        for (int i = 0; i < 1000; i++) {
          if (budget.tryAcquire(DEFAULT)) {
            granted.incrementAndGet();
          }
        }
      });
    }
    for (Thread t : threads) {
      t.join();
    }
    assertThat(granted.get()).isEqualTo(20);
  }
}
