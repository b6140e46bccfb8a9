package dev.weft.perf.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * What a suite run measures and for how long.
 *
 * @param name        {@code full}, {@code quick} or {@code custom}
 * @param scenarios   scenarios, run in this order in every repeat
 * @param repeats     how many times every scenario is measured; each repeat starts fresh processes
 * @param phases      load phases run against each scenario, in order
 * @param settle      pause after the proxies are ready, before the idle memory sample
 * @param primeUntilSteady whether priming goes on past {@link #prime()} until the closed-loop
 *                    rate is steady (false: exactly {@link #prime()})
 */
record BenchPlan(String name, List<Scenario> scenarios, int repeats, List<Phase> phases, Duration settle,
    boolean primeUntilSteady) {

  /** The fixed rates of the open-loop phases. */
  static final List<Integer> RATES = List.of(1_000, 5_000);

  BenchPlan {
    scenarios = List.copyOf(scenarios);
    phases = List.copyOf(phases);
    if (repeats < 1 || repeats > 100) {
      throw new IllegalArgumentException("repeats: " + repeats + " (expected: 1..100)");
    }
    if (scenarios.isEmpty() || phases.isEmpty()) {
      throw new IllegalArgumentException("a plan needs at least one scenario and one phase");
    }
  }

  /**
   * One load phase.
   *
   * @param id          key used in figures: {@code max} (closed loop) or {@code 1000}, {@code 5000}
   * @param rate        requests per second; 0 = closed loop
   * @param connections client connections
   * @param warmup      warm-up before measuring
   * @param duration    measured window
   */
  record Phase(String id, double rate, int connections, Duration warmup, Duration duration) {
    boolean closedLoop() {
      return rate == 0;
    }
  }

  /** The standard phases: closed loop for maximum throughput, then each fixed rate. */
  static List<Phase> standardPhases(Duration warmup, Duration duration, int connections) {
    List<Phase> phases = new ArrayList<>();
    phases.add(new Phase("max", 0, connections, warmup, duration));
    for (int rate : RATES) {
      phases.add(new Phase(Integer.toString(rate), rate, connections, warmup, duration));
    }
    return phases;
  }

  /** Three repeats of 5 s warm-up + 15 s measured per phase: about 4 minutes per scenario. */
  static BenchPlan full(List<Scenario> scenarios) {
    return new BenchPlan("full", scenarios, 3,
        standardPhases(Duration.ofSeconds(5), Duration.ofSeconds(15), 16), Duration.ofSeconds(2), true);
  }

  /** One repeat of 2 s warm-up + 6 s measured per phase: about two minutes for all four scenarios. */
  static BenchPlan quick(List<Scenario> scenarios) {
    return new BenchPlan("quick", scenarios, 1,
        standardPhases(Duration.ofSeconds(2), Duration.ofSeconds(6), 16), Duration.ofSeconds(1), false);
  }

  /**
   * The shortest unmeasured load before each scenario's first phase, so JIT-compiled proxies are
   * measured in steady state: four times the first phase's warm-up, between 8 and 30 seconds.
   */
  Duration prime() {
    Duration d = phases.getFirst().warmup().multipliedBy(4);
    if (d.compareTo(Duration.ofSeconds(8)) < 0) {
      return Duration.ofSeconds(8);
    }
    return d.compareTo(Duration.ofSeconds(30)) > 0 ? Duration.ofSeconds(30) : d;
  }

  /**
   * The longest priming: unmeasured load goes on past {@link #prime()} in slices of
   * {@link #primeSlice()} until the closed-loop rate is {@linkplain #steady(List) steady}, but no longer
   * than this (three times the minimum, at most 45 seconds). A plan that does not prime until
   * steady (the quick one, so that it stays a run of about two minutes) primes exactly
   * {@link #prime()}.
   */
  Duration primeMax() {
    if (!primeUntilSteady) {
      return prime();
    }
    Duration d = prime().multipliedBy(3);
    return d.compareTo(Duration.ofSeconds(45)) > 0 ? Duration.ofSeconds(45) : d;
  }

  /** One slice of priming load: the first phase's warm-up, at least 2 seconds. */
  Duration primeSlice() {
    Duration w = phases.getFirst().warmup();
    return w.compareTo(Duration.ofSeconds(2)) < 0 ? Duration.ofSeconds(2) : w;
  }

  /**
   * Whether priming has reached a steady rate: the last three slices' rates lie within 5 % of
   * the highest of them. Two slices are not enough: while a JIT compiles, the rate can hold
   * still for a while before it climbs again.
   */
  static boolean steady(List<Double> sliceRps) {
    if (sliceRps.size() < 3) {
      return false;
    }
    List<Double> last = sliceRps.subList(sliceRps.size() - 3, sliceRps.size());
    double hi = last.stream().mapToDouble(Double::doubleValue).max().orElse(0);
    double lo = last.stream().mapToDouble(Double::doubleValue).min().orElse(0);
    return hi > 0 && hi - lo <= 0.05 * hi;
  }

  /** Total load time of the plan, without process start-up. */
  Duration loadTime() {
    Duration perScenario = Duration.ZERO;
    for (Phase p : phases) {
      perScenario = perScenario.plus(p.warmup()).plus(p.duration());
    }
    return perScenario.plus(settle).multipliedBy((long) scenarios.size() * repeats);
  }
}
