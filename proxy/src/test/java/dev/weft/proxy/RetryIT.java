package dev.weft.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.proxy.testkit.Bootstraps;
import dev.weft.proxy.testkit.H2cClient;
import dev.weft.proxy.testkit.PrometheusStats;
import dev.weft.proxy.testkit.TestSidecar;
import dev.weft.proxy.testkit.TestUpstream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Route retry policies against upstreams that fail on purpose: retries mask one bad host out of
 * three (a 503, a reset, a closed port) for HTTP/1.1 and HTTP/2 clients; a body larger than the
 * replay buffer is not retried; the retry budget bounds the extra load when every host fails; an
 * HTTP/2 stream refused by the upstream is retried under {@code refused-stream} only.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RetryIT {
  private static final int REQUESTS = 60;
  private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  private static String retryRoute(String cluster, String retryPolicy, String extraRoute) {
    return """
        - name: all
          domains: ["*"]
          include_request_attempt_count: true
          routes:
          - match: { prefix: "/" }
            route:
              cluster: %s
              timeout: 5s
              retry_policy:
        %s
        %s
        """.formatted(cluster, indent(retryPolicy, 8), indent(extraRoute, 4));
  }

  private static String indent(String s, int n) {
    String pad = " ".repeat(n);
    StringBuilder b = new StringBuilder();
    for (String line : s.stripTrailing().split("\n")) {
      if (!line.isBlank()) {
        b.append(pad).append(line).append('\n');
      }
    }
    return b.toString().stripTrailing();
  }

  private static final String MASKING_POLICY = """
      retry_on: "5xx,reset,connect-failure"
      num_retries: 2
      retry_host_predicate:
      - name: envoy.retry_host_predicates.previous_hosts
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate
      """;

  private static HttpResponse<String> get(TestSidecar sc, String path) throws Exception {
    return CLIENT.send(HttpRequest.newBuilder(sc.uri("http", path)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static double metric(TestSidecar sc, String name, Map<String, String> labels) throws Exception {
    return PrometheusStats.value(sc, name, labels);
  }

  /** A port nothing listens on: bound, then closed. */
  private static int closedPort() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private enum Bad { STATUS_503, RESET, CLOSED_PORT }

  private void retriesMaskOneBadHostOfThree(Bad bad, boolean http2Client, boolean http2Upstream) throws Exception {
    try (TestUpstream a = TestUpstream.start("a"); TestUpstream b = TestUpstream.start("b");
        TestUpstream c = TestUpstream.start("c")) {
      int badPort = c.port();
      switch (bad) {
        case STATUS_503 -> c.fault(TestUpstream.Fault.status(503));
        case RESET -> c.fault(TestUpstream.Fault.reset());
        case CLOSED_PORT -> badPort = closedPort();
      }
      String yaml = Bootstraps.bootstrap(Bootstraps.httpListener("http", retryRoute("app", MASKING_POLICY, ""), ""),
          Bootstraps.cluster("app", http2Upstream, a.port(), b.port(), badPort));
      try (TestSidecar sc = TestSidecar.start(yaml)) {
        List<Integer> statuses = new ArrayList<>();
        if (http2Client) {
          try (H2cClient h2 = H2cClient.connect(sc.port("http"))) {
            for (int i = 0; i < REQUESTS; i++) {
              statuses.add(h2.get("/item/" + i).get(10, TimeUnit.SECONDS).status());
            }
          }
        } else {
          for (int i = 0; i < REQUESTS; i++) {
            statuses.add(get(sc, "/item/" + i).statusCode());
          }
        }
        assertThat(statuses).as("every request succeeds although one host of three fails").containsOnly(200);
        assertThat(a.requests() + b.requests()).isEqualTo(REQUESTS);
        List<String> counts = new ArrayList<>();
        a.received().forEach(r -> counts.add(r.header("x-envoy-attempt-count")));
        b.received().forEach(r -> counts.add(r.header("x-envoy-attempt-count")));
        assertThat(counts).as("x-envoy-attempt-count of the successful attempts")
            .allSatisfy(n -> assertThat(n).isIn("1", "2", "3")).contains("1", "2");
        double retries = metric(sc, "weft_cluster_retries_total", Map.of("cluster", "app"));
        assertThat(retries).as("the bad host was tried and its failures retried").isGreaterThan(0);
        if (bad != Bad.CLOSED_PORT) {
          assertThat(c.requests()).as("attempts that reached the bad host").isEqualTo((int) retries);
        }
        // previous_hosts: a retry never goes back to the host that just failed, so two retries suffice.
        assertThat(metric(sc, "weft_cluster_retries_refused_total", Map.of("cluster", "app"))).isZero();
      }
    }
  }

  @Test
  void retriesMaskA503HostOverHttp1() throws Exception {
    retriesMaskOneBadHostOfThree(Bad.STATUS_503, false, false);
  }

  @Test
  void retriesMaskAResettingHostOverHttp1() throws Exception {
    retriesMaskOneBadHostOfThree(Bad.RESET, false, false);
  }

  @Test
  void retriesMaskAClosedPortOverHttp1() throws Exception {
    retriesMaskOneBadHostOfThree(Bad.CLOSED_PORT, false, false);
  }

  @Test
  void retriesMaskA503HostOverHttp2() throws Exception {
    retriesMaskOneBadHostOfThree(Bad.STATUS_503, true, true);
  }

  @Test
  void retriesMaskAResettingHostOverHttp2() throws Exception {
    retriesMaskOneBadHostOfThree(Bad.RESET, true, true);
  }

  @Test
  void retriesMaskAClosedPortOverHttp2() throws Exception {
    retriesMaskOneBadHostOfThree(Bad.CLOSED_PORT, true, false);
  }

  @Test
  void postBodyLargerThanTheReplayBufferIsNotRetried() throws Exception {
    try (TestUpstream bad = TestUpstream.start("bad").fault(TestUpstream.Fault.status(503))) {
      String policy = """
          retry_on: "5xx"
          num_retries: 2
          retry_back_off: { base_interval: 0.001s }
          """;
      String routes = """
          - name: all
            domains: ["*"]
            per_request_buffer_limit_bytes: 1024
            routes:
            - match: { prefix: "/" }
              route:
                cluster: app
                retry_policy:
          %s
          """.formatted(indent(policy, 8));
      try (TestSidecar sc = TestSidecar.start(Bootstraps.bootstrap(Bootstraps.httpListener("http", routes, ""),
          Bootstraps.cluster("app", false, bad.port())))) {
        Map<String, String> tooLarge = Map.of("cluster", "app", "reason", "body_too_large");

        HttpResponse<String> small = CLIENT.send(HttpRequest.newBuilder(sc.uri("http", "/upload"))
            .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[512])).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(small.statusCode()).isEqualTo(503);
        assertThat(bad.requests()).as("a body within the buffer is replayed: 1 + num_retries attempts").isEqualTo(3);
        assertThat(bad.received()).allSatisfy(r -> assertThat(r.bodyBytes()).isEqualTo(512));
        assertThat(metric(sc, "weft_cluster_retries_refused_total", tooLarge)).isZero();

        HttpResponse<String> large = CLIENT.send(HttpRequest.newBuilder(sc.uri("http", "/upload"))
            .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[64 * 1024])).build(),
            HttpResponse.BodyHandlers.ofString());
        assertThat(large.statusCode()).isEqualTo(503);
        assertThat(bad.requests()).as("the large body went upstream once, whole, and was not retried").isEqualTo(4);
        assertThat(bad.last().bodyBytes()).isEqualTo(64 * 1024);
        assertThat(metric(sc, "weft_cluster_retries_refused_total", tooLarge)).isEqualTo(1);
      }
    }
  }

  @Test
  void retryBudgetBoundsTheLoadWhenEveryHostFails() throws Exception {
    try (TestUpstream a = TestUpstream.start("a").fault(TestUpstream.Fault.status(503));
        TestUpstream b = TestUpstream.start("b").fault(TestUpstream.Fault.status(503));
        TestUpstream c = TestUpstream.start("c").fault(TestUpstream.Fault.status(503))) {
      String policy = """
          retry_on: "5xx"
          num_retries: 3
          """;
      String cluster = Bootstraps.cluster("app", true, a.port(), b.port(), c.port()) + """
            circuit_breakers:
              thresholds:
              - retry_budget: { budget_percent: { value: 20 }, min_retry_concurrency: 2 }
          """;
      try (TestSidecar sc = TestSidecar.start(Bootstraps.bootstrap(
          Bootstraps.httpListener("http", retryRoute("app", policy, ""), ""), cluster));
          H2cClient h2 = H2cClient.connect(sc.port("http"))) {
        // A closed loop: a new request goes out as soon as one of the 50 in flight completes.
        int total = 1000;
        int concurrency = 50;
        Semaphore slots = new Semaphore(concurrency);
        AtomicInteger failedCount = new AtomicInteger();
        java.util.Queue<String> other = new java.util.concurrent.ConcurrentLinkedQueue<>();
        List<CompletableFuture<?>> all = new ArrayList<>();
        for (int i = 0; i < total; i++) {
          assertThat(slots.tryAcquire(10, TimeUnit.SECONDS)).isTrue();
          all.add(h2.get("/r/" + i).whenComplete((r, e) -> {
            if (r != null && r.status() == 503) {
              failedCount.incrementAndGet();
            } else {
              other.add(r != null ? r.status() + " " + r.header("x-weft-error") : String.valueOf(e));
            }
            slots.release();
          }));
        }
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(20, TimeUnit.SECONDS);
        int failed = failedCount.get();
        assertThat(other).as("every request ends with the upstream's 503").isEmpty();
        assertThat(failed).isEqualTo(total);
        int attempts = a.requests() + b.requests() + c.requests();
        double retries = metric(sc, "weft_cluster_retries_total", Map.of("cluster", "app"));
        assertThat(attempts).isEqualTo(total + (int) retries);
        // Without the budget every request would be tried 1 + 3 = 4 times (4000 attempts).
        assertThat(attempts).as("attempts stay within requests x (1 + 20%%)").isLessThanOrEqualTo((int) (total * 1.2));
        assertThat(retries).as("retries still happen within the budget").isGreaterThan(0);
        assertThat(metric(sc, "weft_cluster_retry_budget_exhausted_total", Map.of("cluster", "app")))
            .as("the budget refused retries").isGreaterThan(0);
        assertThat(metric(sc, "weft_cluster_retries_refused_total", Map.of("cluster", "app", "reason", "budget")))
            .isGreaterThan(0);
      }
    }
  }

  @Test
  void aRefusedStreamIsRetriedUnderRefusedStream() throws Exception {
    try (RefusingH2Upstream refusing = new RefusingH2Upstream(); TestUpstream good = TestUpstream.start("good")) {
      String yaml = Bootstraps.bootstrap(Bootstraps.httpListener("http",
          retryRoute("app", "retry_on: refused-stream\nnum_retries: 1", ""), ""),
          Bootstraps.cluster("app", true, refusing.port(), good.port()));
      try (TestSidecar sc = TestSidecar.start(yaml)) {
        for (int i = 0; i < 10; i++) {
          assertThat(get(sc, "/r/" + i).statusCode()).isEqualTo(200);
        }
        assertThat(refusing.refused()).as("streams the refusing host turned away").isPositive();
        assertThat(good.requests()).isEqualTo(10);
      }
      String noRetry = Bootstraps.bootstrap(Bootstraps.httpListener("http",
          retryRoute("app", "retry_on: connect-failure\nnum_retries: 1", ""), ""),
          Bootstraps.cluster("app", true, refusing.port(), good.port()));
      try (TestSidecar sc = TestSidecar.start(noRetry)) {
        List<Integer> statuses = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
          statuses.add(get(sc, "/r/" + i).statusCode());
        }
        assertThat(statuses).as("a refused stream is not a connect failure").contains(503);
      }
    }
  }

  /** An h2c server that refuses every stream with RST_STREAM REFUSED_STREAM. */
  private static final class RefusingH2Upstream implements AutoCloseable {
    private final io.netty.channel.EventLoopGroup group = new io.netty.channel.MultiThreadIoEventLoopGroup(1,
        io.netty.channel.nio.NioIoHandler.newFactory());
    private final io.netty.channel.Channel server;
    private final AtomicInteger refused = new AtomicInteger();

    RefusingH2Upstream() throws InterruptedException {
      server = new io.netty.bootstrap.ServerBootstrap().group(group)
          .channel(io.netty.channel.socket.nio.NioServerSocketChannel.class)
          .childHandler(new io.netty.channel.ChannelInitializer<>() {
            @Override
            protected void initChannel(io.netty.channel.Channel ch) {
              ch.pipeline().addLast(io.netty.handler.codec.http2.Http2FrameCodecBuilder.forServer().build(),
                  new io.netty.handler.codec.http2.Http2MultiplexHandler(
                      new io.netty.channel.ChannelInitializer<io.netty.handler.codec.http2.Http2StreamChannel>() {
                        @Override
                        protected void initChannel(io.netty.handler.codec.http2.Http2StreamChannel stream) {
                          stream.pipeline().addLast(new io.netty.channel.ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelRead(io.netty.channel.ChannelHandlerContext ctx, Object msg) {
                              io.netty.util.ReferenceCountUtil.release(msg);
                              if (msg instanceof io.netty.handler.codec.http2.Http2HeadersFrame) {
                                refused.incrementAndGet();
                                ctx.writeAndFlush(new io.netty.handler.codec.http2.DefaultHttp2ResetFrame(
                                    io.netty.handler.codec.http2.Http2Error.REFUSED_STREAM));
                              }
                            }
                          });
                        }
                      }));
            }
          })
          .bind("127.0.0.1", 0).sync().channel();
    }

    int port() {
      return ((java.net.InetSocketAddress) server.localAddress()).getPort();
    }

    int refused() {
      return refused.get();
    }

    @Override
    public void close() {
      server.close().awaitUninterruptibly();
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
    }
  }
}
