package dev.weft.certs;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.Delayed;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A single-threaded scheduler driven by a {@link MutableClock}: tasks run only inside {@link
 * #advance(Duration)}, on the calling thread, in due order, with the clock set to their due time.
 */
final class ManualScheduler extends AbstractExecutorService implements ScheduledExecutorService {

  private final MutableClock clock;
  private final PriorityQueue<Task> queue =
      new PriorityQueue<>(Comparator.comparing((Task t) -> t.due).thenComparingLong(t -> t.sequence));
  private final List<Duration> scheduledDelays = new ArrayList<>();
  private long sequence;
  private boolean shutdown;

  ManualScheduler(MutableClock clock) {
    this.clock = clock;
  }

  /** Moves the clock forward by {@code duration}, running every task that falls due. */
  void advance(Duration duration) {
    Instant end = clock.instant().plus(duration);
    while (true) {
      Task next = queue.peek();
      if (next == null || next.due.isAfter(end)) {
        break;
      }
      queue.poll();
      if (next.due.isAfter(clock.instant())) {
        clock.set(next.due);
      }
      if (!next.cancelled) {
        next.done = true;
        next.runnable.run();
      }
    }
    clock.set(end);
  }

  /** Runs tasks already due without moving the clock. */
  void runDue() {
    advance(Duration.ZERO);
  }

  /** Returns the delays of every task scheduled so far, in order. */
  List<Duration> scheduledDelays() {
    return List.copyOf(scheduledDelays);
  }

  /** Returns the number of tasks waiting that are not cancelled. */
  long pendingCount() {
    return queue.stream().filter(t -> !t.cancelled).count();
  }

  @Override
  public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
    if (shutdown) {
      throw new java.util.concurrent.RejectedExecutionException("shut down");
    }
    Duration d = Duration.ofNanos(unit.toNanos(delay));
    scheduledDelays.add(d);
    Task task = new Task(command, clock.instant().plus(d), sequence++);
    queue.add(task);
    return task;
  }

  @Override
  public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
    throw new UnsupportedOperationException();
  }

  @Override
  public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period, TimeUnit unit) {
    throw new UnsupportedOperationException();
  }

  @Override
  public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay, TimeUnit unit) {
    throw new UnsupportedOperationException();
  }

  @Override
  public void execute(Runnable command) {
    schedule(command, 0, TimeUnit.NANOSECONDS);
  }

  @Override
  public void shutdown() {
    shutdown = true;
  }

  @Override
  public List<Runnable> shutdownNow() {
    shutdown = true;
    List<Runnable> left = new ArrayList<>();
    queue.forEach(t -> left.add(t.runnable));
    queue.clear();
    return left;
  }

  @Override
  public boolean isShutdown() {
    return shutdown;
  }

  @Override
  public boolean isTerminated() {
    return shutdown && queue.isEmpty();
  }

  @Override
  public boolean awaitTermination(long timeout, TimeUnit unit) {
    return isTerminated();
  }

  private final class Task implements ScheduledFuture<Object> {
    final Runnable runnable;
    final Instant due;
    final long sequence;
    volatile boolean cancelled;
    volatile boolean done;

    Task(Runnable runnable, Instant due, long sequence) {
      this.runnable = runnable;
      this.due = due;
      this.sequence = sequence;
    }

    @Override
    public long getDelay(TimeUnit unit) {
      return unit.convert(Duration.between(clock.instant(), due));
    }

    @Override
    public int compareTo(Delayed other) {
      return Long.compare(getDelay(TimeUnit.NANOSECONDS), other.getDelay(TimeUnit.NANOSECONDS));
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      if (done) {
        return false;
      }
      cancelled = true;
      return true;
    }

    @Override
    public boolean isCancelled() {
      return cancelled;
    }

    @Override
    public boolean isDone() {
      return done || cancelled;
    }

    @Override
    public Object get() {
      return null;
    }

    @Override
    public Object get(long timeout, TimeUnit unit) {
      return null;
    }
  }
}
