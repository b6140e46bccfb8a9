package dev.weft.perf.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.HdrHistogram.Histogram;

/**
 * Turns the runs of a suite into its output files:
 * <ul>
 *   <li>{@code raw/<repeat>-<scenario>.json}: everything measured in one run (see {@link ScenarioRun});
 *   <li>{@code summary.json}: scenario → figure → {@code {median, min, max, n}} over the repeats, and
 *       {@code _targets}: each of {@link Targets} with Weft's figure and whether it is met;
 *   <li>{@code summary.md}: the headline table and a per-process table;
 *   <li>{@code latency-<rate>.svg}: latency by percentile per scenario at each fixed rate;
 *   <li>optionally {@code perf/RESULTS.md}: the same with machine facts and ratios to direct and HAProxy.
 * </ul>
 */
final class ReportWriter {
  /** A headline column: figure key, heading. */
  private record Column(String figure, String heading) {}

  /** Headline columns: throughput, latency at each fixed rate, CPU at the highest rate, memory. */
  private List<Column> headline() {
    List<Column> c = new ArrayList<>();
    c.add(new Column("maxRps", "max rps"));
    for (String r : rates()) {
      c.add(new Column("p50Ms@" + r, "p50 ms @" + r));
      c.add(new Column("p99Ms@" + r, "p99 ms @" + r));
      c.add(new Column("p999Ms@" + r, "p99.9 ms @" + r));
    }
    String top = rates().isEmpty() ? "max" : rates().getLast();
    c.add(new Column("cpuSecPer1k@" + top, "CPU s / 1k req @" + top));
    c.add(new Column("pssIdleMiB", "PSS idle MiB"));
    c.add(new Column("pssLoadMiB", "PSS load MiB"));
    c.add(new Column("pssAnonLoadMiB", "Pss_Anon load MiB"));
    c.add(new Column("rssLoadMiB", "RSS load MiB"));
    return c;
  }

  /** Rows of RESULTS.md: figure key and label. */
  private record Row(String figure, String label) {}

  private List<Row> resultRows() {
    List<Row> rows = new ArrayList<>();
    rows.add(new Row("maxRps", "max rps (closed loop)"));
    rows.add(new Row("primeS", "priming until the closed-loop rate is steady, s"));
    for (String r : rates()) {
      for (String p : List.of("p50", "p90", "p99", "p999")) {
        rows.add(new Row(p + "Ms@" + r, (p.equals("p999") ? "p99.9" : p) + " ms @ " + r + " rps"));
      }
    }
    rows.add(new Row("cpuSecPer1k@max", "proxy CPU s / 1k req, closed loop"));
    for (String r : rates()) {
      rows.add(new Row("cpuSecPer1k@" + r, "proxy CPU s / 1k req @ " + r + " rps"));
    }
    rows.add(new Row("rssIdleMiB", "RSS idle MiB"));
    rows.add(new Row("pssIdleMiB", "PSS idle MiB"));
    rows.add(new Row("pssAnonIdleMiB", "Pss_Anon idle MiB"));
    rows.add(new Row("rssLoadMiB", "RSS under load MiB"));
    rows.add(new Row("pssLoadMiB", "PSS under load MiB"));
    rows.add(new Row("pssAnonLoadMiB", "Pss_Anon under load MiB"));
    for (String r : rates()) {
      rows.add(new Row("rssMiB@" + r, "RSS MiB @ " + r + " rps"));
      rows.add(new Row("pssAnonMiB@" + r, "Pss_Anon MiB @ " + r + " rps"));
    }
    return rows;
  }

  /** Ids of the plan's fixed-rate phases. */
  private List<String> rates() {
    return plan.phases().stream().filter(p -> !p.closedLoop()).map(BenchPlan.Phase::id).toList();
  }

  private final Path outDir;
  private final BenchPlan plan;
  private final List<ScenarioRun> runs;
  private final Map<String, String> facts;
  private final Map<String, String> settings;

  ReportWriter(Path outDir, BenchPlan plan, List<ScenarioRun> runs, Map<String, String> facts,
      Map<String, String> settings) {
    this.outDir = outDir;
    this.plan = plan;
    this.runs = List.copyOf(runs);
    this.facts = facts;
    this.settings = settings;
  }

  /** Writes the raw JSON of one run as soon as it is done. */
  static Path writeRaw(Path outDir, ScenarioRun run) throws IOException {
    Path raw = Files.createDirectories(outDir.resolve("raw"));
    Path file = raw.resolve(run.repeat() + "-" + run.scenario().id() + ".json");
    Files.writeString(file, Json.write(run.toJsonValue()));
    return file;
  }

