package dev.weft.controlplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weft.controlplane.translate.MeshTranslator;
import dev.weft.controlplane.xds.ControlPlane;
import dev.weft.proxy.Sidecar;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
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

  private MeshFixture mesh;
  private int appPort;
  private final Map<String, AtomicBoolean> failing = new ConcurrentHashMap<>();

  @BeforeEach
  void start() throws Exception {
    mesh = new MeshFixture(dir);
    appPort = MeshFixture.freePort();
    for (var e : API.entrySet()) {
      app(e.getKey(), e.getValue());
    }
    mesh.write("policies/mesh.yaml", """
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
    mesh.startControlPlane(0);
    mesh.sidecar("web");
    mesh.sidecar("api-v1");
    mesh.sidecar("api-v2");
    await().atMost(Duration.ofSeconds(60)).until(() -> mesh.sidecars.values().stream().allMatch(Sidecar::ready));
  }

  @AfterEach
  void stop() throws Exception {
    mesh.close();
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
    mesh.write("registry.yaml", b.toString());
  }

  private void writeRoute(String yaml) throws IOException {
    mesh.write("policies/api-route.yaml", yaml);
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
    AtomicBoolean fail = failing.computeIfAbsent(name, k -> new AtomicBoolean());
    mesh.app(address, appPort, exchange -> {
      byte[] body = (fail.get() ? "broken " : "").concat(name).getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(fail.get() ? 503 : 200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
  }

  /** One request through the client's sidecar to service api; returns the app's name, or "HTTP <status>". */
  private String call() throws IOException {
    String response = MeshFixture.exchange(CLIENT, mesh.outboundPort, "api.default.svc.cluster.local:8080", "/");
    String status = response.substring(0, response.indexOf("\r\n"));
    if (!status.contains(" 200 ")) {
      int reason = response.toLowerCase(java.util.Locale.ROOT).indexOf("x-weft-error:");
      return "HTTP " + status + (reason < 0 ? "" : " " + response.substring(reason, response.indexOf("\r\n", reason)));
    }
    return response.substring(response.indexOf("\r\n\r\n") + 4);
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
      mesh.sidecar("api-v1b");
      await().atMost(Duration.ofSeconds(30)).until(() -> mesh.sidecars.get("api-v1b").ready()
          && mesh.sidecars.get("api-v1b").listenerAddresses().values().stream().anyMatch(a -> a.getPort() == mesh.inboundPort));
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
      await().atMost(Duration.ofSeconds(20)).until(() -> mesh.controlPlane.registry().workload("default", "api-v1").isEmpty());
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
        Files.readString(mesh.dir.resolve("policies/mesh.yaml")) + "\n---\n" + retries, "check.yaml").policies();
    List<String> refused = MeshTranslator.validate(MeshTranslator.translate(withRetries, mesh.controlPlane.registry(),
        ControlPlane.proxyNode("web.default"), mesh.options()));
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
    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(mesh.cpErrors.toString()).contains(
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
      int port = mesh.xdsPort;
      mesh.stopControlPlane();
      int before = seen.getOrDefault("api-v1", 0);
      await().atMost(Duration.ofSeconds(20)).until(() -> seen.getOrDefault("api-v1", 0) > before + 20);
      // While it is down the policy changes; the restarted control plane pushes it.
      writeRoute(split(0, 100));
      mesh.startControlPlane(port);
      await().atMost(Duration.ofSeconds(30)).until(() -> seen.containsKey("api-v2"));
      await().atMost(Duration.ofSeconds(20)).until(() -> calls(10).equals(Map.of("api-v2", 10)));
    } finally {
      running.set(false);
      load.join();
    }
    assertThat(failures.get()).as("failed requests across the restart: %s", seen).isZero();
  }
}
