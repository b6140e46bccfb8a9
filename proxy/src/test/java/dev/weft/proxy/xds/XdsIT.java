package dev.weft.proxy.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.weft.proxy.testkit.PrometheusStats;
import dev.weft.proxy.testkit.RawHttpConnection;
import dev.weft.proxy.testkit.TestControlPlane;
import dev.weft.proxy.testkit.TestSidecar;
import dev.weft.proxy.testkit.TestUpstream;
import dev.weft.proxy.testkit.XdsResources;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Sidecars configured over ADS by java-control-plane's server and cache (an independent xDS
 * implementation): LDS with RDS, CDS with EDS, delta and state of the world; updates under load,
 * the control plane going away, readiness.
 */
class XdsIT {
  private static final Duration WAIT = Duration.ofSeconds(10);

  private TestControlPlane cp;
  private TestUpstream a;
  private TestUpstream b;
  private TestSidecar sidecar;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(2)).build();

  @BeforeEach
  void start() throws Exception {
    cp = TestControlPlane.start();
    a = TestUpstream.start("a");
    b = TestUpstream.start("b");
  }

  @AfterEach
  void stop() throws Exception {
    http.close();
    if (sidecar != null) {
      sidecar.close();
    }
    cp.close();
    a.close();
    b.close();
  }

  private void publish(String version, String routeTo, int... aPorts) {
    cp.set(version, List.of(XdsResources.edsCluster("a"), XdsResources.edsCluster("b")),
        List.of(XdsResources.endpoints("a", aPorts), XdsResources.endpoints("b", b.port())),
        List.of(XdsResources.listener("outbound", "routes")), List.of(XdsResources.routes("routes", routeTo)));
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + sidecar.port("outbound") + path))
        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private void awaitReady() {
    await().atMost(WAIT).until(() -> sidecar.sidecar().ready());
  }

  @ParameterizedTest(name = "delta={0}")
  @ValueSource(booleans = {true, false})
  void configArrivesOverAdsAndTrafficFlows(boolean delta) throws Exception {
    publish("v1", "a", a.port());
    sidecar = TestSidecar.start(XdsResources.bootstrap(cp.port(), delta));
    awaitReady();

    HttpResponse<String> r = get("/hello");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("x-upstream")).contains("a");

    // The node goes on the first request of the stream, and only there.
    if (delta) {
      List<DeltaDiscoveryRequest> sent = cp.deltaRequests();
      assertThat(sent.getFirst().getNode().getId()).isEqualTo("app.default");
      assertThat(sent.getFirst().getNode().getMetadata().getFieldsMap().get("workload").getStringValue())
          .isEqualTo("app");
      assertThat(sent.subList(1, sent.size())).allSatisfy(q -> assertThat(q.hasNode()).isFalse());
      // RDS and EDS name what they need; every response was ACKed without error.
      assertThat(sent).anySatisfy(q -> assertThat(q.getResourceNamesSubscribeList()).containsExactly("routes"));
      assertThat(sent).noneSatisfy(q -> assertThat(q.hasErrorDetail()).isTrue());
    } else {
      List<DiscoveryRequest> sent = cp.requests();
      assertThat(sent.getFirst().getNode().getId()).isEqualTo("app.default");
      assertThat(sent.subList(1, sent.size())).allSatisfy(q -> assertThat(q.hasNode()).isFalse());
      assertThat(sent).anySatisfy(q -> {
        assertThat(q.getTypeUrl()).endsWith("RouteConfiguration");
        assertThat(q.getResourceNamesList()).containsExactly("routes");
        assertThat(q.getVersionInfo()).isEqualTo("v1");
      });
      assertThat(sent).noneSatisfy(q -> assertThat(q.hasErrorDetail()).isTrue());
    }

    // The dump shows the dynamic resources and their versions; the meters count the updates.
    String dump = http.send(HttpRequest.newBuilder(sidecar.adminUri("/config_dump")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    assertThat(dump).contains("\"dynamic_listeners\"", "\"dynamic_active_clusters\"", "\"dynamic_route_configs\"",
        "\"dynamic_endpoint_configs\"", "\"version_info\": \"v1\"");
    assertThat(PrometheusStats.value(sidecar, "weft_control_plane_connected_state", Map.of())).isEqualTo(1.0);
    assertThat(PrometheusStats.value(sidecar, "weft_xds_update_success_total", Map.of("type", "lds")))
        .isGreaterThanOrEqualTo(1.0);
    assertThat(PrometheusStats.value(sidecar, "weft_xds_update_success_total", Map.of("type", "eds")))
        .isGreaterThanOrEqualTo(1.0);
  }

  @Test
  void notReadyBeforeTheFirstCompleteConfig() throws Exception {
    sidecar = TestSidecar.start(XdsResources.bootstrap(cp.port(), true));
    HttpResponse<String> ready = http.send(HttpRequest.newBuilder(sidecar.adminUri("/ready")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(ready.statusCode()).isEqualTo(503);
    await().atMost(WAIT).until(() -> PrometheusStats.value(sidecar, "weft_control_plane_connected_state",
        Map.of()) == 1.0);
    assertThat(sidecar.sidecar().ready()).isFalse();
    assertThat(sidecar.sidecar().hasListener("outbound")).isFalse();

    publish("v1", "a", a.port());
    awaitReady();
    assertThat(http.send(HttpRequest.newBuilder(sidecar.adminUri("/ready")).build(),
        HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
    assertThat(get("/").statusCode()).isEqualTo(200);
  }

  @Test
  void routeChangeShiftsTrafficWithNoFailedRequestsUnderLoad() throws Exception {
    publish("v1", "a", a.port());
    sidecar = TestSidecar.start(XdsResources.bootstrap(cp.port(), true));
    awaitReady();
    Load load = Load.start(this, Duration.ofSeconds(8));
    await().atMost(WAIT).until(() -> load.byUpstream.getOrDefault("a", new AtomicInteger()).get() > 50);
    publish("v2", "b", a.port());
    await().atMost(WAIT).until(() -> load.byUpstream.getOrDefault("b", new AtomicInteger()).get() > 50);
    load.stop();
    assertThat(load.failures).as("failed requests: %s", load.lastFailure).hasValue(0);
    int bBefore = load.byUpstream.get("b").get();
    int aBefore = load.byUpstream.get("a").get();
    assertThat(get("/").headers().firstValue("x-upstream")).contains("b");
    assertThat(bBefore).isPositive();
    assertThat(aBefore).isPositive();
  }

  @Test
  void endpointsAddedAndRemovedWithNoFailedRequests() throws Exception {
    try (TestUpstream a2 = TestUpstream.start("a2")) {
      publish("v1", "a", a.port());
      sidecar = TestSidecar.start(XdsResources.bootstrap(cp.port(), true));
      awaitReady();
      Load load = Load.start(this, Duration.ofSeconds(8));
      publish("v2", "a", a.port(), a2.port());
      await().atMost(WAIT).until(() -> load.byUpstream.getOrDefault("a2", new AtomicInteger()).get() > 20);
      publish("v3", "a", a2.port());
      int aAfterRemoval = await().atMost(WAIT).until(() -> {
        int before = a.requests();
        Thread.sleep(200);
        return a.requests() == before ? before : -1;
      }, n -> n >= 0);
      int a2Before = a2.requests();
      await().atMost(WAIT).until(() -> a2.requests() > a2Before + 20);
      load.stop();
      assertThat(a.requests()).isEqualTo(aAfterRemoval);
      assertThat(load.failures).as("failed requests: %s", load.lastFailure).hasValue(0);
    }
  }

  @Test
  void controlPlaneDownKeepsServingAndReconnects() throws Exception {
    publish("v1", "a", a.port());
    sidecar = TestSidecar.start(XdsResources.bootstrap(cp.port(), true));
    awaitReady();
    cp.stop();
    await().atMost(WAIT).until(() -> PrometheusStats.value(sidecar, "weft_control_plane_connected_state",
        Map.of()) == 0.0);
    for (int i = 0; i < 20; i++) {
      assertThat(get("/").statusCode()).isEqualTo(200);
    }
    assertThat(sidecar.sidecar().ready()).isTrue();

    cp.restart();
    publish("v2", "b", a.port());
    await().atMost(WAIT).until(() -> PrometheusStats.value(sidecar, "weft_control_plane_connected_state",
        Map.of()) == 1.0);
    await().atMost(WAIT).untilAsserted(() -> assertThat(get("/").headers().firstValue("x-upstream")).contains("b"));
    assertThat(PrometheusStats.value(sidecar, "weft_control_plane_reconnects_total", Map.of()))
        .isGreaterThanOrEqualTo(1.0);
    // On the new stream the client told the server what it still had.
    assertThat(cp.deltaRequests()).anySatisfy(q -> assertThat(q.getInitialResourceVersionsMap()).containsKey("a"));
  }

  @Test
  void aChangedListenerDrainsItsOldConnectionsAndARemovedOneStopsAccepting() throws Exception {
    publish("v1", "a", a.port());
    sidecar = TestSidecar.start(XdsResources.bootstrap(cp.port(), true));
    awaitReady();
    int port = sidecar.port("outbound");
    try (RawHttpConnection old = RawHttpConnection.open(port)) {
      // A request in flight on a connection made under the old listener config.
      old.write("GET /delay/700 HTTP/1.1\r\nhost: x\r\n\r\n");
      await().atMost(WAIT).until(() -> a.received().stream().anyMatch(r -> r.uri().equals("/delay/700")));
      var changed = XdsResources.listener("outbound", "routes", "outbound-v2");
      cp.set("v2", List.of(XdsResources.edsCluster("a"), XdsResources.edsCluster("b")),
          List.of(XdsResources.endpoints("a", a.port()), XdsResources.endpoints("b", b.port())),
          List.of(changed), List.of(XdsResources.routes("routes", "a")));
      await().atMost(WAIT).until(() -> sidecar.sidecar().config().listeners().stream()
          .anyMatch(l -> l.filterChains().getFirst().filter().statPrefix().equals("outbound-v2")));

      // The in-flight request finishes; its connection then closes (drained). The socket stays.
      var response = old.readResponse(false);
      assertThat(response.status()).isEqualTo(200);
      assertThat(response.header("connection")).isEqualTo("close");
      await().atMost(WAIT).until(old::closedByPeer);
      assertThat(sidecar.port("outbound")).isEqualTo(port);
      assertThat(get("/").statusCode()).isEqualTo(200);
    }

    // Removed: the listener stops accepting.
    cp.set("v3", List.of(XdsResources.edsCluster("a")), List.of(XdsResources.endpoints("a", a.port())),
        List.of(), List.of());
    await().atMost(WAIT).until(() -> !sidecar.sidecar().hasListener("outbound"));
    await().atMost(WAIT).untilAsserted(() -> assertThatThrownBy(() -> new java.net.Socket("127.0.0.1", port).close())
        .isInstanceOf(java.net.ConnectException.class));
  }

  /** A bounded closed-loop HTTP load (2 clients, each at most 2000 requests or the time limit). */
  static final class Load {
    final Map<String, AtomicInteger> byUpstream = new ConcurrentHashMap<>();
    final AtomicInteger failures = new AtomicInteger();
    volatile String lastFailure;
    final AtomicBoolean stop = new AtomicBoolean();
    final List<Thread> threads;

    private Load(XdsIT test, Duration limit) {
      long deadline = System.nanoTime() + limit.toNanos();
      threads = List.of(Thread.ofPlatform().start(() -> run(test, deadline)),
          Thread.ofPlatform().start(() -> run(test, deadline)));
    }

    static Load start(XdsIT test, Duration limit) {
      return new Load(test, limit);
    }

    private void run(XdsIT test, long deadline) {
      for (int i = 0; i < 2000 && !stop.get() && System.nanoTime() < deadline; i++) {
        try {
          HttpResponse<String> r = test.get("/load");
          if (r.statusCode() != 200) {
            failures.incrementAndGet();
            lastFailure = r.statusCode() + " " + r.headers().map() + " " + r.body();
          } else {
            byUpstream.computeIfAbsent(r.headers().firstValue("x-upstream").orElse("?"), k -> new AtomicInteger())
                .incrementAndGet();
          }
        } catch (Exception e) {
          failures.incrementAndGet();
          lastFailure = e.toString();
        }
      }
    }

    void stop() throws InterruptedException {
      stop.set(true);
      for (Thread t : threads) {
        t.join(10_000);
      }
    }
  }
}
