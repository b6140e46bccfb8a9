package dev.weft.perf.bench;

import dev.weft.perf.DurationParser;
import dev.weft.perf.FixedResponseServer;
import dev.weft.perf.LoadConfig;
import dev.weft.perf.LoadGenerator;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code weft bench} (and {@code weft bench --quick}): measures Weft against a direct connection
 * and against HAProxy and nginx pairs, every scenario in the same run against the same
 * fixed-response upstream, and writes {@code perf/results/<timestamp>/}. See {@code perf/README.md}.
 *
 * <pre>{@code
 * SuiteResult result = BenchSuite.execute(new SuiteConfig(root, outDir, BenchPlan.quick(scenarios),
 *     CpuPinning.off(), 1, WeftPair.Hop.H2C, 1, false), System.out);
 * }</pre>
 */
public final class BenchSuite {
  private BenchSuite() {}

  /**
   * One suite run.
   *
   * @param root            the Weft checkout (for the launcher script and {@code perf/RESULTS.md})
   * @param outDir          where results go
   * @param plan            what to measure
   * @param pinning         CPU pinning
   * @param proxyWorkers    workers per proxy
   * @param weftHop         hop between the Weft sidecars
   * @param upstreamThreads event loops of the upstream
   * @param updateResultsMd whether to rewrite {@code perf/RESULTS.md}
   */
  record SuiteConfig(Path root, Path outDir, BenchPlan plan, CpuPinning pinning, int proxyWorkers,
      WeftPair.Hop weftHop, int upstreamThreads, boolean updateResultsMd) {}

  /** What a suite run produced. */
  record SuiteResult(Path outDir, List<ScenarioRun> runs, String markdown) {}

  /** Runs the suite; progress goes to {@code log}. */
  static SuiteResult execute(SuiteConfig config, PrintStream log) throws IOException, InterruptedException {
    if (!ProcessTreeStats.available()) {
      throw new IllegalStateException("/proc/self/smaps_rollup is not readable: the suite needs Linux 4.14 or later");
    }
    Path outDir = Files.createDirectories(config.outDir());
    config.pinning().pinThisProcess();
    Map<String, String> facts = MachineFacts.collect();
    WeftLaunch weft = WeftLaunch.resolve(config.root());
    BenchPlan plan = config.plan();
    log.printf(Locale.ROOT, "weft bench (%s): %s, %d repeat(s), about %d s of load plus start-up; results in %s%n",
        plan.name(), plan.scenarios().stream().map(Scenario::id).toList(), plan.repeats(),
        plan.loadTime().toSeconds(), outDir);
    log.println("pinning: " + config.pinning().describe());
    List<ScenarioRun> runs = new ArrayList<>();
    try (FixedResponseServer upstream = FixedResponseServer.start("127.0.0.1", 0, config.upstreamThreads())) {
      BenchEnvironment env = new BenchEnvironment(outDir.resolve("work"), upstream.port(), config.proxyWorkers(),
          config.pinning(), weft, config.weftHop(), BenchCertificates.create(), Duration.ofSeconds(60));
      Map<String, String> settings = settings(config, weft, upstream);
      ScenarioRunner runner = new ScenarioRunner(env, plan, ProcessTreeStats.forThisMachine(), log);
      warmUpHarness(upstream, plan, log);
      for (int repeat = 1; repeat <= plan.repeats(); repeat++) {
        for (Scenario scenario : plan.scenarios()) {
          log.printf(Locale.ROOT, "[%d/%d] %s: %s%n", repeat, plan.repeats(), scenario.id(), scenario.shape());
          ScenarioRun run;
          try {
            run = runner.run(scenario, repeat);
          } catch (IOException | RuntimeException e) {
            run = ScenarioRun.notRun(scenario, repeat, ScenarioRun.Status.FAILED, String.valueOf(e));
          }
          if (run.status() != ScenarioRun.Status.OK) {
            log.printf(Locale.ROOT, "  %s: %s%n", run.status().name().toLowerCase(Locale.ROOT), run.reason());
          }
          runs.add(run);
          ReportWriter.writeRaw(outDir, run);
        }
      }
      ReportWriter report = new ReportWriter(outDir, plan, runs, facts, settings);
      String markdown = report.writeSummary();
      if (config.updateResultsMd()) {
        Path resultsMd = config.root().resolve("perf").resolve("RESULTS.md");
        report.writeResultsFile(resultsMd, outDir.getFileName().toString());
        log.println("updated " + resultsMd);
      }
      return new SuiteResult(outDir, runs, markdown);
    }
  }

  /**
   * Runs the generator against the upstream, unrecorded, before any scenario, so the JIT has
   * compiled the generator and upstream before the first measurement rather than during it.
   */
  private static void warmUpHarness(FixedResponseServer upstream, BenchPlan plan, PrintStream log)
      throws InterruptedException {
    Duration warm = plan.phases().getFirst().warmup().multipliedBy(2);
    log.printf(Locale.ROOT, "warming up the load generator and upstream for %d ms%n", warm.toMillis());
    LoadGenerator.run(LoadConfig.builder("127.0.0.1", upstream.port())
        .connections(plan.phases().getFirst().connections())
        .duration(warm)
        .build());
  }

