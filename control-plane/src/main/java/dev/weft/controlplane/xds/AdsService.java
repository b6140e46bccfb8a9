package dev.weft.controlplane.xds;

import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.controlplane.cache.SnapshotCache;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The aggregated discovery service (ADS, state of the world and delta): java-control-plane's
 * server in front of a {@link SnapshotCache} keyed by node id, with a guard on every stream that
 * fixes two known problems of the stock server.
 *
 * <ul>
 *   <li><b>The node is remembered per stream.</b> A client sends {@code node} only in the first
 *       request of a stream; the guard copies it into every later request so the cache finds the
 *       node's snapshot. A stream whose first request has no node id is refused.
 *   <li><b>A NACK never causes a resend storm.</b> The stock server answers a NACK at once with the
 *       same rejected response (the NACK carries the previously accepted version, so the cache sees
 *       a stale client), thousands of times a second. The guard holds a NACK back from the server
 *       until the node's snapshot holds a different version of that type, and waits longer after
 *       each further consecutive NACK ({@link NackBackoff}). ACKs and NACKs are reported to the
 *       {@link XdsEventListener} and counted in {@link XdsStats}.
 * </ul>
 */
public final class AdsService extends AggregatedDiscoveryServiceGrpc.AggregatedDiscoveryServiceImplBase {

  private static final Logger log = LoggerFactory.getLogger(AdsService.class);

  private final AggregatedDiscoveryServiceGrpc.AggregatedDiscoveryServiceImplBase server;
  private final SnapshotCache<String, Snapshot> cache;
  private final XdsEventListener events;
  private final XdsStats stats;
  private final NackBackoff backoff;
  private final ScheduledExecutorService scheduler;
  private final Map<String, Set<Guard>> streamsByNode = new ConcurrentHashMap<>();

  AdsService(AggregatedDiscoveryServiceGrpc.AggregatedDiscoveryServiceImplBase server,
      SnapshotCache<String, Snapshot> cache, XdsEventListener events, XdsStats stats, NackBackoff backoff,
      ScheduledExecutorService scheduler) {
    this.server = server;
    this.cache = cache;
    this.events = events;
    this.stats = stats;
    this.backoff = backoff;
    this.scheduler = scheduler;
  }

  @Override
  public StreamObserver<DiscoveryRequest> streamAggregatedResources(StreamObserver<DiscoveryResponse> responses) {
    SotwGuard guard = new SotwGuard((ServerCallStreamObserver<DiscoveryResponse>) responses);
    guard.attach(server.streamAggregatedResources(guard.responses));
    return guard;
  }

  @Override
  public StreamObserver<DeltaDiscoveryRequest> deltaAggregatedResources(
      StreamObserver<DeltaDiscoveryResponse> responses) {
    DeltaGuard guard = new DeltaGuard((ServerCallStreamObserver<DeltaDiscoveryResponse>) responses);
    guard.attach(server.deltaAggregatedResources(guard.responses));
    return guard;
  }

  /** Node ids with at least one open stream. */
  public Set<String> connectedNodes() {
    return Set.copyOf(streamsByNode.keySet());
  }

  /** Called after the snapshot of {@code nodeId} changed: releases NACKs held for an older version. */
  void snapshotChanged(String nodeId) {
    Set<Guard> guards = streamsByNode.get(nodeId);
    if (guards != null) {
      guards.forEach(Guard::releaseIfChanged);
    }
  }

  /** A NACK held back from the server until the node's config changes. */
  private record HeldNack<Q>(Q request, List<String> resourceNames, String rejectedVersion, long notBeforeNanos) {}

  /** The per-stream state common to both protocol variants. */
  private abstract class Guard {
    final ReentrantLock lock = new ReentrantLock();
    volatile Node node;
    volatile boolean closed;
    /** Per type: response nonce to the version it carried, until the client answers it. */
    final Map<String, Map<String, String>> sent = new ConcurrentHashMap<>();
    final Map<String, Integer> consecutiveNacks = new ConcurrentHashMap<>();
    final Map<String, ScheduledFuture<?>> releases = new ConcurrentHashMap<>();

