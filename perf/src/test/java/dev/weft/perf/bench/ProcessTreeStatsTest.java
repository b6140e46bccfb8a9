package dev.weft.perf.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ProcessTreeStatsTest {
  @Test
  void sumsUserSystemAndChildTicksEvenWhenTheCommandHasSpacesAndParens() {
    String stat = "4242 (nginx: worker (x)) S 1 4242 4242 0 -1 4194560 100 0 0 0 "
        + "150 50 7 3 20 0 1 0 12345 1000 200 18446744073709551615";
    assertThat(ProcessTreeStats.parseCpuTicks(stat)).isEqualTo(150 + 50 + 7 + 3);
  }

  @Test
  void rejectsAStatLineWithoutCommand() {
    assertThatThrownBy(() -> ProcessTreeStats.parseCpuTicks("garbage"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected");
  }

  @Test
  void readsRssPssAndPssAnonFromSmapsRollup() {
    String rollup = """
        55d0c000000-7ffd1000000 ---p 00000000 00:00 0                          [rollup]
        Rss:               40960 kB
        Pss:               20480 kB
        Pss_Dirty:          1000 kB
        Pss_Anon:          12288 kB
        Pss_File:           8192 kB
        Shared_Clean:       1024 kB
        """;
    assertThat(ProcessTreeStats.parseRollup(rollup)).isEqualTo(new ProcessTreeStats.Memory(40960, 20480, 12288));
  }

  @Test
  void measuresThisProcess() {
    ProcessTreeStats stats = ProcessTreeStats.forThisMachine();
    long pid = ProcessHandle.current().pid();
    assertThat(stats.cpuSeconds(pid)).isPositive();
    assertThat(stats.memory(pid).pssKiB()).isPositive();
  }
}
