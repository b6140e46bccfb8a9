package dev.weft.perf.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Facts about the machine a run happened on, for the report: CPUs, CPU model, JDK, kernel, load. */
final class MachineFacts {
  private MachineFacts() {}

  private static long onlineCpus() {
    try (var lines = java.nio.file.Files.lines(Path.of("/proc/cpuinfo"))) {
      long n = lines.filter(l -> l.startsWith("processor")).count();
      return n > 0 ? n : Runtime.getRuntime().availableProcessors();
    } catch (java.io.IOException e) {
      return Runtime.getRuntime().availableProcessors();
    }
  }

  static Map<String, String> collect() {
    Map<String, String> f = new LinkedHashMap<>();
    // Counted from /proc/cpuinfo: this JVM may itself be pinned to one CPU by the suite.
    f.put("cpus", onlineCpus() + " online (this process may use CPU list "
        + CpuPinning.cpuList(CpuPinning.allowedCpus()) + ")");
    f.put("cpuModel", cpuModel());
    f.put("memory", read("/proc/meminfo", "MemTotal:"));
    f.put("jdk", System.getProperty("java.vm.vendor") + " " + System.getProperty("java.vm.name") + " "
        + Runtime.version());
    f.put("kernel", firstLine(Path.of("/proc/sys/kernel/osrelease")));
    f.put("loadAverageAtStart", firstLine(Path.of("/proc/loadavg")));
    f.put("haproxy", Executables.find("haproxy").map(p -> Executables.firstLine(p.toString(), "-v"))
        .orElse("not installed"));
    f.put("nginx", Executables.find("nginx").map(p -> Executables.firstLine(p.toString(), "-v"))
        .orElse("not installed"));
    return f;
  }

  private static String cpuModel() {
    String model = read("/proc/cpuinfo", "model name");
    return model.startsWith(":") ? model.substring(1).trim() : model;
  }

  private static String read(String file, String prefix) {
    try {
      for (String line : Files.readAllLines(Path.of(file))) {
        if (line.startsWith(prefix)) {
          String rest = line.substring(prefix.length()).trim();
          return rest.startsWith(":") ? rest.substring(1).trim() : rest;
        }
      }
    } catch (IOException e) {
      // Reported as unknown.
    }
    return "unknown";
  }

  private static String firstLine(Path file) {
    try {
      return Files.readAllLines(file).stream().findFirst().orElse("unknown").trim();
    } catch (IOException e) {
      return "unknown";
    }
  }
}