  /** Scenario → figure → spread, over the repeats that ran. Scenarios that never ran are absent. */
  Map<Scenario, Map<String, Spread>> summary() {
    Map<Scenario, Map<String, Spread>> out = new LinkedHashMap<>();
    for (Scenario s : plan.scenarios()) {
      List<Map<String, Double>> figures = new ArrayList<>();
      for (ScenarioRun r : runs) {
        if (r.scenario() == s && r.status() == ScenarioRun.Status.OK) {
          figures.add(r.figures());
        }
      }
      if (!figures.isEmpty()) {
        out.put(s, Spread.over(figures));
      }
    }
    return out;
  }

  /** Writes summary.json, summary.md and the plots; returns the Markdown. */
  String writeSummary() throws IOException {
    Map<Scenario, Map<String, Spread>> summary = summary();
    Map<String, Object> json = new LinkedHashMap<>();
    Map<String, Object> meta = new LinkedHashMap<>();
    meta.put("plan", plan.name());
    meta.put("repeats", plan.repeats());
    meta.put("machine", facts);
    meta.put("settings", settings);
    meta.put("notRun", notRun());
    json.put("_run", meta);
    json.put("_targets", Targets.judge(summary).stream().map(Targets.Result::toJsonValue).toList());
    summary.forEach((s, figures) -> {
      Map<String, Object> f = new LinkedHashMap<>();
      figures.forEach((k, v) -> f.put(k, v.toJsonValue()));
      json.put(s.id(), f);
    });
    Files.writeString(outDir.resolve("summary.json"), Json.write(json));
    String md = markdown(summary);
    Files.writeString(outDir.resolve("summary.md"), md);
    for (String rate : rates()) {
      Files.writeString(outDir.resolve("latency-" + rate + ".svg"), LatencyPlot.render(
          "Latency by percentile at " + rate + " rps (open loop, from intended send time)", mergedHistograms(rate)));
    }
    return md;
  }

  private Map<String, String> notRun() {
    Map<String, String> out = new LinkedHashMap<>();
    for (ScenarioRun r : runs) {
      if (r.status() != ScenarioRun.Status.OK) {
        out.put(r.scenario().id() + " #" + r.repeat(), r.status().name().toLowerCase(Locale.ROOT) + ": " + r.reason());
      }
    }
    return out;
  }

  /** Per scenario, the histograms of one phase merged over the repeats. */
  private Map<String, Histogram> mergedHistograms(String phaseId) {
    Map<String, Histogram> out = new LinkedHashMap<>();
    for (ScenarioRun r : runs) {
      if (r.status() != ScenarioRun.Status.OK) {
        continue;
      }
      for (ScenarioRun.PhaseResult p : r.phases()) {
        if (p.phase().id().equals(phaseId)) {
          out.computeIfAbsent(r.scenario().id(), k -> new Histogram(3)).add(p.load().histogram());
        }
      }
    }
    return out;
  }

  private String markdown(Map<Scenario, Map<String, Spread>> summary) {
    StringBuilder md = new StringBuilder();
    md.append("# Weft benchmark (").append(plan.name()).append(", ").append(plan.repeats())
        .append(plan.repeats() == 1 ? " repeat" : " repeats, median [min–max]").append(")\n\n");
    md.append("Fixed rates are open loop, latency from each request's intended send time. ")
        .append("CPU, RSS and PSS are of the proxy processes (both of a pair, workers included).\n\n");
    md.append("| scenario |");
    headline().forEach(c -> md.append(' ').append(c.heading()).append(" |"));
    md.append(" ready ms |\n|---|");
    headline().forEach(c -> md.append("---:|"));
    md.append("---:|\n");
    summary.forEach((s, f) -> {
      md.append("| ").append(s.id()).append(" |");
      headline().forEach(c -> md.append(' ').append(cell(f.get(c.figure()))).append(" |"));
      md.append(' ').append(readyCell(f)).append(" |\n");
    });
    md.append('\n').append(perProcessTable(summary));
    md.append(overloadNotes(summary));
    if (summary.containsKey(Scenario.WEFT)) {
      md.append("\nTargets (medians; see perf/README.md):\n\n").append(Targets.markdown(Targets.judge(summary)));
    }
    Map<String, String> notRun = notRun();
    if (!notRun.isEmpty()) {
      md.append("\nNot measured:\n\n");
      notRun.forEach((k, v) -> md.append("- ").append(k).append(": ").append(v.replace("\n", " ")).append('\n'));
    }
    md.append("\nSettings: ");
    List<String> parts = new ArrayList<>();
    settings.forEach((k, v) -> parts.add(k + " " + v));
    md.append(String.join("; ", parts)).append(".\n");
    return md.toString();
  }

