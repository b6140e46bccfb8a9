package dev.weft.proxy.testkit;

import io.envoyproxy.controlplane.cache.v3.SimpleCache;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.controlplane.server.DiscoveryServerCallbacks;
import io.envoyproxy.controlplane.server.V3DiscoveryServer;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

/**
 * A real, independent ADS server for tests: java-control-plane's {@code V3DiscoveryServer} and
 * {@code SimpleCache} on grpc-java, on 127.0.0.1. All nodes share one snapshot (group "mesh").
 * It records every request it receives (state of the world and delta), and can be stopped and
 * started again on the same port.
 */
public final class TestControlPlane implements AutoCloseable {
  private static final String GROUP = "mesh";

  private final SimpleCache<String> cache = new SimpleCache<>(node -> GROUP);
  private final ConcurrentLinkedQueue<DiscoveryRequest> requests = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<DeltaDiscoveryRequest> deltaRequests = new ConcurrentLinkedQueue<>();
  private final V3DiscoveryServer discovery;
  private Server server;
  private int port;
  private io.grpc.netty.shaded.io.netty.handler.ssl.SslContext tls;

  private TestControlPlane() {
    discovery = new V3DiscoveryServer(new DiscoveryServerCallbacks() {
      @Override
      public void onV3StreamRequest(long streamId, DiscoveryRequest request) {
        requests.add(request);
      }

      @Override
      public void onV3StreamDeltaRequest(long streamId, DeltaDiscoveryRequest request) {
        deltaRequests.add(request);
      }
    }, cache);
  }

  /** Starts on a free loopback port. */
  public static TestControlPlane start() throws IOException {
    TestControlPlane cp = new TestControlPlane();
    cp.startOn(0);
    return cp;
  }

  /** Starts on a free loopback port with mutual TLS: this certificate, clients verified against {@code roots}. */
  public static TestControlPlane startTls(java.nio.file.Path chain, java.nio.file.Path key, java.nio.file.Path roots)
      throws IOException {
    TestControlPlane cp = new TestControlPlane();
    cp.tls = io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts.forServer(chain.toFile(), key.toFile())
        .trustManager(roots.toFile())
        .clientAuth(io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth.REQUIRE)
        .build();
    cp.startOn(0);
    return cp;
  }

  private void startOn(int p) throws IOException {
    NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", p));
    if (tls != null) {
      builder.sslContext(tls);
    }
    server = builder
        .addService(discovery.getAggregatedDiscoveryServiceImpl())
        .build()
        .start();
    port = server.getPort();
  }

  public int port() {
    return port;
  }

  /** Publishes a snapshot for every node. */
  public void set(String version, List<Cluster> clusters, List<ClusterLoadAssignment> endpoints,
      List<Listener> listeners, List<RouteConfiguration> routes) {
    cache.setSnapshot(GROUP, Snapshot.create(clusters, endpoints, listeners, routes, List.of(), version));
  }

  public List<DiscoveryRequest> requests() {
    return List.copyOf(requests);
  }

  public List<DeltaDiscoveryRequest> deltaRequests() {
    return List.copyOf(deltaRequests);
  }

  /** Stops the server and cuts its streams (the control plane goes away). */
  public void stop() throws InterruptedException {
    server.shutdownNow();
    server.awaitTermination(5, TimeUnit.SECONDS);
  }

  /** Starts the server again on the same port. */
  public void restart() throws IOException {
    startOn(port);
  }

  @Override
  public void close() throws InterruptedException {
    stop();
  }
}
