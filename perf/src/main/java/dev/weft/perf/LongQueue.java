package dev.weft.perf;

import java.util.NoSuchElementException;

/**
 * A growable FIFO ring of primitive {@code long}s. Holds the intended send times of requests
 * that are due but waiting for a free slot on their connection, without boxing.
 *
 * <p>Not thread-safe: each instance belongs to one connection and is used on its event loop.
 */
final class LongQueue {
  private long[] elements;
  private int head;
  private int size;

  LongQueue(int initialCapacity) {
    elements = new long[Math.max(2, Integer.highestOneBit(Math.max(1, initialCapacity - 1)) << 1)];
  }

  int size() {
    return size;
  }

  boolean isEmpty() {
    return size == 0;
  }

  void addLast(long value) {
    if (size == elements.length) {
      grow();
    }
    elements[(head + size) & (elements.length - 1)] = value;
    size++;
  }

  long peekFirst() {
    if (size == 0) {
      throw new NoSuchElementException("queue is empty");
    }
    return elements[head];
  }

  long removeFirst() {
    long value = peekFirst();
    head = (head + 1) & (elements.length - 1);
    size--;
    return value;
  }

  void clear() {
    head = 0;
    size = 0;
  }

  private void grow() {
    long[] bigger = new long[elements.length << 1];
    int firstPart = Math.min(size, elements.length - head);
    System.arraycopy(elements, head, bigger, 0, firstPart);
    System.arraycopy(elements, 0, bigger, firstPart, size - firstPart);
    elements = bigger;
    head = 0;
  }
}
