package dev.weft.controlplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import dev.weft.controlplane.translate.MeshOptions;
import dev.weft.controlplane.translate.MeshTranslator;
import dev.weft.controlplane.xds.ControlPlane;
import dev.weft.controlplane.xds.XdsServer;
import dev.weft.proxy.Sidecar;
import dev.weft.proxy.bootstrap.BootstrapLoader;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The mesh in one process: the control plane in local mode (registry file and policy directory,
 * both watched) and a Weft sidecar per workload, configured over ADS (delta) with what the
 * translator produced. Workloads have their own loopback addresses; the client's requests enter
 * its sidecar's outbound listener, cross to the chosen peer sidecar's inbound listener and reach
 * that workload's app, which answers with its name.
 */
class MeshIT {
  private static final String CLIENT = "127.0.0.41";
  private static final Map<String, String> API = Map.of("api-v1", "127.0.0.42", "api-v2", "127.0.0.43",
      "api-v1b", "127.0.0.44");

  @TempDir
  Path dir;

  private int outboundPort;
  private int inboundPort;
  private int appPort;
  private int xdsPort;
  private ControlPlane controlPlane;
  private List<AutoCloseable> local = List.of();
  private final StringWriter cpErrors = new StringWriter();
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final Map<String, Sidecar> sidecars = new ConcurrentHashMap<>();
  private final Map<String, AtomicBoolean> failing = new ConcurrentHashMap<>();

  @BeforeEach
  void start() throws Exception {
    outboundPort = freePort();
    inboundPort = freePort();
    appPort = freePort();
    for (var e : API.entrySet()) {
      app(e.getKey(), e.getValue());
    }
    Files.createDirectories(dir.resolve("policies"));
    Files.writeString(dir.resolve("policies/mesh.yaml"), """
        apiVersion: weft.dev/v1alpha1
        kind: MTLSPolicy
        metadata: {name: plaintext}
        spec: {mode: DISABLE}
        ---
        apiVersion: weft.dev/v1alpha1
        kind: DestinationPolicy
        metadata: {name: api}
        spec:
          service: api
          subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]
        """);
    writeRegistry(List.of("api-v1", "api-v2"));
    startControlPlane(0);
    sidecar("web", CLIENT);
    sidecar("api-v1", API.get("api-v1"));
    sidecar("api-v2", API.get("api-v2"));
    await().atMost(Duration.ofSeconds(60)).until(() -> sidecars.values().stream().allMatch(Sidecar::ready));
  }

