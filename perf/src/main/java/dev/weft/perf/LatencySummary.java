package dev.weft.perf;

import org.HdrHistogram.Histogram;

/**
 * Headline latency figures of a run, in microseconds, measured from each request's intended send
 * time to the end of its response.
 *
 * @param count number of recorded latencies (responses in the measured window)
 * @param mean  mean latency
 * @param p50   median
 * @param p90   90th percentile
 * @param p99   99th percentile
 * @param p999  99.9th percentile
 * @param max   largest recorded latency
 */
public record LatencySummary(long count, double mean, long p50, long p90, long p99, long p999, long max) {

  /** Summarises a histogram of microsecond latencies. An empty histogram gives all zeros. */
  public static LatencySummary of(Histogram micros) {
    if (micros.getTotalCount() == 0) {
      return new LatencySummary(0, 0, 0, 0, 0, 0, 0);
    }
    return new LatencySummary(
        micros.getTotalCount(),
        micros.getMean(),
        micros.getValueAtPercentile(50),
        micros.getValueAtPercentile(90),
        micros.getValueAtPercentile(99),
        micros.getValueAtPercentile(99.9),
        micros.getMaxValue());
  }
}