    abstract void releaseIfChanged();

    String nodeId() {
      Node n = node;
      return n == null ? "" : n.getId();
    }

    /** Remembers the node of the stream's first request; false if it has none. */
    boolean rememberNode(boolean hasNode, Node requestNode, boolean delta) {
      if (node != null) {
        return true;
      }
      if (!hasNode || requestNode.getId().isEmpty()) {
        return false;
      }
      node = requestNode;
      streamsByNode.computeIfAbsent(requestNode.getId(), k -> ConcurrentHashMap.newKeySet()).add(this);
      stats.streamsOpened.incrementAndGet();
      log.debug("ADS stream ({}) from node {}", delta ? "delta" : "sotw", requestNode.getId());
      events.onStreamOpened(requestNode, delta);
      return true;
    }

    void recordSent(String typeUrl, String nonce, String version) {
      Map<String, String> byNonce = sent.computeIfAbsent(typeUrl, k -> new ConcurrentHashMap<>());
      if (byNonce.size() > 16) {
        byNonce.clear(); // a client that never answers: keep the map bounded
      }
      byNonce.put(nonce, version);
      stats.responses.incrementAndGet();
    }

    /** Returns the version the client answered, or null when the nonce is unknown or empty. */
    String answered(String typeUrl, String nonce) {
      if (nonce.isEmpty()) {
        return null;
      }
      Map<String, String> byNonce = sent.get(typeUrl);
      return byNonce == null ? null : byNonce.remove(nonce);
    }

    void ack(String typeUrl, String version) {
      consecutiveNacks.remove(typeUrl);
      stats.acks.incrementAndGet();
      events.onAck(nodeId(), typeUrl, version);
    }

    /** Counts a NACK and returns the earliest time its answer may go out. */
    long nack(String typeUrl, String version, String message) {
      int n = consecutiveNacks.merge(typeUrl, 1, Integer::sum);
      stats.nacks.incrementAndGet();
      log.warn("node {} rejected {} version {}: {}", nodeId(), shortType(typeUrl), version, message);
      events.onNack(nodeId(), typeUrl, version, message);
      return System.nanoTime() + backoff.delay(n).toNanos();
    }

    void cancelRelease(String typeUrl) {
      ScheduledFuture<?> f = releases.remove(typeUrl);
      if (f != null) {
        f.cancel(false);
      }
    }

    void closed() {
      if (closed) {
        return;
      }
      closed = true;
      releases.values().forEach(f -> f.cancel(false));
      releases.clear();
      String id = nodeId();
      if (!id.isEmpty()) {
        boolean last = streamsByNode.computeIfPresent(id, (k, set) -> {
          set.remove(this);
          return set.isEmpty() ? null : set;
        }) == null;
        if (last) {
          events.onStreamClosed(id);
        }
      }
    }

    /** True when the node's current snapshot holds something other than {@code rejected} for these names. */
    boolean changedSince(String typeUrl, List<String> names, String rejected) {
      Snapshot snapshot = cache.getSnapshot(nodeId());
      return snapshot != null && !snapshot.version(typeUrl, names).equals(rejected);
    }

    void scheduleRelease(String typeUrl, long notBeforeNanos, Runnable release) {
      long wait = Math.max(0, notBeforeNanos - System.nanoTime());
      cancelRelease(typeUrl);
      releases.put(typeUrl, scheduler.schedule(release, wait, TimeUnit.NANOSECONDS));
    }
  }

  /**
   * The part of a guard that does not depend on the protocol variant: the server's request
   * observer, NACKs held back per type, and passing requests and stream ends on to the server.
   */
  private abstract class StreamGuard<Q> extends Guard implements StreamObserver<Q> {
    private StreamObserver<Q> inner;
    final Map<String, HeldNack<Q>> held = new ConcurrentHashMap<>();

    void attach(StreamObserver<Q> inner) {
      this.inner = inner;
    }

