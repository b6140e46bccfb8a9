package dev.weft.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weft.proxy.testkit.Bootstraps;
import dev.weft.proxy.testkit.FrameH2cClient;
import dev.weft.proxy.testkit.PrometheusStats;
import dev.weft.proxy.testkit.RawHttpConnection;
import dev.weft.proxy.testkit.SilentUpstream;
import dev.weft.proxy.testkit.TcpEchoServer;
import dev.weft.proxy.testkit.TestSidecar;
import dev.weft.proxy.testkit.TestUpstream;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Requests the proxy must answer itself. Each case checks the status, the {@code x-weft-error}
 * reason and the {@code weft_http_local_replies_total} counter, and that the same sidecar
 * still serves a normal request afterwards. gRPC requests get a trailers-only gRPC reply.
 */
class ErrorCasesIT {
  private static TestUpstream app;
  /** Target of {@code /reset}, apart from {@code app}: the test upstream stops listening after a reset. */
  private static TestUpstream resetting;
  /** Target of {@code /slow/}: never answers. */
  private static SilentUpstream silent;
  /** Target of {@code /garbage}: echoes the request back, which is no HTTP response. */
  private static TcpEchoServer garbage;
  private static TestSidecar sidecar;

  @BeforeAll
  static void start() throws Exception {
    app = TestUpstream.start("app");
    resetting = TestUpstream.start("resetting");
    silent = SilentUpstream.start();
    garbage = TcpEchoServer.echo();
    int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    String hosts = """
        - name: app
          domains: ["app.test"]
          routes:
          - match: { prefix: "/weft.test.Unavailable/", grpc: {} }
            route: { cluster: closed }
          - match: { prefix: "/ok" }
            route: { cluster: app }
          - match: { prefix: "/closed" }
            route: { cluster: closed }
          - match: { prefix: "/empty" }
            route: { cluster: empty }
          - match: { prefix: "/slow/" }
            route: { cluster: silent, timeout: 0.2s }
          - match: { prefix: "/reset" }
            route: { cluster: resetting }
          - match: { prefix: "/garbage" }
            route: { cluster: garbage }
          - match: { prefix: "/direct" }
            direct_response: { status: 200, body: { inline_string: "direct" } }
        """;
    String clusters = Bootstraps.cluster("app", false, app.port())
        + Bootstraps.cluster("closed", false, closedPort)
        + Bootstraps.cluster("resetting", false, resetting.port())
        + Bootstraps.cluster("silent", false, silent.port())
        + Bootstraps.cluster("garbage", false, garbage.port())
        + """
        - name: empty
          type: STATIC
          connect_timeout: 1s
          load_assignment: { cluster_name: empty, endpoints: [] }
        """;
    sidecar = TestSidecar.start(Bootstraps.bootstrap(
        Bootstraps.httpListener("http", hosts, "")
            + Bootstraps.httpListener("small", hosts, "max_request_headers_kb: 1")
            + Bootstraps.httpListener("few", hosts, "common_http_protocol_options: { max_headers_count: 10 }"),
        clusters));
  }

  @AfterAll
  static void stop() throws IOException {
    if (sidecar != null) {
      sidecar.close();
    }
    if (resetting != null) {
      resetting.close();
    }
    if (silent != null) {
      silent.close();
    }
    if (garbage != null) {
      garbage.close();
    }
    if (app != null) {
      app.close();
    }
  }

  private double replies;
  private String reason;
  private String listener;

  /** Remembers the local-reply counter before a case, for {@link #assertCounted()}. */
  private void expectLocalReply(String listener, String reason) throws Exception {
    this.listener = listener;
    this.reason = reason;
    this.replies = localReplies(listener, reason);
  }

  private static double localReplies(String listener, String reason) throws Exception {
    return PrometheusStats.value(sidecar, "weft_http_local_replies_total",
        Map.of("listener", listener, "reason", reason));
  }

  @AfterEach
  void assertCountedAndStillServing() throws Exception {
    if (reason != null) {
      assertThat(localReplies(listener, reason)).as("weft_http_local_replies_total{listener=%s,reason=%s}",
          listener, reason).isEqualTo(replies + 1);
    }
    for (String l : new String[] {"http", "small", "few"}) {
      try (RawHttpConnection conn = RawHttpConnection.open(sidecar.port(l))) {
        RawHttpConnection.Response r = conn.get("/ok", "app.test");
        assertThat(r.status()).as("a normal request on listener %s afterwards", l).isEqualTo(200);
        assertThat(r.header("x-upstream")).isEqualTo("app");
      }
    }
  }

