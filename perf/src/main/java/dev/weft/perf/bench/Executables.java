package dev.weft.perf.bench;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Finds programs on {@code PATH} (and in {@code /usr/sbin} and {@code /sbin}, where HAProxy and nginx live). */
final class Executables {
  private Executables() {}

  static Optional<Path> find(String name) {
    String path = System.getenv().getOrDefault("PATH", "") + File.pathSeparator + "/usr/sbin:/sbin:/usr/local/sbin";
    for (String dir : path.split(File.pathSeparator)) {
      if (dir.isEmpty()) {
        continue;
      }
      Path candidate = Path.of(dir, name);
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  /** The first line a command prints (e.g. its version), or "unknown". */
  static String firstLine(String... command) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes()).strip();
      p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
      int nl = out.indexOf('\n');
      return out.isEmpty() ? "unknown" : nl < 0 ? out : out.substring(0, nl);
    } catch (java.io.IOException e) {
      return "unknown";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "unknown";
    }
  }
}
