package dev.weft.perf.bench;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A process the harness started (a sidecar, HAProxy or nginx): its combined stdout and stderr go
 * to a log file in the run directory and can be waited on line by line. {@link #close()} stops
 * it by PID — SIGTERM, then SIGKILL after a grace period — together with any descendants it
 * leaves behind; nothing else is ever signalled.
 */
final class ManagedProcess implements AutoCloseable {
  /** Lines kept in memory for {@link #awaitLine} and error messages. */
  private static final int MAX_KEPT_LINES = 2000;
  private static final Duration STOP_GRACE = Duration.ofSeconds(10);

  private final String name;
  private final Process process;
  private final long startNanos;
  private final Path log;
  private final List<String> lines = new ArrayList<>();
  private final CompletableFuture<Void> outputClosed = new CompletableFuture<>();

  private ManagedProcess(String name, Process process, long startNanos, Path log) {
    this.name = name;
    this.process = process;
    this.startNanos = startNanos;
    this.log = log;
  }

  /**
   * Starts {@code command} in {@code workDir} with extra environment variables.
   *
   * @param name short name used in logs and results, e.g. {@code weft-out}
   */
  static ManagedProcess start(String name, List<String> command, Path workDir, Map<String, String> env,
      Path log) throws IOException {
    ProcessBuilder builder = new ProcessBuilder(command)
        .directory(workDir.toFile())
        .redirectErrorStream(true)
        .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
    builder.environment().putAll(env);
    long start = System.nanoTime();
    Process process = builder.start();
    ManagedProcess managed = new ManagedProcess(name, process, start, log);
    Thread.ofVirtual().name("output-" + name).start(managed::pumpOutput);
    return managed;
  }

  private void pumpOutput() {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
         BufferedWriter out = Files.newBufferedWriter(log, StandardCharsets.UTF_8)) {
      String line;
      while ((line = in.readLine()) != null) {
        out.write(line);
        out.newLine();
        out.flush();
        synchronized (lines) {
          if (lines.size() < MAX_KEPT_LINES) {
            lines.add(line);
          }
          lines.notifyAll();
        }
      }
    } catch (IOException e) {
      // The process went away; what it printed so far is in the log.
    } finally {
      synchronized (lines) {
        outputClosed.complete(null);
        lines.notifyAll();
      }
    }
  }

  String name() {
    return name;
  }

  long pid() {
    return process.pid();
  }

  /** {@link System#nanoTime()} just before the process was spawned. */
  long startNanos() {
    return startNanos;
  }

  Path log() {
    return log;
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /**
   * Waits for the first output line matching {@code match}.
   *
   * @return the line
   * @throws IllegalStateException naming the process and quoting its last output if it exits or
   *                               {@code timeout} passes first
   */
  String awaitLine(Predicate<String> match, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    int seen = 0;
    synchronized (lines) {
      while (true) {
        for (; seen < lines.size(); seen++) {
          if (match.test(lines.get(seen))) {
            return lines.get(seen);
          }
        }
        long left = deadline - System.nanoTime();
        if (outputClosed.isDone() || left <= 0) {
          throw new IllegalStateException(name + ": " + (outputClosed.isDone() ? "exited" : "no expected output within "
              + timeout.toMillis() + " ms") + "; last output: " + tail(8));
        }
        TimeUnit.NANOSECONDS.timedWait(lines, left);
      }
    }
  }

  /** The last {@code n} lines the process printed, joined with " | ". */
  String tail(int n) {
    synchronized (lines) {
      List<String> last = lines.subList(Math.max(0, lines.size() - n), lines.size());
      return last.isEmpty() ? "(none)" : String.join(" | ", last);
    }
  }

  /** Stops the process (SIGTERM, then SIGKILL after a grace period) and any descendants left over. */
  @Override
  public void close() {
    List<ProcessHandle> descendants = process.descendants().toList();
    process.destroy();
    try {
      if (!process.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        process.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    for (ProcessHandle d : descendants) {
      if (d.isAlive()) {
        d.destroyForcibly();
      }
    }
  }
}
