package dev.weft.proxy.upstream;

import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import java.util.IdentityHashMap;
import java.util.Map;

/** Numbers the event loops of the worker group so per-loop state lives in plain arrays. */
public final class EventLoopIndex {
  private final Map<EventExecutor, Integer> index = new IdentityHashMap<>();
  private final java.util.List<io.netty.channel.EventLoop> loops = new java.util.ArrayList<>();

  public EventLoopIndex(EventLoopGroup group) {
    int i = 0;
    for (EventExecutor e : group) {
      index.put(e, i++);
      loops.add((io.netty.channel.EventLoop) e);
    }
  }

  /** The loop numbered {@code i} (for timers that belong to no connection, e.g. health checks). */
  public io.netty.channel.EventLoop loop(int i) {
    return loops.get(Math.floorMod(i, loops.size()));
  }

  public int size() {
    return index.size();
  }

  /** The index of {@code loop}; the map is read-only after construction, so no locking. */
  public int of(EventExecutor loop) {
    Integer i = index.get(loop);
    if (i == null) {
      throw new IllegalArgumentException("not a worker event loop: " + loop);
    }
    return i;
  }
}