  private static RawHttpConnection.Response get(String path, String host) throws IOException {
    try (RawHttpConnection conn = RawHttpConnection.open(sidecar.port("http"))) {
      return conn.get(path, host);
    }
  }

  // ------------------------------------------------------------------ routing

  @Test
  void unknownHostWithoutCatchAllVirtualHostIs404RouteNotFound() throws Exception {
    expectLocalReply("http", "route_not_found");
    try (RawHttpConnection conn = RawHttpConnection.open(sidecar.port("http"))) {
      RawHttpConnection.Response r = conn.get("/ok", "nowhere.test");
      assertThat(r.status()).isEqualTo(404);
      assertThat(r.header("x-weft-error")).isEqualTo("route_not_found");
      assertThat(r.header("connection")).isNull();
      // The reply does not cost the client its connection.
      assertThat(conn.get("/ok", "app.test").status()).isEqualTo(200);
    }
  }

  @Test
  void pathWithoutARouteIs404RouteNotFound() throws Exception {
    expectLocalReply("http", "route_not_found");
    RawHttpConnection.Response r = get("/no-such-route", "app.test");
    assertThat(r.status()).isEqualTo(404);
    assertThat(r.header("x-weft-error")).isEqualTo("route_not_found");
  }

  // ------------------------------------------------------------------ upstream failures

  @Test
  void clusterOnAClosedPortIs503UpstreamConnectFailure() throws Exception {
    expectLocalReply("http", "upstream_connect_failure");
    RawHttpConnection.Response r = get("/closed", "app.test");
    assertThat(r.status()).isEqualTo(503);
    assertThat(r.header("x-weft-error")).isEqualTo("upstream_connect_failure");
  }

  @Test
  void clusterWithoutEndpointsIs503NoHealthyUpstream() throws Exception {
    expectLocalReply("http", "no_healthy_upstream");
    RawHttpConnection.Response r = get("/empty", "app.test");
    assertThat(r.status()).isEqualTo(503);
    assertThat(r.header("x-weft-error")).isEqualTo("no_healthy_upstream");
  }

