package dev.weft.controlplane.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weft.controlplane.discovery.RegistryFile;
import dev.weft.controlplane.discovery.RegistrySnapshot;
import dev.weft.controlplane.policy.PolicyLoad;
import dev.weft.controlplane.policy.PolicyLoader;
import dev.weft.controlplane.translate.MeshOptions;
import dev.weft.controlplane.translate.MeshTranslator;
import io.grpc.ClientInterceptors;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A third-party xDS client consumes the control plane: grpc-java's proxyless xDS client
 * ({@code io.grpc:grpc-xds}, target {@code xds:///greeter.default.svc.cluster.local:50051}, bootstrap
 * through the {@code io.grpc.xds.bootstrapConfig} override) calls two gRPC backends through the
 * listener, routes, EDS clusters and endpoints our translator and ADS server produced, following
 * a weighted 80/20 split between subsets, and then a policy change to 0/100.
 */
class ProxylessGrpcIT {
  private static final Metadata.Key<String> BACKEND = Metadata.Key.of("backend", Metadata.ASCII_STRING_MARSHALLER);

  private final List<Server> servers = new ArrayList<>();
  private ControlPlane controlPlane;
  private ManagedChannel channel;

  @AfterEach
  void stop() throws Exception {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    for (Server s : servers) {
      s.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (controlPlane != null) {
      controlPlane.close();
    }
  }

  private Server backend(String address, int port, String name) throws Exception {
    ServerInterceptor tag = new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
          ServerCallHandler<Q, R> next) {
        return next.startCall(new SimpleForwardingServerCall<>(call) {
          @Override
          public void sendHeaders(Metadata h) {
            h.put(BACKEND, name);
            super.sendHeaders(h);
          }
        }, headers);
      }
    };
    HealthGrpc.HealthImplBase health = new HealthGrpc.HealthImplBase() {
      @Override
      public void check(HealthCheckRequest request, StreamObserver<HealthCheckResponse> out) {
        out.onNext(HealthCheckResponse.newBuilder().setStatus(HealthCheckResponse.ServingStatus.SERVING).build());
        out.onCompleted();
      }
    };
    Server s = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getByName(address), port))
        .addService(ServerInterceptors.intercept(health, tag)).build().start();
    servers.add(s);
    return s;
  }

  static String policies(int v1, int v2) {
    return """
        apiVersion: weft.dev/v1alpha1
        kind: MTLSPolicy
        metadata: {name: plaintext, namespace: default}
        spec: {mode: DISABLE}
        ---
        apiVersion: weft.dev/v1alpha1
        kind: DestinationPolicy
        metadata: {name: greeter, namespace: default}
        spec:
          service: greeter
          subsets:
          - {name: v1, labels: {version: v1}}
          - {name: v2, labels: {version: v2}}
        ---
        apiVersion: weft.dev/v1alpha1
        kind: TrafficRoute
        metadata: {name: greeter, namespace: default}
        spec:
          service: greeter
          routes:
          - backends:
            - {subset: v1, weight: %d}
            - {subset: v2, weight: %d}
        """.formatted(v1, v2);
  }

  @Test
  void grpcJavaProxylessClientFollowsTheWeightedSplitWeServe() throws Exception {
    Server v1 = backend("127.0.0.2", 0, "v1");
    int port = v1.getPort();
    backend("127.0.0.3", port, "v2");
    RegistrySnapshot registry = RegistryFile.parse("""
        workloads:
        - {name: greeter-v1, address: 127.0.0.2, labels: {app: greeter, version: v1}, locality: {zone: a}}
        - {name: greeter-v2, address: 127.0.0.3, labels: {app: greeter, version: v2}, locality: {zone: b}}
        - {name: client, address: 127.0.0.4, labels: {app: client}}
        services:
        - name: greeter
          ports: [{name: grpc, port: 50051, targetPort: %d, protocol: GRPC}]
          selector: {app: greeter}
        """.formatted(port), "registry.yaml");
    // No sidecars here: the endpoints' "inbound port" is where the backends listen.
    MeshOptions options = new MeshOptions("cluster.local", false, MeshOptions.OUTBOUND_PORT, port);
    controlPlane = new ControlPlane((p, r, n) -> MeshTranslator.translate(p, r, n, options),
        MeshTranslator::validate, Duration.ofMillis(50));
    XdsServer xds = controlPlane.serve(XdsServer.builder()
        .address(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)));
    controlPlane.policies(load(policies(80, 20)).policies());
    controlPlane.registry(registry);

    System.setProperty("io.grpc.xds.bootstrapConfig", """
        {"xds_servers": [{"server_uri": "127.0.0.1:%d", "channel_creds": [{"type": "insecure"}],
                          "server_features": ["xds_v3"]}],
         "node": {"id": "client.default", "locality": {"zone": "a"}}}
        """.formatted(xds.address().getPort()));
    try {
      channel = Grpc.newChannelBuilder("xds:///greeter.default.svc.cluster.local:50051",
          InsecureChannelCredentials.create()).build();
      // The first call waits for the whole xDS exchange (LDS, RDS, CDS, EDS) and the client's class loading.
      HealthGrpc.newBlockingStub(channel).withWaitForReady().withDeadlineAfter(60, TimeUnit.SECONDS)
          .check(HealthCheckRequest.getDefaultInstance());
      Map<String, Integer> counts = call(200);
      assertThat(counts.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(200);
      assertThat(counts.getOrDefault("v1", 0)).as("share of v1 (80%%): %s", counts).isBetween(140, 185);
      assertThat(counts.getOrDefault("v2", 0)).as("share of v2 (20%%): %s", counts).isBetween(15, 60);

      // A policy change reaches the proxyless client: all traffic to v2.
      controlPlane.policies(load(policies(0, 100)).policies());
      await().atMost(Duration.ofSeconds(10)).until(() -> call(20).getOrDefault("v2", 0) == 20);
      assertThat(call(50)).containsOnlyKeys("v2");
      assertThat(xds.stats().nacks()).isZero();
    } finally {
      System.clearProperty("io.grpc.xds.bootstrapConfig");
    }
  }

  private static PolicyLoad load(String yaml) {
    PolicyLoad load = PolicyLoader.parse(yaml, "greeter.yaml");
    assertThat(load.errors()).isEmpty();
    return load;
  }

  private Map<String, Integer> call(int n) {
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < n; i++) {
      AtomicReference<Metadata> headers = new AtomicReference<>();
      AtomicReference<Metadata> trailers = new AtomicReference<>();
      HealthGrpc.HealthBlockingStub stub = HealthGrpc.newBlockingStub(ClientInterceptors.intercept(channel,
          MetadataUtils.newCaptureMetadataInterceptor(headers, trailers))).withDeadlineAfter(10, TimeUnit.SECONDS);
      stub.check(HealthCheckRequest.getDefaultInstance());
      counts.merge(headers.get().get(BACKEND), 1, Integer::sum);
    }
    return counts;
  }
}
