package dev.weft.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.weft.proxy.testkit.Bootstraps;
import dev.weft.proxy.testkit.GoAwayAwareH2cClient;
import dev.weft.proxy.testkit.SidecarProcess;
import dev.weft.proxy.testkit.TestUpstream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The proxy as its own JVM, as {@code weft proxy} runs it: bounded memory under large bodies,
 * graceful drain on SIGTERM with exit code 0, and {@code --validate}.
 */
class ProcessIT {
  private static final long GIB = 1L << 30;
  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(10);

  /** Small heap and direct memory, paranoid leak detection, and exit (not limp on) if the heap runs out. */
  private static final SidecarProcess.Options BOUNDED = SidecarProcess.Options.defaults().withJvmFlags(
      "-Xmx64m", "-XX:MaxDirectMemorySize=64m", "-XX:+ExitOnOutOfMemoryError",
      "-Dio.netty.leakDetection.level=paranoid");

  /** One listener "http" routing everything to cluster "app", with no route timeout (long transfers). */
  private static String bootstrap(int upstreamPort) {
    String vhost = """
        - name: all
          domains: ["*"]
          routes:
          - match: { prefix: "/" }
            route: { cluster: app, timeout: 0s }
        """;
    return Bootstraps.bootstrap(Bootstraps.httpListener("http", vhost, ""),
        Bootstraps.cluster("app", false, upstreamPort));
  }

  private static HttpClient http1() {
    return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(CALL_TIMEOUT).build();
  }

  private static void assertHealthy(SidecarProcess proxy) {
    assertThat(proxy.isAlive()).as("proxy process alive").isTrue();
    assertThat(proxy.stderr()).doesNotContain("OutOfMemoryError").doesNotContain("OutOfDirectMemoryError")
        .doesNotContain("LEAK:");
  }

  @Nested
  class BoundedMemory {
    @TempDir
    Path dir;

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void streamsAOneGibRequestBodyThroughA64MibHeap() throws Exception {
      try (TestUpstream up = TestUpstream.start("big");
           SidecarProcess proxy = SidecarProcess.start(dir, bootstrap(up.port()), BOUNDED);
           HttpClient client = http1()) {
        HttpRequest upload = HttpRequest.newBuilder(proxy.uri("http", "/upload"))
            .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new GeneratedBody(GIB)))
            .build();