  @Test
  void routeTimeoutIs504UpstreamTimeoutAfterTheTimeout() throws Exception {
    expectLocalReply("http", "upstream_timeout");
    long start = System.nanoTime();
    RawHttpConnection.Response r = get("/slow/3000", "app.test");
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    assertThat(r.status()).isEqualTo(504);
    assertThat(r.header("x-weft-error")).isEqualTo("upstream_timeout");
    assertThat(took).isBetween(Duration.ofMillis(190), Duration.ofMillis(1500));
    assertThat(silent.accepted()).isEqualTo(1);
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
        assertThat(silent.closedByPeer()).as("the timed-out upstream connection is closed, not reused").isEqualTo(1));
  }

  @Test
  void upstreamClosingWithoutAResponseIs503UpstreamReset() throws Exception {
    expectLocalReply("http", "upstream_reset");
    RawHttpConnection.Response r = get("/reset", "app.test");
    assertThat(r.status()).isEqualTo(503);
    assertThat(r.header("x-weft-error")).isEqualTo("upstream_reset");
  }

  @Test
  void anUpstreamAnsweringSomethingOtherThanHttpIs503UpstreamReset() throws Exception {
    expectLocalReply("http", "upstream_reset");
    RawHttpConnection.Response r = get("/garbage", "app.test");
    assertThat(r.status()).as("nothing the upstream sent reaches the client").isEqualTo(503);
    assertThat(r.header("x-weft-error")).isEqualTo("upstream_reset");
  }

  // ------------------------------------------------------------------ malformed and oversized requests

  @ParameterizedTest
  @ValueSource(strings = {
      "GET /ok HTTP/1.1\r\nHost: app.test\r\nbad header line\r\n\r\n",
      "GET /ok HTTP/1.1\r\nHost: app.test\r\nContent-Length: twelve\r\n\r\n",
      "GET /a b HTTP/1.1\r\nHost: app.test\r\n\r\n"})
  void malformedRequestIs400AndClosesTheConnection(String request) throws Exception {
    expectLocalReply("http", "bad_request");
    try (RawHttpConnection conn = RawHttpConnection.open(sidecar.port("http"))) {
      conn.write(request);
      RawHttpConnection.Response r = conn.readResponse(false);
      assertThat(r.status()).isEqualTo(400);
      assertThat(r.header("x-weft-error")).isEqualTo("bad_request");
      assertThat(conn.closedByPeer()).isTrue();
    }
  }

  @Test
  void requestHeadersOverTheDefault60KibLimitAre431() throws Exception {
    expectLocalReply("http", "headers_too_large");
    try (RawHttpConnection conn = RawHttpConnection.open(sidecar.port("http"))) {
      RawHttpConnection.Response r = conn.get("/ok", "app.test", "x-big", "a".repeat(62 * 1024));
      assertThat(r.status()).isEqualTo(431);
      assertThat(r.header("x-weft-error")).isEqualTo("headers_too_large");
      assertThat(conn.closedByPeer()).isTrue();
    }
    try (RawHttpConnection conn = RawHttpConnection.open(sidecar.port("http"))) {
      // A direct response: the test upstream itself keeps Netty's 8 KiB header limit.
      assertThat(conn.get("/direct", "app.test", "x-big", "a".repeat(50 * 1024)).status())
          .as("50 KiB of headers are within the default").isEqualTo(200);
    }
  }

  @Test
  void requestHeadersOverAConfiguredOneKibLimitAre431() throws Exception {
    expectLocalReply("small", "headers_too_large");
    try (RawHttpConnection conn = RawHttpConnection.open(sidecar.port("small"))) {
      assertThat(conn.get("/ok", "app.test", "x-medium", "m".repeat(600)).status()).isEqualTo(200);
      RawHttpConnection.Response r = conn.get("/ok", "app.test", "x-big", "b".repeat(1500));
      assertThat(r.status()).isEqualTo(431);
      assertThat(r.header("x-weft-error")).isEqualTo("headers_too_large");
    }
  }

  @Test
  void moreHeadersThanMaxHeadersCountAre431() throws Exception {
    expectLocalReply("few", "headers_too_large");
    try (RawHttpConnection conn = RawHttpConnection.open(sidecar.port("few"))) {
      String[] nine = new String[18];
      for (int i = 0; i < 9; i++) {
        nine[2 * i] = "x-h" + i;
        nine[2 * i + 1] = "v";
      }
      assertThat(conn.get("/ok", "app.test", nine).status()).as("Host and 9 more: 10 headers").isEqualTo(200);
    }
    try (RawHttpConnection conn = RawHttpConnection.open(sidecar.port("few"))) {
      String[] many = new String[40];
      for (int i = 0; i < 20; i++) {
        many[2 * i] = "x-h" + i;
        many[2 * i + 1] = "v";
      }
      RawHttpConnection.Response r = conn.get("/ok", "app.test", many);
      assertThat(r.status()).isEqualTo(431);
      assertThat(r.header("x-weft-error")).isEqualTo("headers_too_large");
    }
  }

  // ------------------------------------------------------------------ gRPC

  @Test
  void grpcConnectFailureIsATrailersOnlyResponseWithUnavailable() throws Exception {
    expectLocalReply("http", "upstream_connect_failure");
    try (FrameH2cClient h2 = FrameH2cClient.connect(sidecar.port("http"))) {
      FrameH2cClient.Response r = h2.grpcCall("app.test", "/weft.test.Unavailable/Call");
      assertThat(r.trailersOnly()).as("one HEADERS frame with END_STREAM: %s", r).isTrue();
      assertThat(r.header(":status")).isEqualTo("200");
      assertThat(r.header("content-type")).isEqualTo("application/grpc");
      assertThat(r.header("grpc-status")).isEqualTo("14");
      assertThat(r.header("grpc-message")).isNotBlank();
      assertThat(r.header("x-weft-error")).isEqualTo("upstream_connect_failure");

      var ok = h2.exchange(new DefaultHttp2Headers().method("GET").scheme("http").authority("app.test")
          .path("/ok/h2"), null);
      assertThat(ok.header(":status")).as("a normal request on the same HTTP/2 connection").isEqualTo("200");
    }
  }

  @Test
  void grpcRequestWithoutARouteIsATrailersOnlyResponseWithUnimplemented() throws Exception {
    expectLocalReply("http", "route_not_found");
    try (FrameH2cClient h2 = FrameH2cClient.connect(sidecar.port("http"))) {
      FrameH2cClient.Response r = h2.grpcCall("app.test", "/weft.test.Missing/Call");
      assertThat(r.trailersOnly()).as("one HEADERS frame with END_STREAM: %s", r).isTrue();
      assertThat(r.header(":status")).isEqualTo("200");
      assertThat(r.header("grpc-status")).isEqualTo("12");
      assertThat(r.header("x-weft-error")).isEqualTo("route_not_found");
    }
  }
}