    @Override
    void releaseIfChanged() {
      held.forEach((type, h) -> {
        if (changedSince(type, h.resourceNames(), h.rejectedVersion())) {
          scheduleRelease(type, h.notBeforeNanos(), () -> {
            if (held.remove(type, h)) {
              forward(h.request());
            }
          });
        }
      });
    }

    final void forward(Q request) {
      lock.lock();
      try {
        if (!closed) {
          inner.onNext(request);
        }
      } finally {
        lock.unlock();
      }
    }

    final void refuse() {
      lock.lock();
      try {
        inner.onError(Status.INVALID_ARGUMENT
            .withDescription("the first request of an ADS stream must carry node.id").asRuntimeException());
      } finally {
        lock.unlock();
      }
      closed();
    }

    @Override
    public void onError(Throwable t) {
      lock.lock();
      try {
        inner.onError(t);
      } finally {
        lock.unlock();
        closed();
      }
    }

    @Override
    public void onCompleted() {
      lock.lock();
      try {
        inner.onCompleted();
      } finally {
        lock.unlock();
        closed();
      }
    }
  }

  private final class SotwGuard extends StreamGuard<DiscoveryRequest> {
    final ForwardingResponses<DiscoveryResponse> responses;

    SotwGuard(ServerCallStreamObserver<DiscoveryResponse> out) {
      this.responses = new ForwardingResponses<>(out, r -> recordSent(r.getTypeUrl(), r.getNonce(), r.getVersionInfo()),
          this::closed);
    }

    @Override
    public void onNext(DiscoveryRequest request) {
      if (!rememberNode(request.hasNode(), request.getNode(), false)) {
        refuse();
        return;
      }
      if (!request.hasNode() || !request.getNode().getId().equals(nodeId())) {
        request = request.toBuilder().setNode(node).build();
      }
      String type = request.getTypeUrl();
      cancelRelease(type);
      held.remove(type);
      String version = answered(type, request.getResponseNonce());
      if (version != null) {
        if (request.hasErrorDetail()) {
          long notBefore = nack(type, version, request.getErrorDetail().getMessage());
          // Tell the server the client holds the rejected version, so that it answers only a newer one.
          DiscoveryRequest hold = request.toBuilder().setVersionInfo(version).build();
          held.put(type, new HeldNack<>(hold, hold.getResourceNamesList(), version, notBefore));
          stats.heldNacks.incrementAndGet();
          releaseIfChanged();
          return;
        }
        ack(type, version);
      }
      forward(request);
    }

  }

  private final class DeltaGuard extends StreamGuard<DeltaDiscoveryRequest> {
    final ForwardingResponses<DeltaDiscoveryResponse> responses;

    DeltaGuard(ServerCallStreamObserver<DeltaDiscoveryResponse> out) {
      this.responses = new ForwardingResponses<>(out,
          r -> recordSent(r.getTypeUrl(), r.getNonce(), r.getSystemVersionInfo()), this::closed);
    }

    @Override
    public void onNext(DeltaDiscoveryRequest request) {
      if (!rememberNode(request.hasNode(), request.getNode(), true)) {
        refuse();
        return;
      }
      if (!request.hasNode() || !request.getNode().getId().equals(nodeId())) {
        request = request.toBuilder().setNode(node).build();
      }
      String type = request.getTypeUrl();
      cancelRelease(type);
      HeldNack<DeltaDiscoveryRequest> previous = held.remove(type);
      if (previous != null) {
        forward(previous.request()); // the server must see the NACK before the client's next request
      }
      String version = answered(type, request.getResponseNonce());
      if (version != null) {
        if (request.hasErrorDetail()) {
          long notBefore = nack(type, version, request.getErrorDetail().getMessage());
          held.put(type, new HeldNack<>(request, List.of(), version, notBefore));
          stats.heldNacks.incrementAndGet();
          releaseIfChanged();
          return;
        }
        ack(type, version);
      }
      forward(request);
    }

  }

  static String shortType(String typeUrl) {
    int dot = typeUrl.lastIndexOf('.');
    return dot < 0 ? typeUrl : typeUrl.substring(dot + 1);
  }
}
