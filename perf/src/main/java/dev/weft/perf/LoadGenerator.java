package dev.weft.perf;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.internal.ThreadExecutorMap;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;
import org.HdrHistogram.Histogram;

/**
 * Generates HTTP/1.1, h2c or gRPC load against one target and measures latency without
 * coordinated omission.
 *
 * <pre>{@code
 * LoadResult result = LoadGenerator.run(LoadConfig.builder(URI.create("http://127.0.0.1:8080/"))
 *     .protocol(Protocol.H1).connections(8).rate(1000).duration(Duration.ofSeconds(5)).build());
 * System.out.print(result.summary());
 * }</pre>
 *
 * <p>A run owns its event loop group (epoll when available, NIO otherwise) for its lifetime:
 * <ol>
 *   <li>all connections are opened first, so connection setup is not part of the measurement;
 *   <li>every connection then starts from the same instant {@code t0}; requests intended before
 *       {@code t0 + warmup} are sent but not recorded; no request is intended after
 *       {@code t0 + warmup + duration};
 *   <li>the run waits for outstanding requests, at most one request timeout past the end, then
 *       counts whatever is still outstanding as timed out, closes everything and merges the
 *       per-connection histograms.
 * </ol>
 * See {@link LoadConnection} for how requests are scheduled in open and closed loop.
 *
 * <p>{@link #run} blocks the calling thread for the whole run and must not be called from an
 * event loop.
 */
public final class LoadGenerator {
  /** Extra time past the last request timeout before outstanding work is abandoned. */
  private static final long DRAIN_GRACE_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

  private LoadGenerator() {}

  /**
   * Runs the configured load and returns what was measured.
   *
   * @throws IllegalArgumentException if the target host cannot be resolved
   * @throws IllegalStateException if called from an event loop thread
   * @throws InterruptedException if the calling thread is interrupted; the run is stopped
   */
  public static LoadResult run(LoadConfig config) throws InterruptedException {
    return run(config, t0 -> {});
  }

  /**
   * Runs the configured load like {@link #run(LoadConfig)} and tells {@code onStart}, on the
   * calling thread, the {@link System#nanoTime()} instant {@code t0} at which the schedule starts
   * (connections are open by then; the measured window is {@code [t0 + warmup, t0 + warmup +
   * duration)}). Lets a caller sample other things, such as a proxy's CPU time, over exactly
   * the measured window. {@code onStart} must return quickly.
   */
  public static LoadResult run(LoadConfig config, LongConsumer onStart) throws InterruptedException {
    if (ThreadExecutorMap.currentExecutor() != null) {
      throw new IllegalStateException("LoadGenerator.run blocks; call it off the event loop");
    }
    InetSocketAddress target = resolve(config);
    Transport transport = config.preferNativeTransport() ? Transport.best() : Transport.nio();
    MultiThreadIoEventLoopGroup group =
        transport.newGroup(config.ioThreads(), new DefaultThreadFactory("weft-load", true));
    try {
      Bootstrap bootstrap = new Bootstrap()
          .channel(transport.channelClass())
          .remoteAddress(target)
          .option(ChannelOption.TCP_NODELAY, true)
          .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
          .option(ChannelOption.CONNECT_TIMEOUT_MILLIS,
              (int) Math.min(Integer.MAX_VALUE, config.requestTimeout().toMillis()));
      AtomicLong budget = new AtomicLong(config.maxRequests());
      List<LoadConnection> connections = new ArrayList<>(config.connections());
      for (int i = 0; i < config.connections(); i++) {
        EventLoop loop = (EventLoop) group.next();
        connections.add(config.protocol().isHttp2()
            ? new Http2LoadConnection(config, loop, bootstrap, budget, i)
            : new Http1LoadConnection(config, loop, bootstrap, budget, i));
      }
      return measure(config, transport, connections, budget, onStart);
    } finally {
      group.shutdownGracefully(0, 200, TimeUnit.MILLISECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
  }

  private static LoadResult measure(
      LoadConfig config, Transport transport, List<LoadConnection> connections, AtomicLong budget,
      LongConsumer onStart) throws InterruptedException {
    awaitQuietly(all(connections.stream().map(LoadConnection::preconnect).toList()),
        config.requestTimeout().toNanos() + DRAIN_GRACE_NANOS);

    long t0 = System.nanoTime();
    onStart.accept(t0);
    long windowStart = t0 + config.warmup().toNanos();
    long windowEnd = windowStart + config.duration().toNanos();
    List<RunStats> stats = new ArrayList<>(connections.size());
    for (LoadConnection c : connections) {
      RunStats s = new RunStats(windowStart, windowEnd);
      stats.add(s);
      c.start(t0, s);
    }

    CompletableFuture<Void> finished = all(connections.stream().map(LoadConnection::finished).toList());
    long deadline = windowEnd + config.requestTimeout().toNanos() + DRAIN_GRACE_NANOS;
    try {
      awaitQuietly(finished, deadline - System.nanoTime());
    } finally {
      if (!finished.isDone()) {
        // Past the hard deadline (or interrupted): whatever is outstanding has timed out.
        awaitQuietly(all(connections.stream().map(LoadConnection::forceFinish).toList()),
            TimeUnit.SECONDS.toNanos(5));
      }
    }
    // The window is the configured duration unless the request budget ended the run early.
    long stoppedAt = budget.get() > 0 ? windowEnd : Math.min(System.nanoTime(), windowEnd);

    // Hand the per-connection stats over from the event loops: every connection has finished,
    // and the futures' completion orders their last writes before these reads.
    Histogram histogram = new Histogram(3);
    long[] counts = new long[Outcome.values().length];
    for (RunStats s : stats) {
      s.mergeInto(histogram, counts);
    }
    Map<Outcome, Long> outcomes = new EnumMap<>(Outcome.class);
    for (Outcome o : Outcome.values()) {
      outcomes.put(o, counts[o.ordinal()]);
    }
    long measuredNanos = Math.max(0, stoppedAt - windowStart);
    long responses = counts[Outcome.SUCCESS.ordinal()] + counts[Outcome.NON_2XX.ordinal()];
    double rps = measuredNanos == 0 ? 0 : responses * 1e9 / measuredNanos;
    return new LoadResult(config, transport.name(), Duration.ofNanos(measuredNanos), outcomes, rps,
        LatencySummary.of(histogram), histogram);
  }

  private static InetSocketAddress resolve(LoadConfig config) {
    try {
      return new InetSocketAddress(InetAddress.getByName(config.host()), config.port());
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("host: '" + config.host() + "' (expected: a resolvable host)", e);
    }
  }

  private static CompletableFuture<Void> all(List<CompletableFuture<Void>> futures) {
    return CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new));
  }

  private static void awaitQuietly(CompletableFuture<Void> future, long nanos) throws InterruptedException {
    try {
      future.get(Math.max(0, nanos), TimeUnit.NANOSECONDS);
    } catch (TimeoutException | ExecutionException e) {
      // The caller checks isDone(); a connection never completes exceptionally.
    }
  }
}
