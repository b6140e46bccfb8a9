package dev.weft.perf.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SpreadTest {
  @Test
  void medianOfOddAndEvenCountsIgnoringNaN() {
    assertThat(Spread.of(List.of(3.0, 1.0, 2.0))).isEqualTo(new Spread(2.0, 1.0, 3.0, 3));
    assertThat(Spread.of(List.of(4.0, 1.0, 2.0, 3.0, Double.NaN))).isEqualTo(new Spread(2.5, 1.0, 4.0, 4));
    assertThat(Spread.of(List.of(Double.NaN)).n()).isZero();
  }

  @Test
  void spreadsEachFigureOverRuns() {
    Map<String, Spread> s = Spread.over(List.of(Map.of("maxRps", 10.0), Map.of("maxRps", 30.0), Map.of("maxRps", 20.0)));
    assertThat(s.get("maxRps")).isEqualTo(new Spread(20.0, 10.0, 30.0, 3));
  }
}
