package dev.weft.perf.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Weft's performance targets, judged from a run's medians (see {@code perf/README.md}, "Targets").
 *
 * <p>Each target compares the Weft pair with the direct baseline, with the HAProxy pair measured in
 * the same run, or with a fixed limit per sidecar. A target whose figures are missing (a scenario
 * or phase that did not run) is {@link Verdict#NOT_MEASURED}, never met. Per-sidecar targets hold
 * only when every sidecar meets them; the worst one is reported.
 */
final class Targets {
  /** Max throughput of the Weft pair, as a multiple of the HAProxy pair's. */
  static final double THROUGHPUT_VS_HAPROXY = 1.1;
  /** p50 added over direct at 1,000 rps, ms. */
  static final double P50_ADDED_MS = 0.25;
  /** Private memory per sidecar at 1,000 rps, MiB. */
  static final double PSS_ANON_MIB = 64;
  /** Resident memory per sidecar at 1,000 rps, MiB. */
  static final double RSS_MIB = 100;
  /** CPU per sidecar at 1,000 rps, seconds per 1,000 requests. */
  static final double CPU_S_PER_1K = 0.1;
  /** Start-up, process spawn to {@code /ready} 200, ms. */
  static final double READY_MS = 500;
  /** The fixed rate the latency, memory and CPU targets are judged at. */
  static final String RATE = "1000";

  enum Verdict { MET, MISSED, NOT_MEASURED }

  /**
   * One target's outcome.
   *
   * @param target    what is asked, in words
   * @param weft      Weft's figure (worst sidecar for per-sidecar targets)
   * @param reference the figure it is judged against, or the same figure of the HAProxy pair
   * @param verdict   met, missed or not measured
   */
  record Result(String target, String weft, String reference, Verdict verdict) {
    Map<String, Object> toJsonValue() {
      Map<String, Object> j = new LinkedHashMap<>();
      j.put("target", target);
      j.put("weft", weft);
      j.put("reference", reference);
      j.put("verdict", verdict.name().toLowerCase(Locale.ROOT));
      return j;
    }
  }

  private Targets() {}

  /** Judges every target from the run's scenario → figure → spread. */
  static List<Result> judge(Map<Scenario, Map<String, Spread>> summary) {
    Map<String, Spread> weft = summary.getOrDefault(Scenario.WEFT, Map.of());
    Map<String, Spread> haproxy = summary.getOrDefault(Scenario.HAPROXY, Map.of());
    Map<String, Spread> direct = summary.getOrDefault(Scenario.DIRECT, Map.of());
    List<Result> out = new ArrayList<>();

    double w = median(weft.get("maxRps"));
    double h = median(haproxy.get("maxRps"));
    out.add(new Result(String.format(Locale.ROOT, "max throughput ≥ %.1f× the HAProxy pair's", THROUGHPUT_VS_HAPROXY),
        rps(w) + ratio(w, h), "HAProxy " + rps(h), verdict(w, h, w >= THROUGHPUT_VS_HAPROXY * h)));

    w = median(weft.get("p99Ms@" + RATE));
    h = median(haproxy.get("p99Ms@" + RATE));
    out.add(new Result("p99 @ " + RATE + " rps ≤ the HAProxy pair's", ms(w), "HAProxy " + ms(h),
        verdict(w, h, w <= h)));

    w = median(weft.get("p50Ms@" + RATE));
    double d = median(direct.get("p50Ms@" + RATE));
    double added = w - d;
    out.add(new Result(String.format(Locale.ROOT, "p50 added over direct @ %s rps ≤ %.2f ms", RATE, P50_ADDED_MS),
        ms(added) + " (" + ms(w) + " − " + ms(d) + ")", "HAProxy " + ms(median(haproxy.get("p50Ms@" + RATE)) - d),
        verdict(w, d, added <= P50_ADDED_MS)));

    out.add(perSidecar(String.format(Locale.ROOT, "Pss_Anon per sidecar @ %s rps ≤ %.0f MiB", RATE, PSS_ANON_MIB),
        weft, haproxy, "pssAnonMiB@" + RATE, PSS_ANON_MIB, " MiB"));
    out.add(perSidecar(String.format(Locale.ROOT, "RSS per sidecar @ %s rps ≤ %.0f MiB", RATE, RSS_MIB),
        weft, haproxy, "rssMiB@" + RATE, RSS_MIB, " MiB"));
    out.add(perSidecar(String.format(Locale.ROOT, "CPU per sidecar @ %s rps ≤ %.1f s / 1k requests", RATE,
        CPU_S_PER_1K), weft, haproxy, "cpuSecPer1k@" + RATE, CPU_S_PER_1K, " s"));
    out.add(perSidecar(String.format(Locale.ROOT, "ready ≤ %.0f ms after process start", READY_MS),
        weft, Map.of(), "readyMs", READY_MS, " ms"));
    return out;
  }

  /** A limit every Weft sidecar must meet; the worst sidecar decides, HAProxy's processes for reference. */
  private static Result perSidecar(String target, Map<String, Spread> weft, Map<String, Spread> haproxy,
      String figure, double limit, String unit) {
    Map<String, Double> sidecars = perProcess(weft, figure);
    String reference = listed(perProcess(haproxy, figure), unit);
    if (sidecars.isEmpty()) {
      return new Result(target, "–", reference, Verdict.NOT_MEASURED);
    }
    double worst = sidecars.values().stream().mapToDouble(Double::doubleValue).max().orElseThrow();
    return new Result(target, listed(sidecars, unit), reference, worst <= limit ? Verdict.MET : Verdict.MISSED);
  }

  /** "name value unit, ..." in the map's order, or "–" for none. */
  private static String listed(Map<String, Double> values, String unit) {
    List<String> parts = new ArrayList<>();
    values.forEach((name, v) -> parts.add(name + " " + ReportWriter.fmt(v) + unit));
    return parts.isEmpty() ? "–" : String.join(", ", parts);
  }

  /** Process name → median of {@code figure[process]}, for the processes that have it. */
  private static Map<String, Double> perProcess(Map<String, Spread> figures, String figure) {
    Map<String, Double> out = new LinkedHashMap<>();
    String prefix = figure + "[";
    figures.forEach((k, v) -> {
      if (k.startsWith(prefix) && k.endsWith("]") && v.n() > 0 && !Double.isNaN(v.median())) {
        out.put(k.substring(prefix.length(), k.length() - 1), v.median());
      }
    });
    return out;
  }

  private static Verdict verdict(double a, double b, boolean met) {
    if (Double.isNaN(a) || Double.isNaN(b)) {
      return Verdict.NOT_MEASURED;
    }
    return met ? Verdict.MET : Verdict.MISSED;
  }

  private static double median(Spread s) {
    return s == null || s.n() == 0 ? Double.NaN : s.median();
  }

  private static String rps(double v) {
    return Double.isNaN(v) ? "–" : ReportWriter.fmt(v) + " rps";
  }

  private static String ms(double v) {
    return Double.isNaN(v) ? "–" : ReportWriter.fmt(v) + " ms";
  }

  private static String ratio(double a, double b) {
    return Double.isNaN(a) || Double.isNaN(b) || b == 0 ? "" : String.format(Locale.ROOT, " (%.2f×)", a / b);
  }

  /** The Markdown table of {@link #judge}. */
  static String markdown(List<Result> results) {
    StringBuilder md = new StringBuilder("| target | Weft | judged against / HAProxy | |\n|---|---|---|---|\n");
    for (Result r : results) {
      md.append("| ").append(r.target()).append(" | ").append(r.weft()).append(" | ").append(r.reference())
          .append(" | ").append(switch (r.verdict()) {
            case MET -> "met";
            case MISSED -> "**missed**";
            case NOT_MEASURED -> "not measured";
          }).append(" |\n");
    }
    return md.toString();
  }
}
