package dev.weft.perf;

import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * Counters and latency histogram of one connection. Written only on the connection's event loop;
 * read by {@link LoadGenerator} after the event loops have terminated.
 *
 * <p>Only requests whose intended send time falls in the measured window are recorded.
 */
final class RunStats {
  private final long windowStartNanos;
  private final long windowEndNanos;
  private final Histogram latencyMicros = new Histogram(3);
  private final long[] counts = new long[Outcome.values().length];

  RunStats(long windowStartNanos, long windowEndNanos) {
    this.windowStartNanos = windowStartNanos;
    this.windowEndNanos = windowEndNanos;
  }

  /** Records a request's outcome; latency is recorded for responses only. */
  void record(long intendedNanos, long completedNanos, Outcome outcome) {
    if (intendedNanos < windowStartNanos || intendedNanos >= windowEndNanos) {
      return;
    }
    counts[outcome.ordinal()]++;
    if (outcome.hasResponse()) {
      long micros = TimeUnit.NANOSECONDS.toMicros(Math.max(0, completedNanos - intendedNanos));
      latencyMicros.recordValue(Math.max(1, micros));
    }
  }

  void mergeInto(Histogram target, long[] targetCounts) {
    target.add(latencyMicros);
    for (int i = 0; i < counts.length; i++) {
      targetCounts[i] += counts[i];
    }
  }
}
