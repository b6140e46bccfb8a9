package dev.weft.perf.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.perf.LatencySummary;
import dev.weft.perf.LoadConfig;
import dev.weft.perf.LoadResult;
import dev.weft.perf.Outcome;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportWriterTest {
  @TempDir
  Path out;

  private static ScenarioRun.PhaseResult phase(BenchPlan.Phase p, long ok, long timeouts, double rps) {
    Histogram h = new Histogram(3);
    for (int i = 1; i <= ok; i++) {
      h.recordValue(100 + i);
    }
    LoadResult r = new LoadResult(LoadConfig.builder("127.0.0.1", 1).rate(p.rate()).build(), "nio",
        Duration.ofSeconds(1), Map.of(Outcome.SUCCESS, ok, Outcome.TIMEOUT, timeouts), rps, LatencySummary.of(h), h);
    return new ScenarioRun.PhaseResult(p, r, Duration.ofSeconds(1), Map.of("px", 0.5), Map.of());
  }

  private static ScenarioRun.PhaseResult phase(BenchPlan.Phase p, long rssKiB, long pssAnonKiB) {
    ScenarioRun.PhaseResult r = phase(p, 10, 0, 10);
    return new ScenarioRun.PhaseResult(p, r.load(), r.window(), r.cpuSeconds(),
        Map.of("px", new ProcessTreeStats.Memory(rssKiB, rssKiB, pssAnonKiB)));
  }

  @Test
  void memoryIsReportedAtThePeakOfAllPhasesAndOfEachFixedRateOnItsOwn() throws IOException {
    BenchPlan.Phase max = new BenchPlan.Phase("max", 0, 1, Duration.ZERO, Duration.ofSeconds(1));
    BenchPlan.Phase r1k = new BenchPlan.Phase("1000", 1000, 1, Duration.ZERO, Duration.ofSeconds(1));
    BenchPlan.Phase r5k = new BenchPlan.Phase("5000", 5000, 1, Duration.ZERO, Duration.ofSeconds(1));
    BenchPlan plan = new BenchPlan("test", List.of(Scenario.WEFT), 1, List.of(max, r1k, r5k), Duration.ZERO,
        true);
    ScenarioRun weft = new ScenarioRun(Scenario.WEFT, 1, ScenarioRun.Status.OK, "", Map.of("px", 1L), Map.of(),
        Map.of("px", new ProcessTreeStats.Memory(2048, 1024, 512)),
        List.of(phase(max, 90 * 1024, 70 * 1024), phase(r1k, 80 * 1024, 60 * 1024), phase(r5k, 85 * 1024, 65 * 1024)),
        35);

    assertThat(weft.figures())
        .containsEntry("pssAnonLoadMiB[px]", 70.0).containsEntry("rssLoadMiB[px]", 90.0)
        .containsEntry("pssAnonMiB@1000[px]", 60.0).containsEntry("rssMiB@1000[px]", 80.0)
        .containsEntry("pssAnonMiB@5000[px]", 65.0).containsEntry("pssAnonMiB@1000", 60.0)
        .doesNotContainKey("pssAnonMiB@max[px]").containsEntry("primeS", 35.0);
    String md = new ReportWriter(out, plan, List.of(weft), Map.of(), Map.of()).writeSummary();
    assertThat(md).contains("RSS / Pss_Anon MiB @1000", "| 80.0 / 60.0 |");
    Path results = out.resolve("RESULTS.md");
    new ReportWriter(out, plan, List.of(weft), Map.of(), Map.of()).writeResultsFile(results, "run");
    assertThat(Files.readString(results))
        .contains("| priming until the closed-loop rate is steady, s | 35.0 |");
  }

  @Test
  void aPhaseWhoseWindowWasNotSampledHasNoCpuOrLoadMemoryFigures() {
    BenchPlan.Phase max = new BenchPlan.Phase("max", 0, 1, Duration.ZERO, Duration.ofSeconds(1));
    BenchPlan.Phase r1k = new BenchPlan.Phase("1000", 1000, 1, Duration.ZERO, Duration.ofSeconds(1));
    ScenarioRun.PhaseResult sampled = phase(max, 90 * 1024, 70 * 1024);
    ScenarioRun.PhaseResult missed = new ScenarioRun.PhaseResult(r1k, phase(r1k, 10, 0, 10).load(), Duration.ZERO,
        Map.of(), Map.of());
    ScenarioRun one = new ScenarioRun(Scenario.WEFT, 1, ScenarioRun.Status.OK, "", Map.of("px", 1L), Map.of(),
        Map.of("px", new ProcessTreeStats.Memory(2048, 1024, 512)), List.of(sampled, missed), 0);
    assertThat(one.figures()).containsKey("cpuSecPer1k@max").containsKey("p50Ms@1000")
        .doesNotContainKeys("cpuSecPer1k@1000", "cpuSecPer1k@1000[px]", "rssMiB@1000", "primeS")
        .containsEntry("rssLoadMiB", 90.0);

    ScenarioRun none = new ScenarioRun(Scenario.WEFT, 1, ScenarioRun.Status.OK, "", Map.of("px", 1L), Map.of(),
        Map.of("px", new ProcessTreeStats.Memory(2048, 1024, 512)), List.of(missed), 0);
    assertThat(none.figures()).containsEntry("rssIdleMiB", 2.0)
        .doesNotContainKeys("cpuSecPer1k@1000", "rssLoadMiB", "pssAnonLoadMiB[px]");
  }

  @Test
  void flagsFixedRatesThatWereNotReachedAndSkippedScenarios() throws IOException {
    BenchPlan.Phase max = new BenchPlan.Phase("max", 0, 1, Duration.ZERO, Duration.ofSeconds(1));
    BenchPlan.Phase r100 = new BenchPlan.Phase("100", 100, 1, Duration.ZERO, Duration.ofSeconds(1));
    BenchPlan plan = new BenchPlan("test", List.of(Scenario.WEFT, Scenario.NGINX), 1, List.of(max, r100),
        Duration.ZERO, true);
    ScenarioRun weft = new ScenarioRun(Scenario.WEFT, 1, ScenarioRun.Status.OK, "", Map.of("px", 1L), Map.of(),
        Map.of("px", new ProcessTreeStats.Memory(2048, 1024, 512)),
        List.of(phase(max, 500, 0, 500), phase(r100, 50, 50, 50)), 0);
    ScenarioRun nginx = ScenarioRun.notRun(Scenario.NGINX, 1, ScenarioRun.Status.SKIPPED, "nginx is not installed");
    String md = new ReportWriter(out, plan, List.of(weft, nginx), Map.of(), Map.of()).writeSummary();

    assertThat(md).contains("| weft | 500 |", "weft reached only 50.0 rps of 100", "up to 50.0 failed requests",
        "nginx #1: skipped: nginx is not installed");
    assertThat(weft.figures()).containsEntry("cpuSecPer1k@max", 1.0).containsEntry("pssIdleMiB[px]", 1.0);
    assertThat(out.resolve("latency-100.svg")).content().contains("<path");
  }
}