        HttpResponse<String> r = client.send(upload, HttpResponse.BodyHandlers.ofString());

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("x-received-bytes")).hasValue(Long.toString(GIB));
        assertThat(r.body()).isEqualTo("received=" + GIB);
        assertThat(up.bodyBytes()).isEqualTo(GIB);
        assertHealthy(proxy);
      }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void streamsAOneGibResponseBodyThroughA64MibHeap() throws Exception {
      try (TestUpstream up = TestUpstream.start("big");
           SidecarProcess proxy = SidecarProcess.start(dir, bootstrap(up.port()), BOUNDED);
           HttpClient client = http1()) {
        HttpRequest download = HttpRequest.newBuilder(proxy.uri("http", "/bytes/" + GIB)).GET().build();

        HttpResponse<InputStream> r = client.send(download, HttpResponse.BodyHandlers.ofInputStream());
        long received;
        try (InputStream body = r.body()) {
          received = body.transferTo(OutputStream.nullOutputStream());
        }

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValueAsLong("content-length")).hasValue(GIB);
        assertThat(received).isEqualTo(GIB);
        assertHealthy(proxy);
      }
    }
  }

  @Nested
  class Drain {
    private static final int IN_FLIGHT = 8;
    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(15);
    private static final SidecarProcess.Options OPTIONS = SidecarProcess.Options.defaults()
        .withJvmFlags("-Xmx64m", "-Dio.netty.leakDetection.level=paranoid")
        .withDrainTimeout(DRAIN_TIMEOUT);

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void sigtermFinishesInFlightHttp1RequestsRefusesNewConnectionsAndExitsZero() throws Exception {
      try (TestUpstream up = TestUpstream.start("slow");
           SidecarProcess proxy = SidecarProcess.start(dir, bootstrap(up.port()), OPTIONS);
           HttpClient client = http1();
           HttpClient admin = http1()) {
        List<CompletableFuture<HttpResponse<String>>> inFlight = new ArrayList<>();
        for (int i = 0; i < IN_FLIGHT; i++) {
          inFlight.add(client.sendAsync(HttpRequest.newBuilder(proxy.uri("http", "/delay/2000")).build(),
              HttpResponse.BodyHandlers.ofString()));
        }
        await().atMost(CALL_TIMEOUT).until(() -> up.requests() == IN_FLIGHT);
        assertThat(adminGet(admin, proxy, "/ready").statusCode()).isEqualTo(200);
        long signalled = System.nanoTime();

        proxy.terminate();

        await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(20)).untilAsserted(() -> {
          HttpResponse<String> ready = adminGet(admin, proxy, "/ready");
          assertThat(ready.statusCode()).isEqualTo(503);
          assertThat(ready.body()).isEqualTo("DRAINING\n");
        });
        await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(20)).untilAsserted(() ->
            assertThatThrownBy(() -> new Socket("127.0.0.1", proxy.port("http")).close())
                .isInstanceOf(ConnectException.class));
        for (CompletableFuture<HttpResponse<String>> f : inFlight) {
          HttpResponse<String> r = f.get(CALL_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
          assertThat(r.statusCode()).isEqualTo(200);
          assertThat(r.headers().firstValue("connection")).hasValue("close");
        }
        assertThat(proxy.awaitExit(DRAIN_TIMEOUT)).isZero();
        assertThat(Duration.ofNanos(System.nanoTime() - signalled)).isLessThan(DRAIN_TIMEOUT.dividedBy(3));
        assertThat(proxy.stderr()).contains("weft proxy: drained, exiting").doesNotContain("LEAK:");
      }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void sigtermSendsGoawayOnHttp2AndTheInFlightStreamCompletes() throws Exception {
      try (TestUpstream up = TestUpstream.start("slow");
           SidecarProcess proxy = SidecarProcess.start(dir, bootstrap(up.port()), OPTIONS);
           GoAwayAwareH2cClient h2 = GoAwayAwareH2cClient.connect(proxy.port("http"))) {
        CompletableFuture<GoAwayAwareH2cClient.Response> response = h2.get("/delay/2000");
        await().atMost(CALL_TIMEOUT).until(() -> up.requests() == 1);
        long signalled = System.nanoTime();

        proxy.terminate();

        int lastStreamId = h2.goAway().get(CALL_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        assertThat(response).as("stream still open after GOAWAY").isNotDone();
        GoAwayAwareH2cClient.Response r = response.get(CALL_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        assertThat(r.status()).isEqualTo(200);
        assertThat(lastStreamId).isGreaterThanOrEqualTo(r.streamId());
        assertThat(proxy.awaitExit(DRAIN_TIMEOUT)).isZero();
        assertThat(Duration.ofNanos(System.nanoTime() - signalled)).isLessThan(DRAIN_TIMEOUT.dividedBy(3));
        assertThat(proxy.stderr()).contains("weft proxy: drained, exiting").doesNotContain("LEAK:");
      }
    }

    private static HttpResponse<String> adminGet(HttpClient admin, SidecarProcess proxy, String path)
        throws IOException, InterruptedException {
      return admin.send(HttpRequest.newBuilder(proxy.adminUri(path)).timeout(CALL_TIMEOUT).build(),
          HttpResponse.BodyHandlers.ofString());
    }
  }

  @Nested
  class Validate {
    private static final List<String> JVM = SidecarProcess.Options.defaults().jvmFlags();
    private static final Duration RUN_TIMEOUT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    static Stream<Arguments> invalidBootstraps() {
      String listener = Bootstraps.httpListener("http", Bootstraps.routeAllTo("app"), "");
      String cluster = Bootstraps.cluster("app", false, 8080);
      return Stream.of(
          Arguments.of("unknown field",
              Bootstraps.bootstrap(listener, cluster.replace("connect_timeout:", "conect_timeout:")),
              "conect_timeout", "static_resources.clusters[0]",
              "unknown field 'conect_timeout' in envoy.config.cluster.v3.Cluster (did you mean 'connect_timeout'?)"),
          Arguments.of("wrong type",
              Bootstraps.bootstrap(listener, cluster.replace("port_value: 8080", "port_value: eighty")),
              "eighty",
              "static_resources.clusters[0].load_assignment.endpoints[0].lb_endpoints[0].endpoint.address"
                  + ".socket_address.port_value",
              "'eighty' is not a non-negative integer"),
          Arguments.of("unsupported field",
              Bootstraps.bootstrap(listener, cluster.replace("connect_timeout: 1s",
                  "connect_timeout: 1s\n  dns_lookup_family: V4_ONLY")),
              "dns_lookup_family", "static_resources.clusters[0].dns_lookup_family",
              "field 'dns_lookup_family' of envoy.config.cluster.v3.Cluster is not supported by Weft"),
          Arguments.of("unknown cluster",
              Bootstraps.bootstrap(Bootstraps.httpListener("http", Bootstraps.routeAllTo("nowhere"), ""), cluster),
              "cluster: nowhere",
              "static_resources.listeners[0].filter_chains[0].filters[0].typed_config.route_config"
                  + ".virtual_hosts[0].routes[0].route.cluster",
              "unknown cluster 'nowhere'"));
    }

    /** Each case: a name, the bootstrap, the text the error's location points at, the field path, the problem. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidBootstraps")
    void rejectsAnInvalidBootstrapNamingLocationPathAndProblem(String name, String yaml, String token,
        String path, String problem) throws Exception {
      Path file = dir.resolve("bootstrap.yaml");
      Files.writeString(file, yaml);

      SidecarProcess.Exit exit = SidecarProcess.run(JVM, List.of("--validate", file.toString()), RUN_TIMEOUT);

      assertThat(exit.code()).as(exit.stderr()).isEqualTo(1);
      assertThat(exit.stderr()).contains(file.getFileName() + ":" + locationOf(yaml, token) + ": " + path + ": "
          + problem);
    }

    @Test
    void acceptsAValidBootstrap() throws Exception {
      Path file = dir.resolve("bootstrap.yaml");
      Files.writeString(file, Bootstraps.simple(false, 8080));

      SidecarProcess.Exit exit = SidecarProcess.run(JVM, List.of("--validate", file.toString()), RUN_TIMEOUT);

      assertThat(exit.code()).as(exit.stderr()).isZero();
      assertThat(exit.stdout()).contains("valid (1 listeners, 1 clusters)");
      assertThat(exit.stderr()).isEmpty();
    }

    /** "line:column" (1-based) of the first occurrence of {@code token} in {@code yaml}. */
    private static String locationOf(String yaml, String token) {
      String[] lines = yaml.split("\n", -1);
      for (int i = 0; i < lines.length; i++) {
        int col = lines[i].indexOf(token);
        if (col >= 0) {
          return (i + 1) + ":" + (col + 1);
        }
      }
      throw new IllegalArgumentException("'" + token + "' not in the bootstrap");
    }
  }

  /** A request body of {@code size} generated bytes, never held in memory whole. */
  private static final class GeneratedBody extends InputStream {
    private static final byte[] PATTERN = "0123456789abcdefghijklmnopqrstuvwxyz\n".repeat(1771)
        .getBytes(StandardCharsets.US_ASCII);
    private long left;

    GeneratedBody(long size) {
      this.left = size;
    }

    @Override
    public int read() {
      if (left == 0) {
        return -1;
      }
      left--;
      return PATTERN[(int) (left % PATTERN.length)];
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (left == 0) {
        return -1;
      }
      int n = (int) Math.min(Math.min(len, left), PATTERN.length);
      System.arraycopy(PATTERN, 0, b, off, n);
      left -= n;
      return n;
    }
  }
}
