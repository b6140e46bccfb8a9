package dev.weft.perf;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class LoadResultTest {
  @Test
  void summarisesCountsAndLatencyAndWritesJson() {
    Histogram h = new Histogram(3);
    for (int i = 1; i <= 1000; i++) {
      h.recordValue(i * 10L);
    }
    LoadConfig config = LoadConfig.builder("127.0.0.1", 8080).rate(100).build();
    LoadResult r = new LoadResult(config, "nio", Duration.ofSeconds(10),
        Map.of(Outcome.SUCCESS, 1000L, Outcome.TIMEOUT, 2L, Outcome.CONNECT_ERROR, 3L),
        100.0, LatencySummary.of(h), h);

    assertThat(r.requests()).isEqualTo(1005);
    assertThat(r.errors()).isEqualTo(3);
    assertThat(r.errorsByKind()).containsEntry(Outcome.CONNECT_ERROR, 3L).doesNotContainKey(Outcome.TIMEOUT);
    assertThat(r.latency().p50()).isBetween(4990L, 5010L);
    assertThat(r.latency().max()).isBetween(9990L, 10010L);
    assertThat(r.summary()).contains("open loop at 100.0 rps").contains("timeouts 2");
    assertThat(r.percentileDistribution()).contains("Value     Percentile TotalCount");
    assertThat(r.toJson())
        .contains("\"requests\": 1005")
        .contains("\"connect_error\": 3")
        .contains("\"achievedRps\": 100")
        .contains("\"percentiles\": [")
        .contains("\"percentileDistributionMillis\": \"");
  }
}
