package dev.weft.perf.bench;

import dev.weft.perf.LoadConfig;
import dev.weft.perf.LoadGenerator;
import dev.weft.perf.LoadResult;
import dev.weft.perf.Protocol;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs one repeat of one scenario: starts its processes, samples their idle memory, runs every
 * load phase while sampling CPU time over exactly the measured window and memory throughout it,
 * and stops the processes again.
 */
final class ScenarioRunner {
  /** Interval between memory samples while load runs. */
  private static final long MEMORY_SAMPLE_NANOS = TimeUnit.MILLISECONDS.toNanos(250);

  private final BenchEnvironment env;
  private final BenchPlan plan;
  private final ProcessTreeStats stats;
  private final PrintStream log;

  ScenarioRunner(BenchEnvironment env, BenchPlan plan, ProcessTreeStats stats, PrintStream log) {
    this.env = env;
    this.plan = plan;
    this.stats = stats;
    this.log = log;
  }

  ScenarioRun run(Scenario scenario, int repeat) throws IOException, InterruptedException {
    Deployment deployment;
    try {
      deployment = start(scenario);
    } catch (ScenarioUnavailableException e) {
      return ScenarioRun.notRun(scenario, repeat, ScenarioRun.Status.SKIPPED, e.getMessage());
    }
    try (deployment) {
      Map<String, Long> pids = new LinkedHashMap<>();
      deployment.processes().forEach(p -> pids.put(p.name(), p.pid()));
      deployment.readyMillis().forEach((name, ms) ->
          log.printf(Locale.ROOT, "  %s ready in %.0f ms%n", name, ms));
      TimeUnit.NANOSECONDS.sleep(plan.settle().toNanos());
      Map<String, ProcessTreeStats.Memory> idle = new LinkedHashMap<>();
      for (ManagedProcess p : deployment.processes()) {
        idle.put(p.name(), stats.memory(p.pid()));
      }
      double primed = prime(deployment);
      List<ScenarioRun.PhaseResult> phases = new ArrayList<>();
      for (BenchPlan.Phase phase : plan.phases()) {
        ScenarioRun.PhaseResult result = runPhase(deployment, phase);
        phases.add(result);
        log.printf(Locale.ROOT, "  %-5s %s", phase.id(), indentSummary(result.load()));
        String broken = brokenBy(deployment, result);
        if (broken != null) {
          return new ScenarioRun(scenario, repeat, ScenarioRun.Status.FAILED, broken, pids,
              deployment.readyMillis(), idle, phases, primed);
        }
      }
      return new ScenarioRun(scenario, repeat, ScenarioRun.Status.OK, "", pids, deployment.readyMillis(), idle, phases,
          primed);
    }
  }

  /**
   * Unmeasured closed-loop load before the first phase, by the same rule for every scenario: a
   * JVM proxy reaches steady state only after its JIT has compiled the hot paths, which the short
   * per-phase warm-ups do not cover, and on a contended core that takes longer when the machine
   * is slower. The load runs in slices for at least {@link BenchPlan#prime()}, then until three
   * slices in a row have rates within 5 % of each other, at most {@link BenchPlan#primeMax()}.
   *
   * @return how long the priming ran, in seconds (0 without priming)
   */
  private double prime(Deployment deployment) throws InterruptedException {
    Duration min = plan.prime();
    if (min.isZero()) {
      return 0;
    }
    Duration slice = plan.primeSlice();
    Duration max = plan.primeMax();
    Duration elapsed = Duration.ZERO;
    long requests = 0;
    List<Double> rates = new ArrayList<>();
    boolean steady = false;
    while (elapsed.compareTo(max) < 0) {
      LoadResult r = LoadGenerator.run(LoadConfig.builder("127.0.0.1", deployment.targetPort())
          .protocol(Protocol.H1)
          .connections(plan.phases().getFirst().connections())
          .rate(0)
          .warmup(Duration.ZERO)
          .duration(slice)
          .build(), t -> { });
      elapsed = elapsed.plus(slice);
      requests += r.requests();
      rates.add(r.requests() / (slice.toNanos() / 1e9));
      steady = BenchPlan.steady(rates);
      if (steady && elapsed.compareTo(min) >= 0) {
        break;
      }
    }
    log.printf(Locale.ROOT, "  primed for %d s (%d requests, not measured): %s at %.0f rps%n", elapsed.toSeconds(),
        requests, steady ? "steady" : "still changing", rates.getLast());
    return elapsed.toNanos() / 1e9;
  }

  private Deployment start(Scenario scenario) throws IOException, InterruptedException, ScenarioUnavailableException {
    return switch (scenario) {
      case DIRECT -> new Deployment(env.upstreamPort(), List.of(), Map.of());
      case WEFT -> WeftPair.start(env);
      case HAPROXY -> PeerProxyPair.startHaproxy(env);
      case NGINX -> PeerProxyPair.startNginx(env);
    };
  }

  /** Why the run cannot be trusted, or null: a process died, or nothing succeeded. */
  private static String brokenBy(Deployment deployment, ScenarioRun.PhaseResult result) {
    for (ManagedProcess p : deployment.processes()) {
      if (!p.isAlive()) {
        return p.name() + " exited during phase " + result.phase().id() + "; output: " + p.tail(8);
      }
    }
    if (result.load().successes() == 0) {
      return "no successful responses in phase " + result.phase().id() + ": " + result.load().outcomes();
    }
    return null;
  }

