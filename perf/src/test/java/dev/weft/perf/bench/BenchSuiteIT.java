package dev.weft.perf.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the whole suite for about a second per phase: direct and the Weft pair always, the
 * HAProxy and nginx pairs when installed (skipped with a reason otherwise). Proves the harness
 * works end to end — processes start and stop, every figure and output file is produced — and
 * asserts no performance thresholds.
 */
class BenchSuiteIT {
  @TempDir
  Path out;

  @Test
  @Timeout(120)
  void runsEveryScenarioEndToEndAndWritesTheReports() throws IOException, InterruptedException {
    Path root = Path.of(System.getProperty("user.dir")).getParent();
    // Modest rates so a busy CI machine with a cold JIT still answers.
    List<BenchPlan.Phase> phases = List.of(
        new BenchPlan.Phase("max", 0, 4, Duration.ofMillis(500), Duration.ofMillis(800)),
        new BenchPlan.Phase("200", 200, 4, Duration.ofMillis(300), Duration.ofMillis(800)));
    BenchPlan plan = new BenchPlan("smoke", List.of(Scenario.values()), 1, phases, Duration.ofMillis(200), true);
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    BenchSuite.SuiteResult result = BenchSuite.execute(new BenchSuite.SuiteConfig(root, out, plan,
        CpuPinning.off(), 1, WeftPair.Hop.H2C, 1, false), new PrintStream(log, true, StandardCharsets.UTF_8));
    String progress = log.toString(StandardCharsets.UTF_8);

    assertThat(result.runs()).hasSize(Scenario.values().length);
    for (ScenarioRun run : result.runs()) {
      boolean optional = run.scenario() == Scenario.HAPROXY || run.scenario() == Scenario.NGINX;
      boolean installed = Executables.find(run.scenario().id()).isPresent();
      if (optional && !installed) {
        assertThat(run.status()).as(run.scenario() + ": " + run.reason()).isEqualTo(ScenarioRun.Status.SKIPPED);
        assertThat(run.reason()).contains("not installed");
        continue;
      }
      assertThat(run.status()).as(run.scenario() + ": " + run.reason() + "\n" + progress)
          .isEqualTo(ScenarioRun.Status.OK);
      assertThat(run.figures()).containsKeys("maxRps", "p50Ms@200", "p999Ms@200");
      if (run.scenario() != Scenario.DIRECT) {
        assertThat(run.figures()).containsKeys("cpuSecPer1k@200", "pssIdleMiB", "pssAnonLoadMiB", "rssLoadMiB");
        assertThat(run.figures().get("pssIdleMiB")).isPositive();
        assertThat(run.processes()).hasSize(2);
        for (long pid : run.processes().values()) {
          assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false))
              .as("process %d stopped after the run", pid).isFalse();
        }
      }
      if (run.scenario() == Scenario.WEFT) {
        assertThat(run.readyMillis()).containsOnlyKeys(WeftPair.IN, WeftPair.OUT);
      }
      assertThat(out.resolve("raw").resolve("1-" + run.scenario().id() + ".json")).isNotEmptyFile();
    }
    assertThat(out.resolve("summary.json")).content().contains("\"weft\"", "\"median\"", "\"maxRps\"");
    assertThat(out.resolve("summary.md")).content().contains("| direct |", "| weft |");
    assertThat(out.resolve("latency-200.svg")).content().startsWith("<svg").contains("weft", "direct");
  }
}
