package dev.weft.perf.bench;

import dev.weft.perf.LoadResult;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything measured in one repeat of one scenario: the raw data behind every figure.
 *
 * @param scenario    the scenario
 * @param repeat      repeat number, from 1
 * @param status      whether it ran
 * @param reason      why it was skipped or failed; empty when it ran
 * @param processes   measured processes: name → PID (none for {@link Scenario#DIRECT})
 * @param readyMillis Weft sidecars: milliseconds from spawn to {@code /ready} answering 200
 * @param idle        memory of each process once ready, before any load
 * @param phases      the load phases in the order they ran
 * @param primeSeconds how long unmeasured load ran before the first phase, until the closed-loop
 *                    rate was steady (0 when not primed)
 */
record ScenarioRun(
    Scenario scenario,
    int repeat,
    Status status,
    String reason,
    Map<String, Long> processes,
    Map<String, Double> readyMillis,
    Map<String, ProcessTreeStats.Memory> idle,
    List<PhaseResult> phases,
    double primeSeconds) {

  /** Outcome of a scenario run. */
  enum Status {
    /** Measured. */
    OK,
    /** Could not run here (a proxy missing or refusing its config); nothing measured. */
    SKIPPED,
    /** Started but broke while measuring; the reason says how. */
    FAILED
  }

  /**
   * One load phase against the scenario.
   *
   * @param phase       the phase
   * @param load        what the load generator measured
   * @param window      the wall-clock window over which CPU was sampled (the measured window)
   * @param cpuSeconds  CPU seconds each process (with its children) used in that window
   * @param peakMemory  largest memory sample of each process during the window
   */
  record PhaseResult(BenchPlan.Phase phase, LoadResult load, Duration window, Map<String, Double> cpuSeconds,
      Map<String, ProcessTreeStats.Memory> peakMemory) {

    /** Responses (any status) in the measured window. */
    long responses() {
      return load.successes() + load.non2xx();
    }
  }

  static ScenarioRun notRun(Scenario scenario, int repeat, Status status, String reason) {
    return new ScenarioRun(scenario, repeat, status, reason, Map.of(), Map.of(), Map.of(), List.of(), 0);
  }

  /**
   * The run's figures, flat: {@code maxRps}; per fixed rate R {@code p50Ms@R}, {@code p90Ms@R},
   * {@code p99Ms@R}, {@code p999Ms@R}, {@code achievedRps@R}; CPU seconds per 1,000 responses of
   * all proxies together ({@code cpuSecPer1k@P} for every phase P) and of each process
   * ({@code cpuSecPer1k@P[name]}); memory in MiB idle and at the peak under load, totals and per
   * process ({@code pssIdleMiB}, {@code pssAnonLoadMiB[weft-in]}, ...), and at the peak of each
   * fixed-rate phase R ({@code rssMiB@R}, {@code pssMiB@R}, {@code pssAnonMiB@R}, totals and per
   * process); {@code readyMs[name]}.
   */
  Map<String, Double> figures() {
    Map<String, Double> f = new LinkedHashMap<>();
    if (status != Status.OK) {
      return f;
    }
    for (PhaseResult p : phases) {
      String id = p.phase().id();
      LoadResult r = p.load();
      if (p.phase().closedLoop()) {
        f.put("maxRps", r.achievedRps());
      } else {
        f.put("p50Ms@" + id, r.latency().p50() / 1000.0);
        f.put("p90Ms@" + id, r.latency().p90() / 1000.0);
        f.put("p99Ms@" + id, r.latency().p99() / 1000.0);
        f.put("p999Ms@" + id, r.latency().p999() / 1000.0);
        f.put("achievedRps@" + id, r.achievedRps());
      }
      f.put("failedRequests@" + id, (double) (r.requests() - r.successes()));
    }
    if (processes.isEmpty()) {
      return f;
    }
    // A phase whose window was not sampled has no CPU or memory figures (never zeros).
    List<PhaseResult> sampled = phases.stream().filter(p -> !p.window().isZero()).toList();
    for (PhaseResult p : sampled) {
      double total = 0;
      for (Map.Entry<String, Double> e : p.cpuSeconds().entrySet()) {
        total += e.getValue();
      }
      f.put("cpuSecPer1k@" + p.phase().id(), perThousand(total, p.responses()));
    }
    for (PhaseResult p : sampled) {
      p.cpuSeconds().forEach((name, cpu) ->
          f.put("cpuSecPer1k@" + p.phase().id() + "[" + name + "]", perThousand(cpu, p.responses())));
    }
    Map<String, ProcessTreeStats.Memory> peak = new LinkedHashMap<>();
    for (PhaseResult p : sampled) {
      p.peakMemory().forEach((name, m) -> peak.merge(name, m, ProcessTreeStats.Memory::max));
    }
    putMemory(f, "", sum(idle), sampled.isEmpty() ? null : sum(peak));
    for (String name : processes.keySet()) {
      putMemory(f, "[" + name + "]", idle.getOrDefault(name, ProcessTreeStats.Memory.ZERO),
          sampled.isEmpty() ? null : peak.getOrDefault(name, ProcessTreeStats.Memory.ZERO));
    }
    // The peak of each fixed-rate phase on its own: the memory targets are stated at a rate
    // (1,000 rps), while the figures above are the peak over every phase, saturation included.
    for (PhaseResult p : sampled) {
      if (p.phase().closedLoop() || p.peakMemory().isEmpty()) {
        continue;
      }
      String id = p.phase().id();
      putPhaseMemory(f, id, "", sum(p.peakMemory()));
      p.peakMemory().forEach((name, m) -> putPhaseMemory(f, id, "[" + name + "]", m));
    }
    readyMillis.forEach((name, ms) -> f.put("readyMs[" + name + "]", ms));
    if (primeSeconds > 0) {
      f.put("primeS", primeSeconds);
    }
    return f;
  }

  private static void putMemory(Map<String, Double> f, String suffix, ProcessTreeStats.Memory idle,
      ProcessTreeStats.Memory load) {
    f.put("rssIdleMiB" + suffix, idle.rssKiB() / 1024.0);
    f.put("pssIdleMiB" + suffix, idle.pssKiB() / 1024.0);
    f.put("pssAnonIdleMiB" + suffix, idle.pssAnonKiB() / 1024.0);
    if (load == null) {
      return; // no phase was sampled
    }
    f.put("rssLoadMiB" + suffix, load.rssKiB() / 1024.0);
    f.put("pssLoadMiB" + suffix, load.pssKiB() / 1024.0);
    f.put("pssAnonLoadMiB" + suffix, load.pssAnonKiB() / 1024.0);
  }

  private static void putPhaseMemory(Map<String, Double> f, String phase, String suffix,
      ProcessTreeStats.Memory m) {
    f.put("rssMiB@" + phase + suffix, m.rssKiB() / 1024.0);
    f.put("pssMiB@" + phase + suffix, m.pssKiB() / 1024.0);
    f.put("pssAnonMiB@" + phase + suffix, m.pssAnonKiB() / 1024.0);
  }

  private static ProcessTreeStats.Memory sum(Map<String, ProcessTreeStats.Memory> byProcess) {
    ProcessTreeStats.Memory total = ProcessTreeStats.Memory.ZERO;
    for (ProcessTreeStats.Memory m : byProcess.values()) {
      total = total.plus(m);
    }
    return total;
  }

  private static double perThousand(double cpuSeconds, long responses) {
    return responses == 0 ? Double.NaN : cpuSeconds * 1000.0 / responses;
  }

  /** The raw data as JSON-ready values. */
  Map<String, Object> toJsonValue() {
    Map<String, Object> j = new LinkedHashMap<>();
    j.put("scenario", scenario.id());
    j.put("shape", scenario.shape());
    j.put("repeat", repeat);
    j.put("status", status.name().toLowerCase(java.util.Locale.ROOT));
    j.put("reason", reason);
    j.put("processes", processes);
    j.put("readyMillis", readyMillis);
    Map<String, Object> idleJson = new LinkedHashMap<>();
    idle.forEach((k, v) -> idleJson.put(k, memoryJson(v)));
    j.put("idleMemoryKiB", idleJson);
    List<Object> phaseJson = new java.util.ArrayList<>();
    for (PhaseResult p : phases) {
      Map<String, Object> pj = new LinkedHashMap<>();
      pj.put("phase", p.phase().id());
      pj.put("rate", p.phase().rate());
      pj.put("connections", p.phase().connections());
      pj.put("cpuWindowSeconds", p.window().toNanos() / 1e9);
      pj.put("cpuSeconds", p.cpuSeconds());
      Map<String, Object> peakJson = new LinkedHashMap<>();
      p.peakMemory().forEach((k, v) -> peakJson.put(k, memoryJson(v)));
      pj.put("peakMemoryKiB", peakJson);
      pj.put("load", new Json.Raw(p.load().toJson()));
      phaseJson.add(pj);
    }
    j.put("phases", phaseJson);
    j.put("figures", figures());
    return j;
  }

  private static Map<String, Object> memoryJson(ProcessTreeStats.Memory m) {
    Map<String, Object> j = new LinkedHashMap<>();
    j.put("rss", m.rssKiB());
    j.put("pss", m.pssKiB());
    j.put("pssAnon", m.pssAnonKiB());
    return j;
  }
}
