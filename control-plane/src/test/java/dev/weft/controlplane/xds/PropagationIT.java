package dev.weft.controlplane.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weft.controlplane.discovery.PathWatcher;
import dev.weft.controlplane.discovery.PolicyDirectory;
import dev.weft.controlplane.discovery.RegistryFile;
import dev.weft.controlplane.translate.MeshOptions;
import dev.weft.controlplane.translate.MeshTranslator;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The figure: time from a policy file change until 100 xDS clients have ACKed the new config.
 * The whole local-mode path runs: file watcher, policy directory, debounce (100 ms), translation
 * and validation for each of the 100 nodes, ADS pushes. Each client is a lightweight ADS stream
 * (state of the world, RDS {@code outbound}) that ACKs every response at once; the clock stops at
 * the last ACK of a route configuration carrying the new weights. Prints the figure.
 */
class PropagationIT {
  private static final int CLIENTS = 100;

  @TempDir
  Path dir;

  /** One lightweight ADS client: ACKs every response and notes when it ACKed the new weights. */
  private static final class Client {
    final AtomicLong ackedNewAt = new AtomicLong();
    StreamObserver<DiscoveryRequest> requests;

    void start(ManagedChannel channel, String nodeId) {
      requests = AggregatedDiscoveryServiceGrpc.newStub(channel).streamAggregatedResources(new StreamObserver<>() {
        @Override
        public void onNext(DiscoveryResponse r) {
          boolean isNew = false;
          try {
            for (var any : r.getResourcesList()) {
              RouteConfiguration rc = any.unpack(RouteConfiguration.class);
              isNew |= rc.toString().contains("value: 40");
            }
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
          synchronized (Client.this) {
            requests.onNext(DiscoveryRequest.newBuilder().setTypeUrl(r.getTypeUrl()).addResourceNames("outbound")
                .setVersionInfo(r.getVersionInfo()).setResponseNonce(r.getNonce()).build());
          }
          if (isNew) {
            ackedNewAt.compareAndSet(0, System.nanoTime());
          }
        }

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {}
      });
      synchronized (this) {
        requests.onNext(DiscoveryRequest.newBuilder().setNode(Node.newBuilder().setId(nodeId))
            .setTypeUrl(Resources.V3.ROUTE_TYPE_URL).addResourceNames("outbound").build());
      }
    }
  }

  private static String route(int v1, int v2) {
    return """
        apiVersion: weft.dev/v1alpha1
        kind: DestinationPolicy
        metadata: {name: api}
        spec:
          service: api
          subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]
        ---
        apiVersion: weft.dev/v1alpha1
        kind: TrafficRoute
        metadata: {name: api}
        spec:
          service: api
          routes:
          - backends: [{subset: v1, weight: %d}, {subset: v2, weight: %d}]
        """.formatted(v1, v2);
  }

  @Test
  void aPolicyFileChangeReachesAHundredClients() throws Exception {
    StringBuilder registry = new StringBuilder("workloads:\n");
    for (int i = 0; i < CLIENTS; i++) {
      registry.append("- {name: w").append(i).append(", address: 127.0.1.").append(i + 1).append(", labels: {app: web}}\n");
    }
    registry.append("- {name: api-1, address: 127.0.2.1, labels: {app: api, version: v1}}\n");
    registry.append("- {name: api-2, address: 127.0.2.2, labels: {app: api, version: v2}}\n");
    registry.append("services:\n- {name: api, ports: [{name: http, port: 8080}], selector: {app: api}}\n");
    Path policies = Files.createDirectories(dir.resolve("policies"));
    Files.writeString(policies.resolve("api.yaml"), route(90, 10));

    MeshOptions options = MeshOptions.local("cluster.local");
    PolicyDirectory directory = new PolicyDirectory(policies);
    List<Client> clients = new ArrayList<>();
    try (ControlPlane cp = new ControlPlane((p, r, n) -> MeshTranslator.translate(p, r, n, options),
        MeshTranslator::validate, Duration.ofMillis(100))) {
      XdsServer xds = cp.serve(XdsServer.builder().address(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)));
      cp.policies(directory.reload().policies());
      cp.registry(RegistryFile.parse(registry.toString(), "registry.yaml"));
      try (PathWatcher watcher = PathWatcher.start(List.of(policies), Duration.ofSeconds(2),
          () -> cp.policies(directory.reload().policies()))) {
        ManagedChannel channel = NettyChannelBuilder.forAddress(xds.address()).usePlaintext().build();
        try {
          for (int i = 0; i < CLIENTS; i++) {
            Client c = new Client();
            c.start(channel, "w" + i + ".default");
            clients.add(c);
          }
          // Everyone holds the first config (acked) before the change.
          await().atMost(Duration.ofSeconds(60)).until(() -> xds.stats().acks() >= CLIENTS);

          long start = System.nanoTime();
          Files.writeString(policies.resolve("api.yaml"), route(60, 40));
          await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(10))
              .until(() -> clients.stream().allMatch(c -> c.ackedNewAt.get() != 0));
          long last = clients.stream().mapToLong(c -> c.ackedNewAt.get()).max().orElseThrow();
          long first = clients.stream().mapToLong(c -> c.ackedNewAt.get()).min().orElseThrow();
          double lastMs = (last - start) / 1e6;
          System.out.printf("FIGURE: policy file change -> %d clients ACKed: first %.0f ms, last %.0f ms "
              + "(debounce 100 ms; %d cores, load average %.1f)%n", CLIENTS, (first - start) / 1e6, lastMs,
              Runtime.getRuntime().availableProcessors(),
              java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
          assertThat(lastMs).isLessThan(30_000);
          assertThat(xds.stats().nacks()).isZero();
        } finally {
          channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
      }
    }
  }
}
