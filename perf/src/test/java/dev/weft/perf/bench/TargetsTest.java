package dev.weft.perf.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TargetsTest {
  @TempDir
  Path out;

  /** Figures of a scenario: each value becomes a spread of three repeats centred on it. */
  private static Map<String, Spread> figures(Object... keyValues) {
    Map<String, Spread> f = new LinkedHashMap<>();
    for (int i = 0; i < keyValues.length; i += 2) {
      double v = ((Number) keyValues[i + 1]).doubleValue();
      f.put((String) keyValues[i], Spread.of(List.of(v * 0.9, v, v * 1.2)));
    }
    return f;
  }

  private static Map<String, Spread> weft(double rps, double p50, double p99, double pssAnonOut, double rssOut,
      double cpuOut, double readyOut) {
    return figures("maxRps", rps, "p50Ms@1000", p50, "p99Ms@1000", p99,
        "pssAnonMiB@1000[weft-in]", 60, "pssAnonMiB@1000[weft-out]", pssAnonOut,
        "rssMiB@1000[weft-in]", 95, "rssMiB@1000[weft-out]", rssOut,
        "cpuSecPer1k@1000[weft-in]", 0.09, "cpuSecPer1k@1000[weft-out]", cpuOut,
        "readyMs[weft-in]", 400, "readyMs[weft-out]", readyOut);
  }

  private static Map<Scenario, Map<String, Spread>> run(Map<String, Spread> weft) {
    Map<Scenario, Map<String, Spread>> s = new EnumMap<>(Scenario.class);
    s.put(Scenario.DIRECT, figures("maxRps", 50_000, "p50Ms@1000", 0.2, "p99Ms@1000", 0.3));
    s.put(Scenario.WEFT, weft);
    s.put(Scenario.HAPROXY, figures("maxRps", 10_000, "p50Ms@1000", 0.4, "p99Ms@1000", 1.5,
        "cpuSecPer1k@1000[haproxy-in]", 0.12, "cpuSecPer1k@1000[haproxy-out]", 0.11));
    return s;
  }

  private static Map<String, Targets.Verdict> verdicts(Map<Scenario, Map<String, Spread>> summary) {
    return Targets.judge(summary).stream().collect(Collectors.toMap(r -> r.target().split(" ")[0] + " "
        + r.target().split(" ")[1], Targets.Result::verdict, (a, b) -> a, LinkedHashMap::new));
  }

  @Test
  void everyTargetIsJudgedFromTheMediansAndPassesRightAtItsLimit() {
    List<Targets.Result> results = Targets.judge(run(weft(11_000, 0.45, 1.5, 64, 100, 0.1, 500)));
    assertThat(results).hasSize(7).extracting(Targets.Result::verdict).containsOnly(Targets.Verdict.MET);
    assertThat(results.getFirst().weft()).isEqualTo("11,000 rps (1.10×)");
    assertThat(results.get(2).weft()).isEqualTo("0.250 ms (0.450 ms − 0.200 ms)");
    assertThat(results.get(5).reference()).isEqualTo("haproxy-in 0.120 s, haproxy-out 0.110 s");
  }

  @Test
  void eachTargetIsMissedOnItsOwnAndTheWorstSidecarDecides() {
    Function<Map<String, Spread>, Map<String, Targets.Verdict>> v = w -> verdicts(run(w));
    assertThat(v.apply(weft(10_999, 0.45, 1.5, 64, 100, 0.1, 500)).values())
        .containsExactly(Targets.Verdict.MISSED, Targets.Verdict.MET, Targets.Verdict.MET, Targets.Verdict.MET,
            Targets.Verdict.MET, Targets.Verdict.MET, Targets.Verdict.MET);
    assertThat(v.apply(weft(11_000, 0.45, 1.51, 64, 100, 0.1, 500)).get("p99 @")).isEqualTo(Targets.Verdict.MISSED);
    assertThat(v.apply(weft(11_000, 0.46, 1.5, 64, 100, 0.1, 500)).get("p50 added"))
        .isEqualTo(Targets.Verdict.MISSED);
    assertThat(v.apply(weft(11_000, 0.45, 1.5, 64.1, 100, 0.1, 500)).get("Pss_Anon per"))
        .isEqualTo(Targets.Verdict.MISSED);
    assertThat(v.apply(weft(11_000, 0.45, 1.5, 64, 101, 0.1, 500)).get("RSS per")).isEqualTo(Targets.Verdict.MISSED);
    assertThat(v.apply(weft(11_000, 0.45, 1.5, 64, 100, 0.13, 500)).get("CPU per"))
        .isEqualTo(Targets.Verdict.MISSED);
    List<Targets.Result> slowStart = Targets.judge(run(weft(11_000, 0.45, 1.5, 64, 100, 0.1, 2_000)));
    assertThat(slowStart.getLast().verdict()).isEqualTo(Targets.Verdict.MISSED);
    assertThat(slowStart.getLast().weft()).isEqualTo("weft-in 400 ms, weft-out 2,000 ms");
  }

  @Test
  void aTargetWhoseFiguresDidNotRunIsNotMeasuredNeverMet() {
    Map<Scenario, Map<String, Spread>> noPeers = new EnumMap<>(Scenario.class);
    noPeers.put(Scenario.WEFT, figures("maxRps", 11_000, "p50Ms@1000", 0.3));
    List<Targets.Result> results = Targets.judge(noPeers);
    assertThat(results).extracting(Targets.Result::verdict).containsOnly(Targets.Verdict.NOT_MEASURED);
    assertThat(Targets.markdown(results)).contains("| not measured |").doesNotContain("| met |");
  }

  @Test
  void resultsFileAndSummaryJsonCarryTheTargets() throws IOException {
    BenchPlan.Phase r1k = new BenchPlan.Phase("1000", 1000, 1, Duration.ZERO, Duration.ofSeconds(1));
    BenchPlan plan = new BenchPlan("test", List.of(Scenario.WEFT), 1, List.of(r1k), Duration.ZERO, true);
    ScenarioRun weft = new ScenarioRun(Scenario.WEFT, 1, ScenarioRun.Status.OK, "", Map.of("weft-in", 1L),
        Map.of("weft-in", 1_900.0), Map.of("weft-in", new ProcessTreeStats.Memory(2048, 1024, 512)), List.of(), 0);
    ReportWriter report = new ReportWriter(out, plan, List.of(weft), Map.of(), Map.of());
    report.writeSummary();
    report.writeResultsFile(out.resolve("RESULTS.md"), "run");
    assertThat(Files.readString(out.resolve("RESULTS.md"))).contains("## Targets",
        "| ready ≤ 500 ms after process start | weft-in 1,900 ms | – | **missed** |", "| max throughput ≥ 1.1× the HAProxy pair's | – |");
    assertThat(Files.readString(out.resolve("summary.json"))).contains("\"_targets\": [",
        "\"verdict\": \"not_measured\"");
  }
}
