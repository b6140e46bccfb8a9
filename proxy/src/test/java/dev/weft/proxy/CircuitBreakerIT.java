package dev.weft.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weft.proxy.testkit.Bootstraps;
import dev.weft.proxy.testkit.PrometheusStats;
import dev.weft.proxy.testkit.TcpEchoServer;
import dev.weft.proxy.testkit.TestSidecar;
import dev.weft.proxy.testkit.TestUpstream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Circuit breakers shed load with 503 {@code overflow} at the configured limits, across event loops. */
class CircuitBreakerIT {
  private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private static final Map<String, String> APP = Map.of("cluster", "app");

  private static String bootstrap(String breakers, boolean http2, int... ports) {
    return Bootstraps.bootstrap(Bootstraps.httpListener("http", Bootstraps.routeAllTo("app"), ""),
        Bootstraps.clusterWith("app", http2, breakers, ports));
  }

  private static CompletableFuture<HttpResponse<String>> send(TestSidecar sc, String path) {
    return CLIENT.sendAsync(HttpRequest.newBuilder(sc.uri("http", path)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @ParameterizedTest(name = "upstream http2={0}")
  @ValueSource(booleans = {false, true})
  void requestsBeyondMaxRequestsGet503OverflowAtOnce(boolean http2) throws Exception {
    String breakers = "circuit_breakers: { thresholds: [ { max_requests: 2 } ] }";
    try (TestUpstream up = TestUpstream.start("slow").fault(TestUpstream.Fault.delay(3000));
         TestSidecar sc = TestSidecar.start(bootstrap(breakers, http2, up.port()))) {
      // Two requests in flight (on whichever event loops their connections landed on)...
      List<CompletableFuture<HttpResponse<String>>> inFlight = List.of(send(sc, "/1"), send(sc, "/2"));
      await().atMost(Duration.ofSeconds(5)).until(() -> up.requests() == 2);

      // ...so every further one is shed at once, without reaching the upstream.
      for (int i = 0; i < 3; i++) {
        long t0 = System.nanoTime();
        HttpResponse<String> shed = send(sc, "/shed" + i).get();
        assertThat(shed.statusCode()).isEqualTo(503);
        assertThat(shed.headers().firstValue("x-weft-error")).hasValue("overflow");
        assertThat(shed.headers().firstValue("x-envoy-overloaded")).hasValue("true");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofMillis(1000));
      }
      assertThat(up.requests()).isEqualTo(2);
      for (var f : inFlight) {
        assertThat(f.get().statusCode()).isEqualTo(200);
      }
      // The slots came back: a request goes through again.
      assertThat(send(sc, "/after").get().statusCode()).isEqualTo(200);
      assertThat(PrometheusStats.value(sc, "weft_upstream_rq_pending_overflow_total", APP)).isEqualTo(3);
      assertThat(PrometheusStats.value(sc, "weft_http_local_replies_total", Map.of("reason", "overflow")))
          .isEqualTo(3);
    }
  }

  @Test
  void maxConnectionsQueuesRequestsAndMaxPendingShedsTheRest() throws Exception {
    String breakers = "circuit_breakers: { thresholds: [ { max_connections: 1, max_pending_requests: 1 } ] }";
    // One worker: one pool, so the single connection is the whole cluster's.
    // The first request holds the connection for 3 s, long enough for the next two to arrive.
    try (TestUpstream up = TestUpstream.start("slow").fault(TestUpstream.Fault.delay(3000));
         TestSidecar sc = TestSidecar.start(bootstrap(breakers, false, up.port()),
             new Sidecar.Options(1, true, Duration.ofSeconds(2)))) {
      CompletableFuture<HttpResponse<String>> first = send(sc, "/first");
      await().atMost(Duration.ofSeconds(5)).until(() -> up.requests() == 1);
      // The second request may not open a second connection: it waits (pending) for the first's.
      CompletableFuture<HttpResponse<String>> second = send(sc, "/second");
      await().atMost(Duration.ofSeconds(5))
          .until(() -> PrometheusStats.value(sc, "weft_upstream_cx_overflow_total", APP) == 1);
      // The third finds the pending queue full.
      HttpResponse<String> third = send(sc, "/third").get();
      assertThat(third.statusCode()).isEqualTo(503);
      assertThat(third.headers().firstValue("x-weft-error")).hasValue("overflow");

      assertThat(first.get().statusCode()).isEqualTo(200);
      HttpResponse<String> secondResponse = second.get();
      assertThat(secondResponse.statusCode()).isEqualTo(200);
      assertThat(up.connections()).as("the queued request reused the one connection").isEqualTo(1);
      assertThat(PrometheusStats.value(sc, "weft_upstream_rq_pending_overflow_total", APP)).isEqualTo(1);
      assertThat(sc.sidecar().clusters().get("app").circuitBreaker().pendingRequests()).isZero();
      assertThat(sc.sidecar().clusters().get("app").circuitBreaker().activeRequests()).isZero();
    }
  }

  @Test
  void limitsHoldAcrossEventLoopsUnderConcurrentLoad() throws Exception {
    String breakers = "circuit_breakers: { thresholds: [ { max_requests: 5, max_pending_requests: 100 } ] }";
    try (TestUpstream up = TestUpstream.start("slow").fault(TestUpstream.Fault.delay(1000));
         TestSidecar sc = TestSidecar.start(bootstrap(breakers, false, up.port()),
             new Sidecar.Options(4, true, Duration.ofSeconds(2)))) {
      List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        all.add(send(sc, "/" + i));
      }
      int ok = 0;
      int shed = 0;
      for (var f : all) {
        int status = f.get().statusCode();
        ok += status == 200 ? 1 : 0;
        shed += status == 503 ? 1 : 0;
      }
      assertThat(ok + shed).isEqualTo(40);
      assertThat(ok).isGreaterThanOrEqualTo(5);
      assertThat(shed).isGreaterThan(0);
      assertThat(PrometheusStats.value(sc, "weft_upstream_rq_pending_overflow_total", APP)).isEqualTo(shed);
      var breaker = sc.sidecar().clusters().get("app").circuitBreaker();
      assertThat(breaker.activeRequests()).isZero();
      assertThat(breaker.pendingRequests()).isZero();
      assertThat(breaker.activeConnections()).isEqualTo(sc.sidecar().clusters().get("app").endpoints().getFirst()
          .activeConnections.get());
    }
  }

  @Test
  void tcpProxyConnectionsBeyondMaxConnectionsAreClosed() throws Exception {
    String listener = """
        - name: tcp
          address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
          filter_chains:
          - filters:
            - name: envoy.filters.network.tcp_proxy
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
                stat_prefix: tcp
                cluster: app
        """;
    try (TcpEchoServer echo = TcpEchoServer.echo();
         TestSidecar sc = TestSidecar.start(Bootstraps.bootstrap(listener, Bootstraps.clusterWith("app", false,
             "circuit_breakers: { thresholds: [ { max_connections: 1 } ] }", echo.port())));
         Socket first = new Socket(InetAddress.getLoopbackAddress(), sc.port("tcp"))) {
      first.setSoTimeout(5000);
      first.getOutputStream().write('a');
      assertThat(first.getInputStream().read()).isEqualTo('a');
      try (Socket second = new Socket(InetAddress.getLoopbackAddress(), sc.port("tcp"))) {
        second.setSoTimeout(5000);
        assertThat(second.getInputStream().read()).as("closed without a connection upstream").isEqualTo(-1);
      }
      assertThat(echo.accepted()).isEqualTo(1);
      assertThat(PrometheusStats.value(sc, "weft_upstream_cx_overflow_total", APP)).isEqualTo(1);
      first.close();
      // The slot comes back when the first connection ends.
      await().atMost(Duration.ofSeconds(5))
          .until(() -> sc.sidecar().clusters().get("app").circuitBreaker().activeConnections() == 0);
      try (Socket third = new Socket(InetAddress.getLoopbackAddress(), sc.port("tcp"))) {
        third.setSoTimeout(5000);
        third.getOutputStream().write('b');
        assertThat(third.getInputStream().read()).isEqualTo('b');
      }
    }
  }

  @Test
  void maxRetriesBoundsTheRetriesInFlightAcrossRequests() throws Exception {
    String routes = """
        - name: all
          domains: ["*"]
          routes:
          - match: { prefix: "/" }
            route:
              cluster: app
              timeout: 10s
              retry_policy: { retry_on: 5xx, num_retries: 1, per_try_timeout: 1.5s }
        """;
    // Every attempt times out after 1.5 s: three requests fail their first attempt together, and
    // the one retry allowed holds the cluster's only retry slot while the other two ask for theirs.
    try (TestUpstream up = TestUpstream.start("blackhole").fault(TestUpstream.Fault.blackhole());
         TestSidecar sc = TestSidecar.start(Bootstraps.bootstrap(Bootstraps.httpListener("http", routes, ""),
             Bootstraps.clusterWith("app", false, "circuit_breakers: { thresholds: [ { max_retries: 1 } ] }",
                 up.port())))) {
      List<CompletableFuture<HttpResponse<String>>> all = List.of(send(sc, "/1"), send(sc, "/2"), send(sc, "/3"));
      for (var f : all) {
        assertThat(f.get().statusCode()).isEqualTo(504);
      }
      assertThat(up.requests()).as("three first attempts and one retry").isEqualTo(4);
      assertThat(PrometheusStats.value(sc, "weft_upstream_rq_retry_overflow_total", APP)).isEqualTo(2);
      assertThat(sc.sidecar().clusters().get("app").circuitBreaker().activeRetries()).isZero();
    }
  }
}