  private String perProcessTable(Map<Scenario, Map<String, Spread>> summary) {
    StringBuilder md = new StringBuilder();
    String low = rates().isEmpty() ? null : rates().getFirst();
    md.append("| scenario | process | CPU s / 1k req (max / 1k / 5k) | RSS idle → load MiB | PSS idle → load MiB"
        + " | Pss_Anon idle → load MiB | RSS / Pss_Anon MiB @" + (low == null ? "–" : low)
        + " | ready ms |\n|---|---|---:|---:|---:|---:|---:|---:|\n");
    summary.forEach((s, f) -> {
      for (String process : processes(f)) {
        String p = "[" + process + "]";
        md.append("| ").append(s.id()).append(" | ").append(process).append(" | ")
            .append(cell(f.get("cpuSecPer1k@max" + p))).append(" / ").append(cell(f.get("cpuSecPer1k@1000" + p)))
            .append(" / ").append(cell(f.get("cpuSecPer1k@5000" + p))).append(" | ")
            .append(cell(f.get("rssIdleMiB" + p))).append(" → ").append(cell(f.get("rssLoadMiB" + p))).append(" | ")
            .append(cell(f.get("pssIdleMiB" + p))).append(" → ").append(cell(f.get("pssLoadMiB" + p))).append(" | ")
            .append(cell(f.get("pssAnonIdleMiB" + p))).append(" → ").append(cell(f.get("pssAnonLoadMiB" + p)))
            .append(" | ").append(cell(f.get("rssMiB@" + low + p))).append(" / ")
            .append(cell(f.get("pssAnonMiB@" + low + p)))
            .append(" | ").append(cell(f.get("readyMs" + p))).append(" |\n");
      }
    });
    return md.toString();
  }

  /** Flags fixed-rate phases that did not reach their rate: their latency includes queueing. */
  private String overloadNotes(Map<Scenario, Map<String, Spread>> summary) {
    StringBuilder md = new StringBuilder();
    summary.forEach((s, f) -> {
      for (String r : rates()) {
        double rate = Double.parseDouble(r);
        Spread achieved = f.get("achievedRps@" + r);
        Spread failed = f.get("failedRequests@" + r);
        if (achieved != null && achieved.min() < rate * 0.97) {
          md.append(String.format(Locale.ROOT,
              "- %s reached only %s rps of %,.0f (min over repeats): above its capacity, so its latency there "
                  + "is mostly queueing.%n", s.id(), fmt(achieved.min()), rate));
        }
        if (failed != null && failed.max() > 0) {
          md.append(String.format(Locale.ROOT, "- %s: up to %s failed requests at %,.0f rps.%n",
              s.id(), fmt(failed.max()), rate));
        }
      }
      Spread failedMax = f.get("failedRequests@max");
      if (failedMax != null && failedMax.max() > 0) {
        md.append(String.format(Locale.ROOT, "- %s: up to %s failed requests in the closed loop.%n",
            s.id(), fmt(failedMax.max())));
      }
    });
    return md.isEmpty() ? "" : "\n" + md;
  }

  private static Set<String> processes(Map<String, Spread> figures) {
    Set<String> names = new LinkedHashSet<>();
    for (String k : figures.keySet()) {
      if (k.startsWith("pssIdleMiB[")) {
        names.add(k.substring("pssIdleMiB[".length(), k.length() - 1));
      }
    }
    return names;
  }

  private static String readyCell(Map<String, Spread> f) {
    List<String> cells = new ArrayList<>();
    f.forEach((k, v) -> {
      if (k.startsWith("readyMs[")) {
        cells.add(cell(v));
      }
    });
    return cells.isEmpty() ? "–" : String.join(" / ", cells);
  }

  static String cell(Spread s) {
    if (s == null || s.n() == 0) {
      return "–";
    }
    if (s.n() == 1 || s.min() == s.max()) {
      return fmt(s.median());
    }
    return fmt(s.median()) + " [" + fmt(s.min()) + "–" + fmt(s.max()) + "]";
  }

