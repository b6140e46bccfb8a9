package dev.weft.perf.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class BenchPlanTest {

  @Test
  void primingRunsInWarmUpSlicesBetweenItsMinimumAndMaximum() {
    BenchPlan full = BenchPlan.full(List.of(Scenario.WEFT));
    assertThat(full.prime()).isEqualTo(Duration.ofSeconds(20));
    assertThat(full.primeSlice()).isEqualTo(Duration.ofSeconds(5));
    assertThat(full.primeMax()).isEqualTo(Duration.ofSeconds(45));
    BenchPlan quick = BenchPlan.quick(List.of(Scenario.WEFT));
    assertThat(quick.prime()).isEqualTo(Duration.ofSeconds(8));
    assertThat(quick.primeSlice()).isEqualTo(Duration.ofSeconds(2));
    assertThat(quick.primeMax()).isEqualTo(Duration.ofSeconds(24));
  }

  @Test
  void aRateIsSteadyWhenTheLastSliceIsWithinFivePercentOfThePrevious() {
    assertThat(BenchPlan.steady(10_000, 10_400)).isTrue();
    assertThat(BenchPlan.steady(10_000, 9_600)).isTrue();
    assertThat(BenchPlan.steady(10_000, 10_600)).isFalse(); // still warming up
    assertThat(BenchPlan.steady(10_000, 9_000)).isFalse();
    assertThat(BenchPlan.steady(0, 0)).isFalse(); // no previous slice yet
  }
}