  @AfterEach
  void stop() throws Exception {
    for (Sidecar s : sidecars.values()) {
      s.close();
    }
    stopControlPlane();
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  private void startControlPlane(int port) throws Exception {
    MeshOptions options = new MeshOptions("cluster.local", false, outboundPort, inboundPort);
    controlPlane = new ControlPlane((p, r, n) -> MeshTranslator.translate(p, r, n, options), MeshTranslator::validate,
        Duration.ofMillis(100));
    XdsServer xds = controlPlane.serve(XdsServer.builder()
        .address(new InetSocketAddress(InetAddress.getLoopbackAddress(), port)));
    xdsPort = xds.address().getPort();
    local = ControlPlaneCommand.startLocal(controlPlane, dir, new PrintWriter(cpErrors, true));
  }

  private void stopControlPlane() throws Exception {
    for (AutoCloseable c : local) {
      c.close();
    }
    controlPlane.close();
  }

  private void writeRegistry(List<String> apiWorkloads) throws IOException {
    writeRegistry(apiWorkloads, List.of());
  }

  /** The registry file; workloads in {@code starting} are listed with {@code ready: false}. */
  private void writeRegistry(List<String> apiWorkloads, List<String> starting) throws IOException {
    StringBuilder b = new StringBuilder("workloads:\n- {name: web, address: " + CLIENT + ", labels: {app: web}}\n");
    for (String w : apiWorkloads) {
      b.append("- {name: ").append(w).append(", address: ").append(API.get(w))
          .append(", labels: {app: api, version: ").append(w.startsWith("api-v1") ? "v1" : "v2").append("}")
          .append(starting.contains(w) ? ", ready: false" : "").append("}\n");
    }
    b.append("services:\n- name: api\n  ports: [{name: http, port: 8080, targetPort: ").append(appPort)
        .append(", protocol: HTTP}]\n  selector: {app: api}\n");
    Path tmp = dir.resolve("registry.yaml.tmp");
    Files.writeString(tmp, b.toString());
    Files.move(tmp, dir.resolve("registry.yaml"), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  private void writeRoute(String yaml) throws IOException {
    Path tmp = dir.resolve("route.tmp");
    Files.writeString(tmp, yaml);
    Files.move(tmp, dir.resolve("policies/api-route.yaml"), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  private static String split(int v1, int v2) {
    return """
        apiVersion: weft.dev/v1alpha1
        kind: TrafficRoute
        metadata: {name: api}
        spec:
          service: api
          routes:
          - backends: [{subset: v1, weight: %d}, {subset: v2, weight: %d}]
        """.formatted(v1, v2);
  }

  private void app(String name, String address) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getByName(address), appPort), 100);
    AtomicBoolean fail = failing.computeIfAbsent(name, k -> new AtomicBoolean());
    server.createContext("/", exchange -> {
      byte[] body = (fail.get() ? "broken " : "").concat(name).getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(fail.get() ? 503 : 200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    server.start();
    closeables.add(() -> server.stop(0));
  }

  private void sidecar(String workload, String address) throws Exception {
    String yaml = """
        node: { id: %s.default, cluster: %s }
        dynamic_resources:
          ads_config:
            api_type: DELTA_GRPC
            transport_api_version: V3
            grpc_services:
            - envoy_grpc:
                cluster_name: xds
                retry_policy: { retry_back_off: { base_interval: 0.1s, max_interval: 1s } }
          lds_config: { ads: {}, resource_api_version: V3 }
          cds_config: { ads: {}, resource_api_version: V3 }
        static_resources:
          clusters:
          - name: xds
            type: STATIC
            connect_timeout: 1s
            typed_extension_protocol_options:
              envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
                "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
                explicit_http_config: { http2_protocol_options: {} }
            load_assignment:
              cluster_name: xds
              endpoints:
              - lb_endpoints:
                - endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: %d } } }
        """.formatted(workload, workload, xdsPort);
    var loaded = BootstrapLoader.parse(yaml, workload + ".yaml");
    sidecars.put(workload, Sidecar.start(loaded.config(), loaded.bootstrap(),
        new Sidecar.Options(1, true, Duration.ofSeconds(1))));
  }

  /** One request through the client's sidecar to service api; returns the app's name, or "HTTP <status>". */
  private String call() throws IOException {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(CLIENT, outboundPort), 2000);
      s.setSoTimeout(5000);
      OutputStream out = s.getOutputStream();
      out.write(("GET / HTTP/1.1\r\nHost: api.default.svc.cluster.local:8080\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      String response = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
      String status = response.substring(0, response.indexOf("\r\n"));
      if (!status.contains(" 200 ")) {
        int reason = response.toLowerCase(java.util.Locale.ROOT).indexOf("x-weft-error:");
        return "HTTP " + status + (reason < 0 ? "" : " " + response.substring(reason, response.indexOf("\r\n", reason)));
      }
      return response.substring(response.indexOf("\r\n\r\n") + 4);
    }
  }

  private Map<String, Integer> calls(int n) throws IOException {
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < n; i++) {
      counts.merge(call(), 1, Integer::sum);
    }
    return counts;
  }

  @Test
  void editingThePolicyFileShiftsTheCanarySplit() throws Exception {
    writeRoute(split(100, 0));
    await().atMost(Duration.ofSeconds(20)).until(() -> calls(10).equals(Map.of("api-v1", 10)));

    writeRoute(split(90, 10));
    await().atMost(Duration.ofSeconds(20)).until(() -> calls(20).containsKey("api-v2"));
    Map<String, Integer> counts = calls(400);
    assertThat(counts).containsOnlyKeys("api-v1", "api-v2");
    // 10% of 400 = 40; binomial sd ~6: accept 20..65.
    assertThat(counts.get("api-v2")).as("v2 share of 400: %s", counts).isBetween(20, 65);

    writeRoute(split(0, 100));
    await().atMost(Duration.ofSeconds(20)).until(() -> calls(10).equals(Map.of("api-v2", 10)));
  }

  @Test
  void addingAndRemovingEndpointsMovesTrafficWithNoFailedRequest() throws Exception {
    writeRoute(split(100, 0));
    await().atMost(Duration.ofSeconds(20)).until(() -> calls(10).equals(Map.of("api-v1", 10)));
    Map<String, Integer> seen = new ConcurrentHashMap<>();
    AtomicInteger failures = new AtomicInteger();
    AtomicBoolean running = new AtomicBoolean(true);
    java.util.concurrent.atomic.AtomicReference<String> phase = new java.util.concurrent.atomic.AtomicReference<>("start");
    Thread load = Thread.ofVirtual().start(() -> {
      long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
      while (running.get() && System.nanoTime() < deadline) {
        try {
          String r = call();
          seen.merge(r, 1, Integer::sum);
          if (r.startsWith("HTTP")) {
            failures.incrementAndGet();
            seen.merge(phase.get() + ": " + r, 1, Integer::sum);
          }
        } catch (IOException e) {
          failures.incrementAndGet();
        }
      }
    });
    try {
      // A new v1 workload starts (not ready: its sidecar gets its inbound listener, it gets no
      // traffic yet), becomes ready, and traffic spreads to it — as a pod's readiness gates its endpoint.
      phase.set("v1b listed, not ready");
      writeRegistry(List.of("api-v1", "api-v1b", "api-v2"), List.of("api-v1b"));
      sidecar("api-v1b", API.get("api-v1b"));
      await().atMost(Duration.ofSeconds(30)).until(() -> sidecars.get("api-v1b").ready()
          && sidecars.get("api-v1b").listenerAddresses().values().stream().anyMatch(a -> a.getPort() == inboundPort));
      phase.set("v1b ready");
      writeRegistry(List.of("api-v1", "api-v1b", "api-v2"));
      await().atMost(Duration.ofSeconds(20)).until(() -> seen.containsKey("api-v1b"));
      // The old v1 workload leaves as a terminating pod does: first not ready (traffic moves away
      // while its sidecar still serves), then gone from the registry.
      phase.set("v1 not ready");
      writeRegistry(List.of("api-v1", "api-v1b", "api-v2"), List.of("api-v1"));
      await().atMost(Duration.ofSeconds(20)).until(() -> calls(10).equals(Map.of("api-v1b", 10)));
      phase.set("v1 removed");
      writeRegistry(List.of("api-v1b", "api-v2"));
      await().atMost(Duration.ofSeconds(20)).until(() -> controlPlane.registry().workload("default", "api-v1").isEmpty());
      assertThat(calls(20)).isEqualTo(Map.of("api-v1b", 20));
    } finally {
      running.set(false);
      load.join();
    }
    assertThat(failures.get()).as("failed requests while endpoints changed: %s", seen).isZero();
  }

  @Test
  void aRetryPolicyAddedByYamlMasksAFailingBackend() throws Exception {
    writeRoute("""
        apiVersion: weft.dev/v1alpha1
        kind: TrafficRoute
        metadata: {name: api}
        spec:
          service: api
          routes:
          - backends: [{weight: 100}]
        """);
    await().atMost(Duration.ofSeconds(20)).until(() -> calls(10).keySet().equals(java.util.Set.of("api-v1", "api-v2")));
    failing.get("api-v2").set(true);
    Map<String, Integer> without = calls(40);
    assertThat(without.keySet()).as("without retries the failing backend shows: %s", without)
        .anyMatch(k -> k.contains("503"));

    String retries = """
        apiVersion: weft.dev/v1alpha1
        kind: TrafficRoute
        metadata: {name: api}
        spec:
          service: api
          retries: {attempts: 2, retryOn: [5xx]}
          routes:
          - backends: [{weight: 100}]
        """;
    // The sidecar accepts retry_policy, so the control plane publishes it.
    var withRetries = dev.weft.controlplane.policy.PolicyLoader.parse(
        Files.readString(dir.resolve("policies/mesh.yaml")) + "\n---\n" + retries, "check.yaml").policies();
    List<String> refused = MeshTranslator.validate(MeshTranslator.translate(withRetries, controlPlane.registry(),
        ControlPlane.proxyNode("web.default"), new MeshOptions("cluster.local", false, outboundPort, inboundPort)));
    assertThat(refused).as("what the sidecar would reject").isEmpty();
    writeRoute(retries);
    await().atMost(Duration.ofSeconds(20)).until(() -> calls(20).equals(Map.of("api-v1", 20)));
    assertThat(calls(100)).isEqualTo(Map.of("api-v1", 100));
  }

  @Test
  void aPolicyWithAnErrorIsRejectedAndSidecarsKeepTheLastGoodConfig() throws Exception {
    writeRoute(split(0, 100));
    await().atMost(Duration.ofSeconds(20)).until(() -> calls(10).equals(Map.of("api-v2", 10)));
    writeRoute("""
        apiVersion: weft.dev/v1alpha1
        kind: TrafficRoute
        metadata: {name: api}
        spec:
          service: api
          routes:
          - backends: [{subset: v1, weight: 100}, {subset: v2, weight: 10}]
        """);
    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(cpErrors.toString()).contains(
        "api-route.yaml:7:5: spec.routes[0].backends: the weights add up to 110 (expected: 100)"));
    assertThat(calls(20)).isEqualTo(Map.of("api-v2", 20));
  }

  @Test
  void theControlPlaneRestartsUnderLoadAndSidecarsKeepServingAndResync() throws Exception {
    writeRoute(split(100, 0));
    await().atMost(Duration.ofSeconds(20)).until(() -> calls(10).equals(Map.of("api-v1", 10)));
    Map<String, Integer> seen = new ConcurrentHashMap<>();
    AtomicInteger failures = new AtomicInteger();
    AtomicBoolean running = new AtomicBoolean(true);
    Thread load = Thread.ofVirtual().start(() -> {
      long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
      while (running.get() && System.nanoTime() < deadline) {
        try {
          String r = call();
          seen.merge(r, 1, Integer::sum);
          if (r.startsWith("HTTP")) {
            failures.incrementAndGet();
          }
        } catch (IOException e) {
          failures.incrementAndGet();
        }
      }
    });
    try {
      int port = xdsPort;
      stopControlPlane();
      int before = seen.getOrDefault("api-v1", 0);
      await().atMost(Duration.ofSeconds(20)).until(() -> seen.getOrDefault("api-v1", 0) > before + 20);
      // While it is down the policy changes; the restarted control plane pushes it.
      writeRoute(split(0, 100));
      startControlPlane(port);
      await().atMost(Duration.ofSeconds(30)).until(() -> seen.containsKey("api-v2"));
      await().atMost(Duration.ofSeconds(20)).until(() -> calls(10).equals(Map.of("api-v2", 10)));
    } finally {
      running.set(false);
      load.join();
    }
    assertThat(failures.get()).as("failed requests across the restart: %s", seen).isZero();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