  /** Three significant digits for small values, grouped integers for large ones. */
  static String fmt(double v) {
    if (Double.isNaN(v)) {
      return "–";
    }
    double a = Math.abs(v);
    if (a >= 1000) {
      return String.format(Locale.ROOT, "%,.0f", v);
    }
    if (a >= 100) {
      return String.format(Locale.ROOT, "%.0f", v);
    }
    if (a >= 10) {
      return String.format(Locale.ROOT, "%.1f", v);
    }
    if (a >= 1) {
      return String.format(Locale.ROOT, "%.2f", v);
    }
    if (a == 0) {
      return "0";
    }
    return String.format(Locale.ROOT, "%.3g", v);
  }

  /** Writes {@code perf/RESULTS.md}: machine facts, settings and every figure with its ratios. */
  void writeResultsFile(Path resultsMd, String runId) throws IOException {
    Map<Scenario, Map<String, Spread>> summary = summary();
    StringBuilder md = new StringBuilder();
    md.append("# Weft benchmark results\n\n");
    md.append("Written by `./weft bench` (full run ").append(runId).append("); raw data, plots and the per-run")
        .append(" tables are in `perf/results/").append(runId).append("/` on the machine that ran it.")
        .append(" See `perf/README.md` for what each figure means and how it is measured.\n\n");
    md.append("## Machine\n\n| | |\n|---|---|\n");
    facts.forEach((k, v) -> md.append("| ").append(k).append(" | ").append(v.replace("|", "\\|")).append(" |\n"));
    md.append("\n## Settings\n\n| | |\n|---|---|\n");
    settings.forEach((k, v) -> md.append("| ").append(k).append(" | ").append(v.replace("|", "\\|")).append(" |\n"));
    md.append("\n## Figures\n\nMedian of ").append(plan.repeats())
        .append(" repeats [min–max]; in parentheses the median's ratio to direct and to the HAProxy pair.")
        .append(" CPU and memory are of both proxies of a pair together (nginx and HAProxy workers included).\n\n");
    md.append("| figure |");
    summary.keySet().forEach(s -> md.append(' ').append(s.id()).append(" |"));
    md.append("\n|---|");
    summary.keySet().forEach(s -> md.append("---:|"));
    md.append('\n');
    Map<String, Spread> direct = summary.getOrDefault(Scenario.DIRECT, Map.of());
    Map<String, Spread> haproxy = summary.getOrDefault(Scenario.HAPROXY, Map.of());
    for (Row row : resultRows()) {
      md.append("| ").append(row.label()).append(" |");
      summary.forEach((s, f) -> {
        Spread v = f.get(row.figure());
        md.append(' ').append(cell(v));
        List<String> ratios = new ArrayList<>();
        ratio(v, direct.get(row.figure()), s == Scenario.DIRECT, "direct").ifPresent(ratios::add);
        ratio(v, haproxy.get(row.figure()), s == Scenario.HAPROXY, "HAProxy").ifPresent(ratios::add);
        if (!ratios.isEmpty()) {
          md.append(" (").append(String.join(", ", ratios)).append(')');
        }
        md.append(" |");
      });
      md.append('\n');
    }
    md.append("\nWeft start-up, spawn to `/ready` 200 (ms): ");
    Map<String, Spread> weft = summary.get(Scenario.WEFT);
    List<String> ready = new ArrayList<>();
    if (weft != null) {
      weft.forEach((k, v) -> {
        if (k.startsWith("readyMs[")) {
          ready.add(k.substring(8, k.length() - 1) + " " + cell(v));
        }
      });
    }
    md.append(ready.isEmpty() ? "not measured" : String.join(", ", ready)).append(".\n\n");
    md.append("## Targets\n\nJudged from the medians above; `perf/README.md` (\"Targets\") says why each is set")
        .append(" where it is, and what stands between Weft and the ones it misses.\n\n")
        .append(Targets.markdown(Targets.judge(summary))).append('\n');
    md.append("## Per process\n\n").append(perProcessTable(summary));
    md.append(overloadNotes(summary));
    Map<String, String> notRun = notRun();
    if (!notRun.isEmpty()) {
      md.append("\n## Not measured\n\n");
      notRun.forEach((k, v) -> md.append("- ").append(k).append(": ").append(v.replace("\n", " ")).append('\n'));
    }
    Files.writeString(resultsMd, md.toString());
  }

  private static java.util.Optional<String> ratio(Spread v, Spread base, boolean self, String name) {
    if (self || v == null || base == null || v.n() == 0 || base.n() == 0 || base.median() == 0
        || Double.isNaN(base.median())) {
      return java.util.Optional.empty();
    }
    return java.util.Optional.of(String.format(Locale.ROOT, "%.2f× %s", v.median() / base.median(), name));
  }
}
