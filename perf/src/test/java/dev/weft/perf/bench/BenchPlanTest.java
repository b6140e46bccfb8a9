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
    assertThat(quick.primeMax()).isEqualTo(Duration.ofSeconds(8)); // fixed: the quick run stays short
  }

  @Test
  void aRateIsSteadyWhenTheLastThreeSlicesAreWithinFivePercent() {
    assertThat(BenchPlan.steady(List.of(10_000.0, 10_400.0))).isFalse(); // too few slices
    assertThat(BenchPlan.steady(List.of(4_000.0, 10_000.0, 10_300.0, 9_900.0))).isTrue();
    assertThat(BenchPlan.steady(List.of(4_000.0, 4_100.0, 9_000.0))).isFalse(); // a plateau, then climbing
    assertThat(BenchPlan.steady(List.of(10_000.0, 10_600.0, 10_700.0))).isFalse();
    assertThat(BenchPlan.steady(List.of(0.0, 0.0, 0.0))).isFalse();
  }
}
