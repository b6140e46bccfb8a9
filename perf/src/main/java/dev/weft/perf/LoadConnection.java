package dev.weft.perf;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One load-generating connection: it decides <em>when</em> requests are due and keeps the socket
 * open; subclasses decide <em>how</em> a request is written and its response read.
 *
 * <p>All state is confined to one event loop. Nothing here blocks: connecting, the open-loop
 * schedule, timeouts and reconnects are callbacks and scheduled tasks on that loop.
 *
 * <h2>Scheduling</h2>
 *
 * <ul>
 *   <li><b>Open loop</b> ({@code rate > 0}): connection {@code i} of {@code C} owns the intended
 *       send times {@code t0 + (i + k*C) / rate} for {@code k = 0, 1, ...}, so the total rate is
 *       spread evenly and each request has its own slot on a fixed schedule. A timer fires at each
 *       slot; due requests wait in a queue when the connection has no free slot (HTTP/1.1 busy,
 *       HTTP/2 stream limit) or is reconnecting. Latency is always measured from the intended
 *       time, so a stalled upstream shows up in the histogram instead of silently slowing the
 *       generator (no coordinated omission).
 *   <li><b>Closed loop</b> ({@code rate == 0}): the connection keeps its concurrency limit of
 *       requests in flight; each completion triggers the next send, whose intended time is the
 *       moment it is sent.
 * </ul>
 *
 * <p>Every request takes a permit from the run's shared budget first, so the run never issues
 * more than {@link LoadConfig#maxRequests()}. A request that has not completed
 * {@link LoadConfig#requestTimeout()} after its intended time counts as a timeout, queued or not.
 */
abstract class LoadConnection {
  private enum State { IDLE, CONNECTING, READY, FINISHED }

  protected final LoadConfig config;
  protected final EventLoop loop;
  private final Bootstrap bootstrap;
  private final AtomicLong budget;
  private final int index;
  private final long timeoutNanos;
  private final long reconnectDelayNanos;
  private final CompletableFuture<Void> finished = new CompletableFuture<>();
  private final LongQueue due = new LongQueue(16);

  private RunStats stats;
  private State state = State.IDLE;
  private Channel channel;
  private long exchangesOnChannel;
  private boolean generating;
  private boolean reconnectPending;
  private boolean pumping;
  private long t0;
  private long endNanos;
  private long slot;
  private ScheduledFuture<?> tick;
  private ScheduledFuture<?> sweep;
  private ScheduledFuture<?> endTimer;

  LoadConnection(LoadConfig config, EventLoop loop, Bootstrap bootstrap, AtomicLong budget, int index) {
    this.config = config;
    this.loop = loop;
    this.budget = budget;
    this.index = index;
    this.timeoutNanos = config.requestTimeout().toNanos();
    this.reconnectDelayNanos = config.reconnectDelay().toNanos();
    this.bootstrap = bootstrap.clone(loop).handler(new ChannelInitializer<>() {
      @Override
      protected void initChannel(Channel ch) {
        initPipeline(ch);
      }
    });
  }

  // ---- protocol hooks, all called on the event loop ----

  /** Adds the protocol's codec and response handler to a new channel's pipeline. */
  protected abstract void initPipeline(Channel ch);

  /** Requests that may be in flight on the current channel right now. */
  protected abstract int capacity();

  /** Requests in flight on the current channel. */
  protected abstract int inFlight();

  /** Writes one request (without flushing) whose latency counts from {@code intendedNanos}. */
  protected abstract void send(Channel ch, long intendedNanos);

  /** Times out in-flight requests intended at or before {@code cutoffNanos}. */
  protected abstract void expireInFlight(long cutoffNanos, long nowNanos);

  /** Ends every in-flight request with {@code outcome} and forgets it. */
  protected abstract void failInFlight(Outcome outcome, long nowNanos);

  // ---- lifecycle, driven by LoadGenerator ----

  /** Opens the connection ahead of the run; the returned future completes either way. */
  CompletableFuture<Void> preconnect() {
    CompletableFuture<Void> done = new CompletableFuture<>();
    loop.execute(() -> connect().addListener(f -> done.complete(null)));
    return done;
  }

  /**
   * Starts generating load. {@code t0} is the common start of the run; the measured window is
   * {@code [t0 + warmup, t0 + warmup + duration)}.
   */
  void start(long t0, RunStats stats) {
    loop.execute(() -> {
      this.t0 = t0;
      this.stats = stats;
      this.endNanos = t0 + config.warmup().toNanos() + config.duration().toNanos();
      this.generating = true;
      long sweepNanos = Math.clamp(timeoutNanos / 20, TimeUnit.MILLISECONDS.toNanos(1),
          TimeUnit.MILLISECONDS.toNanos(50));
      sweep = loop.scheduleAtFixedRate(this::sweep, sweepNanos, sweepNanos, TimeUnit.NANOSECONDS);
      endTimer = loop.schedule(this::stopGenerating, endNanos - System.nanoTime(), TimeUnit.NANOSECONDS);
      if (config.closedLoop()) {
        pump();
      } else {
        onTick();
      }
    });
  }

  /** Completes when this connection has stopped generating and has nothing outstanding. */
  CompletableFuture<Void> finished() {
    return finished;
  }

  /**
   * Ends the connection now: queued and in-flight requests count as timeouts. Used when the run's
   * hard deadline passes; the returned future completes once done on the event loop.
   */
  CompletableFuture<Void> forceFinish() {
    CompletableFuture<Void> done = new CompletableFuture<>();
    loop.execute(() -> {
      if (state != State.FINISHED) {
        long now = System.nanoTime();
        generating = false;
        while (!due.isEmpty()) {
          record(due.removeFirst(), now, Outcome.TIMEOUT);
        }
        failInFlight(Outcome.TIMEOUT, now);
        finish();
      }
      done.complete(null);
    });
    return done;
  }

  // ---- callbacks from protocol handlers ----

  /** Records the end of one request. Subclasses call this on the event loop. */
  protected final void record(long intendedNanos, long nowNanos, Outcome outcome) {
    if (state == State.FINISHED) {
      return; // the stats have been handed over
    }
    if (stats != null) {
      stats.record(intendedNanos, nowNanos, outcome);
    }
    if (outcome.hasResponse()) {
      exchangesOnChannel++;
    }
  }

  /**
   * Sends whatever is due and fits: queued open-loop requests first, then, in closed loop, new
   * requests up to the channel's capacity. Connects when there is work and no channel.
   */
  protected final void pump() {
    if (pumping || state == State.FINISHED || stats == null) {
      return;
    }
    pumping = true;
    try {
      long now = System.nanoTime();
      expireQueued(now);
      if (state != State.READY) {
        if (state == State.IDLE && !reconnectPending && hasWork(now)) {
          connect();
        }
        return;
      }
      Channel ch = channel;
      boolean wrote = false;
      while (!due.isEmpty() && inFlight() < capacity() && state == State.READY) {
        send(ch, due.removeFirst());
        wrote = true;
      }
      if (config.closedLoop()) {
        while (generating && state == State.READY && inFlight() < capacity()) {
          if (now >= endNanos) {
            stopGenerating();
            break;
          }
          if (!takePermit()) {
            break;
          }
          send(ch, now);
          wrote = true;
        }
      }
      if (wrote) {
        ch.flush();
      }
    } finally {
      pumping = false;
    }
    checkFinished();
  }

  /** Called by subclasses when the current channel can take no more requests and should close. */
  protected final void retire(Channel ch) {
    if (ch == channel && state == State.READY) {
      state = State.IDLE;
      channel = null;
      ch.close();
    }
  }

  // ---- internals ----

  private boolean hasWork(long now) {
    return !due.isEmpty() || (generating && config.closedLoop() && now < endNanos);
  }

  private boolean takePermit() {
    if (budget.getAndDecrement() > 0) {
      return true;
    }
    budget.set(0);
    stopGenerating();
    return false;
  }

  /** Open loop: queue every slot that is due, then sleep until the next one. */
  private void onTick() {
    tick = null;
    if (!generating) {
      return;
    }
    long now = System.nanoTime();
    long next = slotTime(slot);
    while (next <= now) {
      if (next >= endNanos) {
        stopGenerating();
        break;
      }
      if (!takePermit()) {
        break;
      }
      due.addLast(next);
      next = slotTime(++slot);
    }
    if (generating) {
      if (next >= endNanos) {
        stopGenerating();
      } else {
        tick = loop.schedule(this::onTick, next - now, TimeUnit.NANOSECONDS);
      }
    }
    pump();
  }

  private long slotTime(long k) {
    double periodNanos = 1e9 / config.rate();
    return t0 + Math.round((index + (double) k * config.connections()) * periodNanos);
  }

  private void stopGenerating() {
    if (!generating) {
      return;
    }
    generating = false;
    if (tick != null) {
      tick.cancel(false);
      tick = null;
    }
    if (endTimer != null) {
      endTimer.cancel(false);
      endTimer = null;
    }
    checkFinished();
  }

  private void sweep() {
    long now = System.nanoTime();
    expireQueued(now);
    if (state == State.READY) {
      expireInFlight(now - timeoutNanos, now);
    }
    pump();
  }

  private void expireQueued(long now) {
    long cutoff = now - timeoutNanos;
    while (!due.isEmpty() && due.peekFirst() <= cutoff) {
      record(due.removeFirst(), now, Outcome.TIMEOUT);
    }
  }

  private ChannelFuture connect() {
    state = State.CONNECTING;
    exchangesOnChannel = 0;
    ChannelFuture f = bootstrap.connect();
    f.addListener((ChannelFuture cf) -> onConnected(cf));
    return f;
  }

  private void onConnected(ChannelFuture f) {
    if (state == State.FINISHED) {
      f.channel().close();
      return;
    }
    if (!f.isSuccess()) {
      state = State.IDLE;
      onConnectFailed();
      return;
    }
    Channel ch = f.channel();
    channel = ch;
    state = State.READY;
    ch.closeFuture().addListener(cf -> onClosed(ch));
    pump();
  }

  private void onConnectFailed() {
    if (stats == null) {
      return; // preconnect: the run has not started, nothing to count
    }
    long now = System.nanoTime();
    boolean counted = false;
    while (!due.isEmpty()) {
      record(due.removeFirst(), now, Outcome.CONNECT_ERROR);
      counted = true;
    }
    // In closed loop the request this connection would have sent fails instead.
    if (!counted && config.closedLoop() && generating && now < endNanos && takePermit()) {
      record(now, now, Outcome.CONNECT_ERROR);
    }
    scheduleReconnect();
    checkFinished();
  }

  private void onClosed(Channel ch) {
    if (ch != channel) {
      return; // already retired or replaced
    }
    channel = null;
    if (state == State.FINISHED) {
      return;
    }
    state = State.IDLE;
    failInFlight(Outcome.IO_ERROR, System.nanoTime());
    if (exchangesOnChannel == 0) {
      scheduleReconnect(); // a peer that closes at once must not make us spin
    } else {
      pump();
    }
  }

  private void scheduleReconnect() {
    if (reconnectPending) {
      return;
    }
    reconnectPending = true;
    loop.schedule(() -> {
      reconnectPending = false;
      pump();
    }, reconnectDelayNanos, TimeUnit.NANOSECONDS);
  }

  private void checkFinished() {
    if (state != State.FINISHED && stats != null && !generating && due.isEmpty()
        && (state != State.READY || inFlight() == 0)) {
      finish();
    }
  }

  private void finish() {
    state = State.FINISHED;
    generating = false;
    if (tick != null) {
      tick.cancel(false);
    }
    if (sweep != null) {
      sweep.cancel(false);
    }
    if (endTimer != null) {
      endTimer.cancel(false);
    }
    Channel ch = channel;
    channel = null;
    if (ch != null) {
      ch.close();
    }
    finished.complete(null);
  }
}
