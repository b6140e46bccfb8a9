package dev.weft.perf.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class WindowSamplerTest {
  /** Records when each /proc read happens instead of reading /proc. */
  private static final class RecordingStats extends ProcessTreeStats {
    final List<Long> memoryReads = new CopyOnWriteArrayList<>();
    final List<Long> treeScans = new CopyOnWriteArrayList<>();
    final List<Long> cpuReads = new CopyOnWriteArrayList<>();
    private final AtomicLong memory = new AtomicLong(1_000);

    RecordingStats() {
      super(100);
    }

    @Override
    List<Long> tree(long pid) {
      treeScans.add(System.nanoTime());
      return List.of(pid);
    }

    @Override
    double cpuSeconds(List<Long> tree) {
      cpuReads.add(System.nanoTime());
      return cpuReads.size();
    }

    @Override
    Memory memory(long pid) {
      memoryReads.add(System.nanoTime());
      long kib = memory.addAndGet(10);
      return new Memory(kib, kib, kib);
    }
  }

  @Test
  void memoryIsSampledThroughTheWarmUpAndAfterTheWindowButNeverInsideIt() throws InterruptedException {
    RecordingStats stats = new RecordingStats();
    BenchPlan.Phase phase = new BenchPlan.Phase("1000", 1000, 1, Duration.ofMillis(900), Duration.ofMillis(700));
    AtomicLong t0 = new AtomicLong();
    CountDownLatch started = new CountDownLatch(1);
    ScenarioRunner.WindowSampler sampler = new ScenarioRunner.WindowSampler(Map.of("px", 42L), stats, t0,
        started, phase);
    Thread thread = Thread.ofPlatform().start(sampler);
    t0.set(System.nanoTime());
    started.countDown();
    thread.join(Duration.ofSeconds(10));
    assertThat(thread.isAlive()).isFalse();
    assertThat(sampler.failure).isNull();

    long windowStart = t0.get() + phase.warmup().toNanos();
    long windowEnd = windowStart + phase.duration().toNanos();
    assertThat(stats.memoryReads).allSatisfy(t -> assertThat(t < windowStart - ScenarioRunner.WindowSampler.QUIET_NANOS
        || t >= windowEnd).as("a memory read %d ms into the window", (t - windowStart) / 1_000_000).isTrue());
    assertThat(stats.memoryReads.stream().filter(t -> t < windowStart).count()).isGreaterThanOrEqualTo(2);
    assertThat(stats.memoryReads.getLast()).isGreaterThanOrEqualTo(windowEnd);
    assertThat(stats.treeScans).allSatisfy(t -> assertThat(t).isLessThan(windowStart));
    assertThat(stats.cpuReads).hasSize(2);
    assertThat(stats.cpuReads.getFirst()).isGreaterThanOrEqualTo(windowStart);
    assertThat(stats.cpuReads.getLast()).isGreaterThanOrEqualTo(windowEnd);

    // The peak is the largest sample (the fake grows by 10 KiB a read), CPU the difference across the window.
    long lastKiB = 1_000 + 10L * stats.memoryReads.size();
    assertThat(sampler.peak).containsEntry("px", new ProcessTreeStats.Memory(lastKiB, lastKiB, lastKiB));
    assertThat(sampler.cpu).containsEntry("px", 1.0);
    assertThat(sampler.windowNanos).isGreaterThanOrEqualTo(phase.duration().toNanos());
  }
}
