package dev.weft.proxy.retry;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BackOffTest {

  @Test
  void upperBoundGrowsAs2PowNMinus1TimesBaseUpToTheMax() {
    // The largest delay comes from random = upper - 1.
    assertThat(BackOff.delayMillis(1, 25, 250, 24)).isEqualTo(24);
    assertThat(BackOff.delayMillis(1, 25, 250, 25)).isZero();
    assertThat(BackOff.delayMillis(2, 25, 250, 74)).isEqualTo(74);
    assertThat(BackOff.delayMillis(2, 25, 250, 75)).isZero();
    assertThat(BackOff.delayMillis(3, 25, 250, 174)).isEqualTo(174);
    assertThat(BackOff.delayMillis(4, 25, 250, 249)).isEqualTo(249);
    assertThat(BackOff.delayMillis(4, 25, 250, 250)).isZero();
    assertThat(BackOff.delayMillis(40, 25, 250, Long.MAX_VALUE)).isLessThan(250);
    assertThat(BackOff.delayMillis(100, 25, 250, -1)).isBetween(0L, 249L);
  }

  @Test
  void delaysAreFullyJitteredOverTheWholeRange() {
    SplittableRandom random = new SplittableRandom(42);
    long min = Long.MAX_VALUE;
    long max = 0;
    long sum = 0;
    int n = 20_000;
    for (int i = 0; i < n; i++) {
      long d = BackOff.delayMillis(2, 25, 250, random.nextLong());
      min = Math.min(min, d);
      max = Math.max(max, d);
      sum += d;
    }
    assertThat(min).isZero();
    assertThat(max).isEqualTo(74);
    assertThat(sum / (double) n).isBetween(35.0, 39.0); // uniform on [0, 74]: mean 37
  }

  @Test
  void aBaseBelowOneMillisecondCountsAsOne() {
    assertThat(BackOff.delayMillis(1, 0, 0, 5)).isZero();
    assertThat(BackOff.delayMillis(3, 1, 10, 6)).isEqualTo(6);
  }
}
