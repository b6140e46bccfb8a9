package dev.weft.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.weft.proxy.testkit.Bootstraps;
import dev.weft.proxy.testkit.PrometheusStats;
import dev.weft.proxy.testkit.SilentUpstream;
import dev.weft.proxy.testkit.TcpEchoServer;
import dev.weft.proxy.testkit.TestSidecar;
import dev.weft.proxy.testkit.TestUpstream;
import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Active health checks (HTTP and TCP) take failing hosts out of rotation and put them back. */
class HealthCheckIT {
  private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private static final Duration WAIT = Duration.ofSeconds(10);

  private static final String HTTP_CHECK = """
      health_checks:
      - timeout: 1s
        interval: 0.1s
        no_traffic_interval: 0.1s
        unhealthy_threshold: 2
        healthy_threshold: 2
        http_health_check: { path: /healthz }""";

  private static String bootstrap(String clusters) {
    return Bootstraps.bootstrap(Bootstraps.httpListener("http", Bootstraps.routeAllTo("app"), ""), clusters);
  }

  private static int get(TestSidecar sc, String path) throws Exception {
    return CLIENT.send(HttpRequest.newBuilder(sc.uri("http", path)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  private static String admin(TestSidecar sc, String path) throws Exception {
    return CLIENT.send(HttpRequest.newBuilder(sc.adminUri(path)).build(), HttpResponse.BodyHandlers.ofString()).body();
  }

  private static String flags(TestSidecar sc, String cluster, int port) throws Exception {
    String prefix = cluster + "::127.0.0.1:" + port + "::health_flags::";
    return admin(sc, "/clusters").lines().filter(l -> l.startsWith(prefix)).findFirst().orElseThrow()
        .substring(prefix.length());
  }

  /** Requests the upstream served, not counting health checks. */
  private static int traffic(TestUpstream u) {
    return u.requests() - u.healthChecks();
  }

  private static int closedPort() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  @Test
  void httpHealthChecksRemoveAFailingHostAndRestoreItWhenItRecovers() throws Exception {
    try (TestUpstream a = TestUpstream.start("a");
         TestUpstream b = TestUpstream.start("b");
         TestUpstream c = TestUpstream.start("c");
         TestSidecar sc = TestSidecar.start(bootstrap(
             Bootstraps.clusterWith("app", false, HTTP_CHECK, a.port(), b.port(), c.port())))) {
      await().atMost(WAIT).until(() -> flags(sc, "app", c.port()).equals("healthy"));
      assertThat(c.received().stream().filter(r -> r.uri().equals(TestUpstream.HEALTH_PATH)).findFirst()
          .orElseThrow().header("host")).as("Envoy's default Host: the cluster name").isEqualTo("app");

      c.healthy(false);
      await().atMost(WAIT).until(() -> flags(sc, "app", c.port()).equals("/failed_active_hc"));
      int before = traffic(c);
      for (int i = 0; i < 30; i++) {
        assertThat(get(sc, "/r" + i)).isEqualTo(200);
      }
      assertThat(traffic(c)).as("an unhealthy host gets no traffic").isEqualTo(before);
      assertThat(traffic(a) + traffic(b)).isGreaterThanOrEqualTo(30);

      JsonObject host = hostStatus(admin(sc, "/clusters?format=json"), c.port());
      assertThat(host.getAsJsonObject("health_status").get("failed_active_health_check").getAsBoolean()).isTrue();
      Map<String, String> app = Map.of("cluster", "app");
      String stats = PrometheusStats.scrape(sc);
      assertThat(PrometheusStats.value(stats, "weft_health_check_failures_total", app)).isGreaterThanOrEqualTo(2);
      assertThat(PrometheusStats.value(stats, "weft_health_check_successes_total", app)).isPositive();
      assertThat(PrometheusStats.value(stats, "weft_health_check_attempts_total", app))
          .isGreaterThanOrEqualTo(PrometheusStats.value(stats, "weft_health_check_failures_total", app));
      assertThat(PrometheusStats.value(stats, "weft_upstream_endpoint_healthy",
          Map.of("cluster", "app", "endpoint", "127.0.0.1:" + c.port()))).isZero();

      c.healthy(true);
      await().atMost(WAIT).until(() -> flags(sc, "app", c.port()).equals("healthy"));
      await().atMost(WAIT).pollInterval(Duration.ofMillis(20)).until(() -> {
        get(sc, "/back");
        return traffic(c) > before;
      });
    }
  }

  private static JsonObject hostStatus(String json, int port) {
    for (JsonElement c : JsonParser.parseString(json).getAsJsonObject().getAsJsonArray("cluster_statuses")) {
      for (JsonElement h : c.getAsJsonObject().getAsJsonArray("host_statuses")) {
        JsonObject o = h.getAsJsonObject();
        if (o.getAsJsonObject("address").getAsJsonObject("socket_address").get("port_value").getAsInt() == port) {
          return o;
        }
      }
    }
    throw new AssertionError("no host on port " + port + " in " + json);
  }

  @Test
  void aNewHostTakesNoTrafficUntilItsFirstCheckPasses() throws Exception {
    String slowCheck = HTTP_CHECK.replace("timeout: 1s", "timeout: 5s");
    try (TestUpstream a = TestUpstream.start("a");
         SilentUpstream silent = SilentUpstream.start();
         TestSidecar sc = TestSidecar.start(bootstrap(
             Bootstraps.clusterWith("app", false, slowCheck, a.port(), silent.port())))) {
      await().atMost(WAIT).until(() -> flags(sc, "app", a.port()).equals("healthy"));
      // The silent host's first check is still waiting for an answer: the host is not used yet.
      assertThat(flags(sc, "app", silent.port())).isEqualTo("/failed_active_hc/pending_active_hc");
      for (int i = 0; i < 10; i++) {
        assertThat(get(sc, "/r" + i)).isEqualTo(200);
      }
      assertThat(traffic(a)).isEqualTo(10);
    }
  }

  @Test
  void tcpHealthCheckMarksAClosedPortUnhealthy() throws Exception {
    String tcpCheck = """
        health_checks:
        - { timeout: 1s, interval: 0.1s, no_traffic_interval: 0.1s, unhealthy_threshold: 1, healthy_threshold: 1,
            tcp_health_check: {} }""";
    int closed = closedPort();
    try (TestUpstream a = TestUpstream.start("a");
         TestSidecar sc = TestSidecar.start(bootstrap(Bootstraps.clusterWith("app", false, tcpCheck, a.port(), closed)))) {
      await().atMost(WAIT).until(() -> flags(sc, "app", a.port()).equals("healthy")
          && flags(sc, "app", closed).equals("/failed_active_hc"));
      for (int i = 0; i < 20; i++) {
        assertThat(get(sc, "/r" + i)).isEqualTo(200);
      }
      assertThat(a.requests()).isEqualTo(20);
      assertThat(sc.sidecar().clusters().get("app").stats().connectFailures.count())
          .as("health-check connections are not counted as traffic").isZero();
    }
  }

  @Test
  void tcpHealthCheckSendsBytesAndExpectsTheResponse() throws Exception {
    String echoes = """
        health_checks:
        - { timeout: 1s, interval: 0.1s, no_traffic_interval: 0.1s, unhealthy_threshold: 1, healthy_threshold: 1,
            tcp_health_check: { send: { text: "70696e67" }, receive: [ { text: "70" }, { text: "6e67" } ] } }""";
    String expectsPong = echoes.replace("receive: [ { text: \"70\" }, { text: \"6e67\" } ]",
        "receive: [ { text: \"706f6e67\" } ]");
    try (TcpEchoServer echo = TcpEchoServer.echo();
         TestSidecar sc = TestSidecar.start(bootstrap(Bootstraps.clusterWith("app", false, echoes, echo.port())
             + "\n" + Bootstraps.clusterWith("pong", false, expectsPong, echo.port())))) {
      await().atMost(WAIT).until(() -> flags(sc, "app", echo.port()).equals("healthy")
          && flags(sc, "pong", echo.port()).equals("/failed_active_hc"));
      // Every check closes its connection (a failing one when its timeout fires): at most the two
      // checks in flight hold one open.
      await().atMost(WAIT).until(() -> echo.accepted() >= 4 && echo.endsOfInput() >= echo.accepted() - 2);
    }
  }
}
