package dev.weft.perf;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;

/**
 * What one load run measured. Only requests whose intended send time falls inside the measured
 * window (after warm-up) are counted.
 *
 * @param config      the configuration that produced this result
 * @param transport   the socket transport used ({@code epoll} or {@code nio})
 * @param measured    length of the measured window (shorter than the configured duration when
 *                    {@link LoadConfig#maxRequests()} ended the run early)
 * @param outcomes    number of requests per outcome; every outcome is present
 * @param achievedRps responses (2xx or not) per second over the measured window
 * @param latency     headline latency figures in microseconds
 * @param histogram   latency histogram in microseconds; a private copy, safe to read
 */
public record LoadResult(
    LoadConfig config,
    String transport,
    Duration measured,
    Map<Outcome, Long> outcomes,
    double achievedRps,
    LatencySummary latency,
    Histogram histogram) {

  /** Copies the outcome map so the record is a stable value. */
  public LoadResult {
    EnumMap<Outcome, Long> copy = new EnumMap<>(Outcome.class);
    for (Outcome o : Outcome.values()) {
      copy.put(o, outcomes.getOrDefault(o, 0L));
    }
    outcomes = Collections.unmodifiableMap(copy);
    histogram = histogram.copy();
  }

  /** Requests counted in the measured window, whatever their outcome. */
  public long requests() {
    long total = 0;
    for (long n : outcomes.values()) {
      total += n;
    }
    return total;
  }

  /** Requests answered with a 2xx status (and gRPC status OK). */
  public long successes() {
    return outcomes.get(Outcome.SUCCESS);
  }

  /** Requests answered with a non-2xx status or a non-OK gRPC status. */
  public long non2xx() {
    return outcomes.get(Outcome.NON_2XX);
  }

  /** Requests that got no complete response within the request timeout. */
  public long timeouts() {
    return outcomes.get(Outcome.TIMEOUT);
  }

  /** Requests that failed with a connection, I/O or protocol error. */
  public long errors() {
    long total = 0;
    for (Map.Entry<Outcome, Long> e : outcomes.entrySet()) {
      if (e.getKey().isError()) {
        total += e.getValue();
      }
    }
    return total;
  }

  /** Error counts by kind (connect, I/O, protocol). */
  public Map<Outcome, Long> errorsByKind() {
    EnumMap<Outcome, Long> errors = new EnumMap<>(Outcome.class);
    outcomes.forEach((k, v) -> {
      if (k.isError()) {
        errors.put(k, v);
      }
    });
    return errors;
  }

  /**
   * The histogram's percentile distribution in HdrHistogram's text format, with values in
   * milliseconds, ready for the HdrHistogram plotter.
   */
  public String percentileDistribution() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
      if (histogram.getTotalCount() > 0) {
        histogram.outputPercentileDistribution(out, 5, 1000.0);
      }
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }

  /** A short human-readable summary, a few lines long. */
  public String summary() {
    LoadConfig c = config;
    String mode = c.closedLoop()
        ? "closed loop"
        : String.format(Locale.ROOT, "open loop at %.1f rps", c.rate());
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "%s %s:%d%s, %s, %d connections%s, %s, %s over %.2f s%n",
        c.protocol().cliName(), c.host(), c.port(), c.path(), mode, c.connections(),
        c.protocol().isHttp2() ? " x " + c.streamsPerConnection() + " streams" : "",
        transport, "measured", measured.toNanos() / 1e9));
    sb.append(String.format(Locale.ROOT,
        "  requests %d: success %d, non-2xx %d, timeouts %d, errors %d%s%n",
        requests(), successes(), non2xx(), timeouts(), errors(),
        errors() == 0 ? "" : " " + errorsByKind()));
    sb.append(String.format(Locale.ROOT, "  achieved %.1f rps%n", achievedRps));
    sb.append(String.format(Locale.ROOT,
        "  latency (ms) p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f  mean %.3f%n",
        latency.p50() / 1000.0, latency.p90() / 1000.0, latency.p99() / 1000.0,
        latency.p999() / 1000.0, latency.max() / 1000.0, latency.mean() / 1000.0));
    return sb.toString();
  }

  /**
   * The result as a JSON object: configuration, counts, achieved rate, latency summary (µs), the
   * percentile curve as points and the HdrHistogram text distribution (ms).
   */
  public String toJson() {
    LoadConfig c = config;
    StringBuilder j = new StringBuilder(4096);
    j.append("{\n");
    j.append("  \"config\": {");
    j.append("\"target\": ").append(quote(c.host() + ":" + c.port()));
    j.append(", \"path\": ").append(quote(c.path()));
    j.append(", \"authority\": ").append(quote(c.authority()));
    j.append(", \"protocol\": ").append(quote(c.protocol().cliName()));
    j.append(", \"connections\": ").append(c.connections());
    j.append(", \"streamsPerConnection\": ").append(c.streamsPerConnection());
    j.append(", \"rate\": ").append(number(c.rate()));
    j.append(", \"durationSeconds\": ").append(number(c.duration().toNanos() / 1e9));
    j.append(", \"warmupSeconds\": ").append(number(c.warmup().toNanos() / 1e9));
    j.append(", \"payloadSize\": ").append(c.payloadSize());
    j.append(", \"maxRequests\": ").append(c.maxRequests());
    j.append(", \"requestTimeoutMillis\": ").append(c.requestTimeout().toMillis());
    j.append("},\n");
    j.append("  \"transport\": ").append(quote(transport)).append(",\n");
    j.append("  \"measuredSeconds\": ").append(number(measured.toNanos() / 1e9)).append(",\n");
    j.append("  \"requests\": ").append(requests()).append(",\n");
    j.append("  \"outcomes\": {");
    boolean first = true;
    for (Map.Entry<Outcome, Long> e : outcomes.entrySet()) {
      j.append(first ? "" : ", ").append(quote(e.getKey().name().toLowerCase(Locale.ROOT)))
          .append(": ").append(e.getValue());
      first = false;
    }
    j.append("},\n");
    j.append("  \"achievedRps\": ").append(number(achievedRps)).append(",\n");
    j.append("  \"latencyMicros\": {\"count\": ").append(latency.count())
        .append(", \"mean\": ").append(number(latency.mean()))
        .append(", \"p50\": ").append(latency.p50())
        .append(", \"p90\": ").append(latency.p90())
        .append(", \"p99\": ").append(latency.p99())
        .append(", \"p999\": ").append(latency.p999())
        .append(", \"max\": ").append(latency.max()).append("},\n");
    j.append("  \"percentiles\": [");
    first = true;
    if (histogram.getTotalCount() > 0) {
      for (HistogramIterationValue v : histogram.percentiles(5)) {
        j.append(first ? "\n    " : ",\n    ");
        j.append("{\"percentile\": ").append(number(v.getPercentileLevelIteratedTo()))
            .append(", \"latencyMicros\": ").append(v.getValueIteratedTo())
            .append(", \"totalCount\": ").append(v.getTotalCountToThisValue()).append('}');
        first = false;
      }
    }
    j.append(first ? "],\n" : "\n  ],\n");
    j.append("  \"percentileDistributionMillis\": ").append(quote(percentileDistribution())).append('\n');
    j.append("}\n");
    return j.toString();
  }

  private static String number(double value) {
    if (!Double.isFinite(value)) {
      return "null";
    }
    if (value == Math.rint(value) && Math.abs(value) < 1e15) {
      return Long.toString((long) value);
    }
    return String.format(Locale.ROOT, "%.6g", value).replaceAll("0+$", "").replaceAll("\\.$", "");
  }

  private static String quote(String s) {
    StringBuilder q = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      switch (ch) {
        case '"' -> q.append("\\\"");
        case '\\' -> q.append("\\\\");
        case '\n' -> q.append("\\n");
        case '\r' -> q.append("\\r");
        case '\t' -> q.append("\\t");
        default -> {
          if (ch < 0x20) {
            q.append(String.format(Locale.ROOT, "\\u%04x", (int) ch));
          } else {
            q.append(ch);
          }
        }
      }
    }
    return q.append('"').toString();
  }
}
