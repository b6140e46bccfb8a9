package dev.weft.proxy.testkit;

import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * An ADS server whose answers the test writes by hand (state of the world and delta), for NACK
 * and ordering cases a stock server does not produce. Requests queue up for the test to take;
 * {@link #respond} sends on the latest stream.
 */
public final class ScriptedAdsServer implements AutoCloseable {
  private final BlockingQueue<DiscoveryRequest> requests = new LinkedBlockingQueue<>();
  private final BlockingQueue<DeltaDiscoveryRequest> deltaRequests = new LinkedBlockingQueue<>();
  private final java.util.List<DiscoveryRequest> skipped = new java.util.ArrayList<>();
  private final java.util.List<DeltaDiscoveryRequest> skippedDelta = new java.util.ArrayList<>();
  private volatile StreamObserver<DiscoveryResponse> sotw;
  private volatile StreamObserver<DeltaDiscoveryResponse> delta;
  private final Server server;

  public ScriptedAdsServer() throws IOException {
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(new AggregatedDiscoveryServiceGrpc.AggregatedDiscoveryServiceImplBase() {
          @Override
          public StreamObserver<DiscoveryRequest> streamAggregatedResources(StreamObserver<DiscoveryResponse> out) {
            sotw = out;
            return new StreamObserver<>() {
              @Override
              public void onNext(DiscoveryRequest r) {
                requests.add(r);
              }

              @Override
              public void onError(Throwable t) { }

              @Override
              public void onCompleted() {
                out.onCompleted();
              }
            };
          }

          @Override
          public StreamObserver<DeltaDiscoveryRequest> deltaAggregatedResources(
              StreamObserver<DeltaDiscoveryResponse> out) {
            delta = out;
            return new StreamObserver<>() {
              @Override
              public void onNext(DeltaDiscoveryRequest r) {
                deltaRequests.add(r);
              }

              @Override
              public void onError(Throwable t) { }

              @Override
              public void onCompleted() {
                out.onCompleted();
              }
            };
          }
        })
        .build()
        .start();
  }

  public int port() {
    return server.getPort();
  }

  public synchronized void respond(DiscoveryResponse r) {
    sotw.onNext(r);
  }

  public synchronized void respond(DeltaDiscoveryResponse r) {
    delta.onNext(r);
  }

  /** The next request matching {@code which}, skipping others; fails after {@code timeout}. */
  public DiscoveryRequest next(Predicate<DiscoveryRequest> which, Duration timeout) throws InterruptedException {
    return take(requests, skipped, which, timeout);
  }

  public DeltaDiscoveryRequest nextDelta(Predicate<DeltaDiscoveryRequest> which, Duration timeout)
      throws InterruptedException {
    return take(deltaRequests, skippedDelta, which, timeout);
  }

  /** The oldest request matching {@code which}, earlier non-matching ones kept for later calls. */
  private static <T> T take(BlockingQueue<T> queue, java.util.List<T> skipped, Predicate<T> which, Duration timeout)
      throws InterruptedException {
    synchronized (skipped) {
      for (var it = skipped.iterator(); it.hasNext(); ) {
        T r = it.next();
        if (which.test(r)) {
          it.remove();
          return r;
        }
      }
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      T r = queue.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (r == null) {
        throw new AssertionError("no matching request within " + timeout + "; unmatched: " + skipped);
      }
      if (which.test(r)) {
        return r;
      }
      synchronized (skipped) {
        skipped.add(r);
      }
    }
  }

  @Override
  public void close() throws InterruptedException {
    server.shutdownNow();
    server.awaitTermination(5, TimeUnit.SECONDS);
  }
}
