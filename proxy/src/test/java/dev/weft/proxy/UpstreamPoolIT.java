package dev.weft.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weft.proxy.testkit.Bootstraps;
import dev.weft.proxy.testkit.TestSidecar;
import dev.weft.proxy.testkit.TestUpstream;
import dev.weft.proxy.upstream.EndpointState;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Upstream connection pools: reuse, limits, idle and connect timeouts, round robin. */
class UpstreamPoolIT {
  private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  private static HttpResponse<String> get(TestSidecar sc, String path) throws Exception {
    return CLIENT.send(HttpRequest.newBuilder(sc.uri("http", path)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static EndpointState endpoint(TestSidecar sc) {
    return sc.sidecar().clusters().get("app").endpoints().getFirst();
  }

  @Test
  void sequentialRequestsReuseOneUpstreamConnection() throws Exception {
    try (TestUpstream up = TestUpstream.start("a");
         TestSidecar sc = TestSidecar.start(Bootstraps.simple(false, up.port()))) {
      for (int i = 0; i < 50; i++) {
        assertThat(get(sc, "/r" + i).statusCode()).isEqualTo(200);
      }
      // One client connection lands on one worker loop, whose pool keeps one connection.
      assertThat(up.connections()).isLessThanOrEqualTo(2);
      assertThat(up.requests()).isEqualTo(50);
    }
  }

  @Test
  void maxRequestsPerConnectionRotatesConnections() throws Exception {
    String yaml = Bootstraps.simple(false, 0).replace("connect_timeout: 1s",
        "connect_timeout: 1s\n    max_requests_per_connection: 2");
    try (TestUpstream up = TestUpstream.start("a");
         TestSidecar sc = TestSidecar.start(yaml.replace("port_value: 0 } } }", "port_value: " + up.port() + " } } }"))) {
      for (int i = 0; i < 6; i++) {
        assertThat(get(sc, "/").statusCode()).isEqualTo(200);
      }
      assertThat(up.connections()).isGreaterThanOrEqualTo(3);
    }
  }

  @Test
  void idleTimeoutClosesPooledConnections() throws Exception {
    String cluster = Bootstraps.cluster("app", false, 0).replace("connect_timeout: 1s", """
        connect_timeout: 1s
          typed_extension_protocol_options:
            envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
              "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
              common_http_protocol_options: { idle_timeout: 0.3s }
              explicit_http_config: { http_protocol_options: {} }""");
    try (TestUpstream up = TestUpstream.start("a")) {
      String yaml = Bootstraps.bootstrap(Bootstraps.httpListener("http", Bootstraps.routeAllTo("app"), ""),
          cluster.replace("port_value: 0 ", "port_value: " + up.port() + " "));
      try (TestSidecar sc = TestSidecar.start(yaml)) {
        assertThat(get(sc, "/").statusCode()).isEqualTo(200);
        assertThat(endpoint(sc).activeConnections.get()).isEqualTo(1);
        await().atMost(Duration.ofSeconds(5)).until(() -> endpoint(sc).activeConnections.get() == 0);
        assertThat(get(sc, "/").statusCode()).as("a new connection after the idle close").isEqualTo(200);
      }
    }
  }

  @Test
  void connectTimeoutAnswers503() throws Exception {
    // A listener that never accepts: once its accept queue is full, further SYNs are dropped
    // and connects hang until the cluster's connect_timeout.
    List<Socket> fillers = new ArrayList<>();
    try (ServerSocket full = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      for (int i = 0; i < 8; i++) {
        Socket s = new Socket();
        try {
          s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), full.getLocalPort()), 200);
          fillers.add(s);
        } catch (java.io.IOException e) {
          s.close();
          break; // the queue is full
        }
      }
      String yaml = Bootstraps.simple(false, full.getLocalPort()).replace("connect_timeout: 1s", "connect_timeout: 0.5s");
      try (TestSidecar sc = TestSidecar.start(yaml)) {
        long start = System.nanoTime();
        HttpResponse<String> r = get(sc, "/");
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.headers().firstValue("x-weft-error")).hasValue("upstream_connect_failure");
        assertThat(ms).isBetween(400L, 5000L);
        assertThat(endpoint(sc).connectFailures.sum()).isEqualTo(1);
      }
    } finally {
      for (Socket s : fillers) {
        s.close();
      }
    }
  }

  @Test
  void roundRobinSpreadsRequestsOverEndpoints() throws Exception {
    try (TestUpstream a = TestUpstream.start("a"); TestUpstream b = TestUpstream.start("b");
         TestUpstream c = TestUpstream.start("c");
         TestSidecar sc = TestSidecar.start(Bootstraps.simple(false, a.port(), b.port(), c.port()))) {
      for (int i = 0; i < 90; i++) {
        assertThat(get(sc, "/").statusCode()).isEqualTo(200);
      }
      // Per-loop rotation: each loop cycles a, b, c; a client connection stays on one loop.
      assertThat(List.of(a.requests(), b.requests(), c.requests())).allSatisfy(n -> assertThat(n).isEqualTo(30));
    }
  }
}
