package dev.weft.perf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.NoSuchElementException;
import org.junit.jupiter.api.Test;

class LongQueueTest {
  @Test
  void keepsFifoOrderAcrossGrowthAndWrapAround() {
    LongQueue q = new LongQueue(2);
    long next = 0;
    long expected = 0;
    for (int round = 0; round < 50; round++) {
      for (int i = 0; i < round; i++) {
        q.addLast(next++);
      }
      for (int i = 0; i < round / 2; i++) {
        assertThat(q.removeFirst()).isEqualTo(expected++);
      }
    }
    while (!q.isEmpty()) {
      assertThat(q.removeFirst()).isEqualTo(expected++);
    }
    assertThat(expected).isEqualTo(next);
  }

  @Test
  void emptyQueueRefusesToPeek() {
    LongQueue q = new LongQueue(4);
    q.addLast(7);
    q.clear();
    assertThat(q.size()).isZero();
    assertThatThrownBy(q::peekFirst).isInstanceOf(NoSuchElementException.class);
  }
}
