package dev.weft.perf.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Which CPUs the load generator (with the upstream, in the same JVM) and the proxies run on. With
 * pinning on, the CPUs this process may use are split in two halves: the first half for the
 * benchmark JVM, the rest for every proxy process (started under {@code taskset -c}). With two
 * CPUs that is one each, so the generator never competes with the proxies for a core.
 *
 * @param enabled   whether processes are pinned
 * @param loadCpus  CPUs of the benchmark JVM (load generator and upstream)
 * @param proxyCpus CPUs of the proxy processes
 */
record CpuPinning(boolean enabled, List<Integer> loadCpus, List<Integer> proxyCpus) {

  CpuPinning {
    loadCpus = List.copyOf(loadCpus);
    proxyCpus = List.copyOf(proxyCpus);
  }

  /** No pinning: everything may run anywhere. */
  static CpuPinning off() {
    List<Integer> all = allowedCpus();
    return new CpuPinning(false, all, all);
  }

  /** Splits the allowed CPUs as described above; off when fewer than two CPUs or no {@code taskset}. */
  static CpuPinning split() {
    List<Integer> all = allowedCpus();
    if (all.size() < 2 || Executables.find("taskset").isEmpty()) {
      return new CpuPinning(false, all, all);
    }
    int half = (all.size() + 1) / 2;
    return new CpuPinning(true, all.subList(0, half), all.subList(half, all.size()));
  }

  /** {@code command} prefixed with {@code taskset -c <proxy CPUs>} when pinning is on. */
  List<String> wrapProxy(List<String> command) {
    if (!enabled) {
      return command;
    }
    List<String> wrapped = new ArrayList<>(List.of("taskset", "-c", cpuList(proxyCpus)));
    wrapped.addAll(command);
    return wrapped;
  }

  /** Pins every thread of this JVM (and so every thread it starts later) to the load CPUs. */
  void pinThisProcess() throws IOException, InterruptedException {
    if (!enabled) {
      return;
    }
    Process p = new ProcessBuilder("taskset", "-a", "-p", "-c", cpuList(loadCpus),
        Long.toString(ProcessHandle.current().pid())).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException("taskset failed to pin the benchmark JVM: " + out.strip());
    }
  }

  /** A human description for reports. */
  String describe() {
    return enabled
        ? "load generator + upstream on CPU " + cpuList(loadCpus) + ", proxies on CPU " + cpuList(proxyCpus)
            + " (taskset)"
        : "not pinned (CPUs " + cpuList(loadCpus) + " shared)";
  }

  static String cpuList(List<Integer> cpus) {
    return cpus.stream().map(String::valueOf).collect(Collectors.joining(","));
  }

  /** The CPUs this process may run on, from {@code Cpus_allowed_list} in {@code /proc/self/status}. */
  static List<Integer> allowedCpus() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("Cpus_allowed_list:")) {
          return parseCpuList(line.substring(line.indexOf(':') + 1).trim());
        }
      }
    } catch (IOException e) {
      // Not Linux, or /proc unavailable: fall back to counting.
    }
    List<Integer> cpus = new ArrayList<>();
    for (int i = 0; i < Runtime.getRuntime().availableProcessors(); i++) {
      cpus.add(i);
    }
    return cpus;
  }

  /** Parses a kernel CPU list such as {@code 0-3,8,10-11}. */
  static List<Integer> parseCpuList(String list) {
    List<Integer> cpus = new ArrayList<>();
    for (String part : list.split(",")) {
      String p = part.trim();
      if (p.isEmpty()) {
        continue;
      }
      int dash = p.indexOf('-');
      if (dash < 0) {
        cpus.add(Integer.parseInt(p));
      } else {
        int from = Integer.parseInt(p.substring(0, dash));
        int to = Integer.parseInt(p.substring(dash + 1));
        if (to < from || to - from > 4096) {
          throw new IllegalArgumentException("cpu list: '" + list + "' (expected: ranges like 0-3)");
        }
        for (int c = from; c <= to; c++) {
          cpus.add(c);
        }
      }
    }
    return cpus;
  }
}