  private ScenarioRun.PhaseResult runPhase(Deployment deployment, BenchPlan.Phase phase) throws InterruptedException {
    LoadConfig config = LoadConfig.builder("127.0.0.1", deployment.targetPort())
        .protocol(Protocol.H1)
        .connections(phase.connections())
        .rate(phase.rate())
        .warmup(phase.warmup())
        .duration(phase.duration())
        .build();
    AtomicLong t0 = new AtomicLong();
    CountDownLatch started = new CountDownLatch(1);
    Map<String, Long> pids = new LinkedHashMap<>();
    deployment.processes().forEach(p -> pids.put(p.name(), p.pid()));
    WindowSampler sampler = new WindowSampler(pids, stats, t0, started, phase);
    // A platform thread: the sampler must wake at the window's start and end whatever the
    // virtual-thread carriers are doing (the benchmark JVM is pinned to few CPUs). A virtual
    // sampler missed whole phases after long priming: no CPU or memory for them.
    Thread samplerThread = Thread.ofPlatform().daemon().name("window-sampler").start(sampler);
    LoadResult result;
    try {
      result = LoadGenerator.run(config, t -> {
        t0.set(t);
        started.countDown();
      });
    } finally {
      if (started.getCount() > 0) {
        samplerThread.interrupt();
      }
      samplerThread.join(Duration.ofSeconds(10));
      if (samplerThread.isAlive()) {
        samplerThread.interrupt();
      }
    }
    if (sampler.failure != null) {
      throw new IllegalStateException("sampling " + phase.id() + " failed: " + sampler.failure.getMessage(),
          sampler.failure);
    }
    if (sampler.windowNanos == 0 && !deployment.processes().isEmpty()) {
      log.printf(Locale.ROOT, "  warning: %s: CPU and memory were not sampled in this phase%n", phase.id());
    }
    return new ScenarioRun.PhaseResult(phase, result, Duration.ofNanos(sampler.windowNanos), sampler.cpu, sampler.peak);
  }

  private static String indentSummary(LoadResult r) {
    return r.summary().strip().replace("\n", "\n        ") + "\n";
  }

  /**
   * Reads CPU time at the start and end of a phase's measured window, and memory around it but never
   * inside it.
   *
   * <p>Reading a process's memory is not free: the kernel walks the page tables of the whole process
   * for {@code /proc/PID/smaps_rollup} (about 2 ms for a JVM, on the sampler's CPU, which is the load
   * generator's), and finding a process tree reads {@code /proc/PID/stat} of every process. Sampled
   * every 250 ms inside the window, that stalled the generator and the upstream often enough to raise
   * the Weft pair's p99 at 1,000 rps from about 0.65 to 1.6 ms, and less for the peer proxies, whose
   * address spaces are small. So memory is sampled through the warm-up, which runs the same load
   * unmeasured, up to {@link #QUIET_NANOS} before the window, and once more right after it; the
   * processes are found before the window and only their {@code stat} is read at its edges.
   */
  static final class WindowSampler implements Runnable {
    /** No memory sample starts this close to the window, so none overlaps it. */
    static final long QUIET_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private final Map<String, Long> pids;
    private final ProcessTreeStats stats;
    private final AtomicLong t0;
    private final CountDownLatch started;
    private final BenchPlan.Phase phase;
    final Map<String, Double> cpu = new LinkedHashMap<>();
    final Map<String, ProcessTreeStats.Memory> peak = new LinkedHashMap<>();
    volatile long windowNanos;
    volatile RuntimeException failure;

    /**
     * @param pids    process name → pid
     * @param t0      set to the phase's start ({@link System#nanoTime()}) before {@code started} opens
     */
    WindowSampler(Map<String, Long> pids, ProcessTreeStats stats, AtomicLong t0, CountDownLatch started,
        BenchPlan.Phase phase) {
      this.pids = pids;
      this.stats = stats;
      this.t0 = t0;
      this.started = started;
      this.phase = phase;
    }

    @Override
    public void run() {
      try {
        if (!started.await(1, TimeUnit.MINUTES)) {
          return;
        }
        long windowStart = t0.get() + phase.warmup().toNanos();
        long windowEnd = windowStart + phase.duration().toNanos();
        pids.keySet().forEach(name -> peak.put(name, ProcessTreeStats.Memory.ZERO));
        while (System.nanoTime() < windowStart - QUIET_NANOS) {
          sampleMemory();
          sleepUntil(Math.min(windowStart - QUIET_NANOS, System.nanoTime() + MEMORY_SAMPLE_NANOS));
        }
        Map<String, List<Long>> trees = new LinkedHashMap<>();
        pids.forEach((name, pid) -> trees.put(name, stats.tree(pid)));
        sleepUntil(windowStart);
        long cpuStartAt = System.nanoTime();
        Map<String, Double> before = new LinkedHashMap<>();
        trees.forEach((name, tree) -> before.put(name, stats.cpuSeconds(tree)));
        sleepUntil(windowEnd);
        trees.forEach((name, tree) -> cpu.put(name, stats.cpuSeconds(tree) - before.get(name)));
        windowNanos = System.nanoTime() - cpuStartAt;
        sampleMemory();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (RuntimeException e) {
        failure = e;
      }
    }

    private void sampleMemory() {
      pids.forEach((name, pid) -> peak.merge(name, stats.memory(pid), ProcessTreeStats.Memory::max));
    }

    private static void sleepUntil(long nanoTime) throws InterruptedException {
      long left;
      while ((left = nanoTime - System.nanoTime()) > 0) {
        TimeUnit.NANOSECONDS.sleep(left);
      }
    }
  }
}
