package dev.weft.perf.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * CPU time and memory of a process and all its descendants (nginx and HAProxy workers, for
 * example), read from Linux {@code /proc}.
 *
 * <ul>
 *   <li>CPU: {@code utime + stime + cutime + cstime} of every process in the tree, from
 *       {@code /proc/PID/stat}. A live process counts its own time; a child that exited and was
 *       reaped has moved its time into its parent's {@code cutime}/{@code cstime}, so nothing is
 *       counted twice or lost.
 *   <li>Memory: {@code Rss}, {@code Pss} and {@code Pss_Anon} from {@code /proc/PID/smaps_rollup},
 *       summed over the tree. PSS divides shared pages between the processes sharing them, so a
 *       tree's PSS is its fair share of memory; its RSS counts shared pages once per process.
 * </ul>
 */
class ProcessTreeStats {
  private static final Path PROC = Path.of("/proc");
  private final long clockTicksPerSecond;

  ProcessTreeStats(long clockTicksPerSecond) {
    if (clockTicksPerSecond < 1) {
      throw new IllegalArgumentException("clockTicksPerSecond: " + clockTicksPerSecond + " (expected: >= 1)");
    }
    this.clockTicksPerSecond = clockTicksPerSecond;
  }

  /** Reads the clock tick rate with {@code getconf CLK_TCK}; 100 (Linux's USER_HZ) if that fails. */
  static ProcessTreeStats forThisMachine() {
    long ticks = 100;
    try {
      Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
      if (p.waitFor(5, TimeUnit.SECONDS) && p.exitValue() == 0) {
        ticks = Long.parseLong(out);
      }
    } catch (IOException | NumberFormatException e) {
      // Keep USER_HZ, which is 100 on every mainstream Linux build.
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return new ProcessTreeStats(ticks);
  }

  /** Whether {@code /proc/self/smaps_rollup} exists (Linux 4.14+). */
  static boolean available() {
    return Files.isReadable(PROC.resolve("self/smaps_rollup"));
  }

  /** Memory figures in KiB. */
  record Memory(long rssKiB, long pssKiB, long pssAnonKiB) {
    static final Memory ZERO = new Memory(0, 0, 0);

    Memory plus(Memory other) {
      return new Memory(rssKiB + other.rssKiB, pssKiB + other.pssKiB, pssAnonKiB + other.pssAnonKiB);
    }

    /** Element-wise maximum. */
    Memory max(Memory other) {
      return new Memory(Math.max(rssKiB, other.rssKiB), Math.max(pssKiB, other.pssKiB),
          Math.max(pssAnonKiB, other.pssAnonKiB));
    }
  }

  /** Total CPU seconds (user + system, children included) used so far by the tree rooted at {@code pid}. */
  double cpuSeconds(long pid) {
    return cpuSeconds(tree(pid));
  }

  /**
   * Total CPU seconds used so far by the given processes (a {@link #tree}): one small
   * {@code /proc/PID/stat} read each, without the scan of every process that finding a tree takes.
   */
  double cpuSeconds(List<Long> tree) {
    long ticks = 0;
    for (long p : tree) {
      ticks += cpuTicks(p);
    }
    return (double) ticks / clockTicksPerSecond;
  }

  /** Current memory of the tree rooted at {@code pid}; processes that vanish while reading count as zero. */
  Memory memory(long pid) {
    Memory total = Memory.ZERO;
    for (long p : tree(pid)) {
      total = total.plus(memoryOf(p));
    }
    return total;
  }

  /** {@code pid} and its descendants now (the JDK finds them by reading every process's {@code /proc/PID/stat}). */
  List<Long> tree(long pid) {
    List<Long> pids = new ArrayList<>();
    pids.add(pid);
    ProcessHandle.of(pid).ifPresent(h -> h.descendants().forEach(d -> pids.add(d.pid())));
    return pids;
  }

  /** utime + stime + cutime + cstime (fields 14–17 of /proc/PID/stat), or 0 if the process is gone. */
  static long cpuTicks(long pid) {
    String stat;
    try {
      stat = Files.readString(PROC.resolve(pid + "/stat"), StandardCharsets.US_ASCII);
    } catch (NoSuchFileException e) {
      return 0;
    } catch (IOException e) {
      throw new IllegalStateException("cannot read /proc/" + pid + "/stat: " + e.getMessage(), e);
    }
    return parseCpuTicks(stat);
  }

  /** Parses a {@code /proc/PID/stat} line; the command name in parentheses may contain spaces. */
  static long parseCpuTicks(String stat) {
    int close = stat.lastIndexOf(')');
    if (close < 0) {
      throw new IllegalArgumentException("stat: '" + stat + "' (expected: pid (comm) state ...)");
    }
    // After "(comm) " comes field 3 (state); utime is field 14, i.e. index 11 from there.
    String[] f = stat.substring(close + 2).trim().split(" ");
    if (f.length < 15) {
      throw new IllegalArgumentException("stat: too few fields (" + f.length + ", expected: >= 15)");
    }
    return Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13]) + Long.parseLong(f[14]);
  }

  static Memory memoryOf(long pid) {
    String rollup;
    try {
      rollup = Files.readString(PROC.resolve(pid + "/smaps_rollup"), StandardCharsets.US_ASCII);
    } catch (NoSuchFileException e) {
      return Memory.ZERO;
    } catch (IOException e) {
      throw new IllegalStateException("cannot read /proc/" + pid + "/smaps_rollup: " + e.getMessage(), e);
    }
    return parseRollup(rollup);
  }

  /** Parses the {@code Rss}, {@code Pss} and {@code Pss_Anon} lines (in kB) of {@code smaps_rollup}. */
  static Memory parseRollup(String rollup) {
    long rss = 0;
    long pss = 0;
    long pssAnon = 0;
    for (String line : rollup.split("\n")) {
      int colon = line.indexOf(':');
      if (colon < 0) {
        continue;
      }
      String key = line.substring(0, colon);
      if (!key.equals("Rss") && !key.equals("Pss") && !key.equals("Pss_Anon")) {
        continue;
      }
      String value = line.substring(colon + 1).trim();
      int space = value.indexOf(' ');
      long kib = Long.parseLong(space < 0 ? value : value.substring(0, space));
      switch (key) {
        case "Rss" -> rss = kib;
        case "Pss" -> pss = kib;
        default -> pssAnon = kib;
      }
    }
    return new Memory(rss, pss, pssAnon);
  }
}
