package dev.weft.controlplane.xds;

import com.google.rpc.Status;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A plain grpc-java ADS client that does exactly what a test tells it: sends requests by hand and
 * queues every response. The node goes only on the first request of the stream, as real clients do.
 */
public final class AdsTestClient implements AutoCloseable {
  final ManagedChannel channel;
  final BlockingQueue<DiscoveryResponse> responses = new LinkedBlockingQueue<>();
  final BlockingQueue<DeltaDiscoveryResponse> deltaResponses = new LinkedBlockingQueue<>();
  volatile Throwable error;
  private final Node node;
  private StreamObserver<DiscoveryRequest> sotw;
  private StreamObserver<DeltaDiscoveryRequest> delta;
  private boolean nodeSent;

  public AdsTestClient(InetSocketAddress server, String nodeId) {
    this(NettyChannelBuilder.forAddress(server).usePlaintext().build(), nodeId);
  }

  AdsTestClient(ManagedChannel channel, String nodeId) {
    this.channel = channel;
    this.node = Node.newBuilder().setId(nodeId).setUserAgentName("weft-test").build();
  }

  /** Opens a state-of-the-world stream. */
  public AdsTestClient sotw() {
    sotw = AggregatedDiscoveryServiceGrpc.newStub(channel).streamAggregatedResources(new StreamObserver<>() {
      @Override public void onNext(DiscoveryResponse r) { responses.add(r); }
      @Override public void onError(Throwable t) { error = t; }
      @Override public void onCompleted() {}
    });
    return this;
  }

  /** Opens a delta stream. */
  AdsTestClient delta() {
    delta = AggregatedDiscoveryServiceGrpc.newStub(channel).deltaAggregatedResources(new StreamObserver<>() {
      @Override public void onNext(DeltaDiscoveryResponse r) { deltaResponses.add(r); }
      @Override public void onError(Throwable t) { error = t; }
      @Override public void onCompleted() {}
    });
    return this;
  }

  public synchronized void request(String typeUrl, List<String> names, String version, String nonce) {
    DiscoveryRequest.Builder b = DiscoveryRequest.newBuilder().setTypeUrl(typeUrl).addAllResourceNames(names)
        .setVersionInfo(version).setResponseNonce(nonce);
    if (!nodeSent) {
      b.setNode(node);
      nodeSent = true;
    }
    sotw.onNext(b.build());
  }

  void ack(DiscoveryResponse r, List<String> names) {
    request(r.getTypeUrl(), names, r.getVersionInfo(), r.getNonce());
  }

  public void nack(DiscoveryResponse r, List<String> names, String acceptedVersion, String message) {
    DiscoveryRequest.Builder b = DiscoveryRequest.newBuilder().setTypeUrl(r.getTypeUrl()).addAllResourceNames(names)
        .setVersionInfo(acceptedVersion).setResponseNonce(r.getNonce())
        .setErrorDetail(Status.newBuilder().setCode(3).setMessage(message));
    synchronized (this) {
      sotw.onNext(b.build());
    }
  }

  synchronized void deltaRequest(DeltaDiscoveryRequest.Builder b) {
    if (!nodeSent) {
      b.setNode(node);
      nodeSent = true;
    }
    delta.onNext(b.build());
  }

  /**
   * Requests {@code names} of {@code typeUrl} on a state-of-the-world stream (opened on first use),
   * waits for the response, ACKs it and returns its resources.
   */
  public <T extends com.google.protobuf.Message> List<T> fetch(String typeUrl, List<String> names, Class<T> type)
      throws Exception {
    if (sotw == null) {
      sotw();
    }
    request(typeUrl, names, "", "");
    DiscoveryResponse r;
    do {
      r = next(Duration.ofSeconds(30));
      if (r == null) {
        throw new AssertionError("no " + typeUrl + " response within 30 s");
      }
    } while (!r.getTypeUrl().equals(typeUrl));
    ack(r, names);
    List<T> out = new java.util.ArrayList<>();
    for (var any : r.getResourcesList()) {
      out.add(any.unpack(type));
    }
    return out;
  }

  public DiscoveryResponse next(Duration timeout) throws InterruptedException {
    return responses.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  DeltaDiscoveryResponse nextDelta(Duration timeout) throws InterruptedException {
    return deltaResponses.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() {
    channel.shutdownNow();
    try {
      channel.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