  private static Map<String, String> settings(SuiteConfig c, WeftLaunch weft, FixedResponseServer upstream) {
    BenchPlan plan = c.plan();
    BenchPlan.Phase first = plan.phases().getFirst();
    Map<String, String> s = new LinkedHashMap<>();
    s.put("plan", plan.name() + ", " + plan.repeats() + " repeat(s), scenarios interleaved in each repeat");
    s.put("phases", plan.phases().stream().map(p -> p.closedLoop() ? "closed loop" : (long) p.rate() + " rps")
        .toList() + String.format(Locale.ROOT, ", each %d s warm-up + %d s measured, %d HTTP/1.1 connections",
        first.warmup().toSeconds(), first.duration().toSeconds(), first.connections()));
    s.put("priming", String.format(Locale.ROOT, "unmeasured closed-loop load per scenario before its first phase, "
        + "in %d s slices for at least %d s, then until three slices in a row are within 5 %% of each other (at most %d s): "
        + "JIT warm-up, the same rule for every scenario; the time it took is a figure",
        plan.primeSlice().toSeconds(), plan.prime().toSeconds(), plan.primeMax().toSeconds()));
    s.put("upstream", "FixedResponseServer (100-byte body), " + c.upstreamThreads() + " event loop(s), "
        + upstream.transport() + ", in the benchmark JVM");
    s.put("pinning", c.pinning().describe());
    s.put("proxy workers", c.proxyWorkers() + " per proxy (Weft --concurrency, HAProxy nbthread, nginx worker_processes)");
    s.put("weft hop", switch (c.weftHop()) {
      case H2C -> "plaintext HTTP/2 (h2c) between the sidecars";
      case MTLS -> "mutual TLS (ECDSA P-256, verification required both ways) keeping the client's protocol "
          + "(HTTP/1.1 here), pooled keep-alive: the mesh default";
      case MTLS_H2 -> "HTTP/2 over mutual TLS between the sidecars";
    });
    s.put("haproxy/nginx hop", "HTTP/1.1 over mutual TLS (ECDSA P-256, verification required both ways), keep-alive");
    s.put("weft command", String.join(" ", weft.command()).replaceAll("-cp \\S+", "-cp …") + " (from " + weft.source() + ")");
    return s;
  }

  /** Command line of {@code weft bench} when it runs the suite. */
  @Command(name = "weft bench", mixinStandardHelpOptions = true, sortOptions = false,
      description = "Benchmark Weft against direct, HAProxy and nginx; results in perf/results/<timestamp>/.")
  static final class Cli implements Callable<Integer> {
    @Option(names = "--quick", description = "One short repeat (about two minutes) instead of the full run.")
    boolean quick;

    @Option(names = "--repeats", description = "Repeats (default: 3 full, 1 quick).")
    Integer repeats;

    @Option(names = "--warmup", converter = DurationParser.class, description = "Warm-up per phase (default: 5s full, 2s quick).")
    Duration warmup;

    @Option(names = "--duration", converter = DurationParser.class,
        description = "Measured time per phase (default: 15s full, 6s quick).")
    Duration duration;

    @Option(names = "--connections", description = "Client connections (default: ${DEFAULT-VALUE}).", defaultValue = "16")
    int connections;

    @Option(names = "--scenarios", split = ",", description = "Scenarios to run (default: direct,weft,haproxy,nginx).")
    List<String> scenarios;

    @Option(names = "--weft-hop", defaultValue = "mtls",
        description = "Hop between the Weft sidecars: mtls (the mesh default: mutual TLS keeping the client's "
            + "protocol), mtls-h2 (HTTP/2 over mutual TLS) or h2c (default: ${DEFAULT-VALUE}).")
    String weftHop;

    @Option(names = "--proxy-workers", defaultValue = "1", description = "Workers per proxy (default: ${DEFAULT-VALUE}).")
    int proxyWorkers;

    @Option(names = "--upstream-threads", defaultValue = "1", description = "Upstream event loops (default: ${DEFAULT-VALUE}).")
    int upstreamThreads;

    @Option(names = "--no-pin", description = "Do not pin the load generator and the proxies to separate CPUs.")
    boolean noPin;

    @Option(names = "--out", description = "Results directory (default: perf/results/<timestamp>).")
    Path out;

    @Option(names = "--root", description = "Weft checkout (default: $WEFT_ROOT, else the current directory).")
    Path root;

    @Option(names = "--update-results", negatable = true,
        description = "Rewrite perf/RESULTS.md (default: only for a full run of all scenarios).")
    Boolean updateResults;

    @Override
    public Integer call() throws IOException, InterruptedException {
      Path r = root != null ? root : Path.of(System.getenv().getOrDefault("WEFT_ROOT", ".")).toAbsolutePath().normalize();
      List<Scenario> chosen = scenarios == null ? Arrays.asList(Scenario.values())
          : scenarios.stream().map(Scenario::parse).distinct().toList();
      BenchPlan base = quick ? BenchPlan.quick(chosen) : BenchPlan.full(chosen);
      BenchPlan.Phase p = base.phases().getFirst();
      boolean custom = repeats != null || warmup != null || duration != null || connections != p.connections();
      BenchPlan plan = new BenchPlan(custom ? base.name() + "-custom" : base.name(), chosen,
          repeats != null ? repeats : base.repeats(),
          BenchPlan.standardPhases(warmup != null ? warmup : p.warmup(), duration != null ? duration : p.duration(),
              connections),
          base.settle(), base.primeUntilSteady());
      boolean update = updateResults != null ? updateResults
          : plan.name().equals("full") && chosen.size() == Scenario.values().length;
      Path outDir = out != null ? out : r.resolve("perf").resolve("results")
          .resolve(LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
      SuiteConfig config = new SuiteConfig(r, outDir, plan, noPin ? CpuPinning.off() : CpuPinning.split(),
          proxyWorkers, WeftPair.Hop.parse(weftHop), upstreamThreads, update);
      SuiteResult result = execute(config, System.out);
      System.out.println();
      System.out.print(result.markdown());
      System.out.println("\nresults: " + result.outDir());
      return 0;
    }
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new Cli()).execute(args));
  }
}
