package dev.weft.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.proxy.testkit.Bootstraps;
import dev.weft.proxy.testkit.PrometheusStats;
import dev.weft.proxy.testkit.TestSidecar;
import dev.weft.proxy.testkit.TestUpstream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Envoy's HTTP fault filter in front of the router: aborts and delays a configured share of the
 * requests that carry a header, leaves the others alone, answers gRPC requests with a gRPC
 * status, and caps concurrent faults with {@code max_active_faults}.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class FaultInjectionIT {
  private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();
  /** The filter's fixed_delay. */
  private static final long DELAY_MS = 100;

  private static TestUpstream app;
  private static TestSidecar sidecar;

  @BeforeAll
  static void start() throws Exception {
    app = TestUpstream.start("app");
    String routes = """
        - name: all
          domains: ["*"]
          routes:
          - match: { prefix: "/grpc-abort" }
            route: { cluster: app }
            typed_per_filter_config:
              chaos:
                "@type": type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault
                abort: { grpc_status: 14, percentage: { numerator: 100 } }
          - match: { prefix: "/capped" }
            route: { cluster: app }
            typed_per_filter_config:
              chaos:
                "@type": type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault
                delay: { fixed_delay: 1s, percentage: { numerator: 100 } }
                max_active_faults: 2
          - match: { prefix: "/" }
            route: { cluster: app }
        """;
    String fault = """
        - name: chaos
          typed_config:
            "@type": type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault
            headers: [ { name: x-chaos, present_match: true } ]
            abort: { http_status: 418, percentage: { numerator: 50, denominator: HUNDRED } }
            delay: { fixed_delay: 0.1s, percentage: { numerator: 2500, denominator: TEN_THOUSAND } }
        """;
    sidecar = TestSidecar.start(Bootstraps.withHttpFilters(Bootstraps.bootstrap(
        Bootstraps.httpListener("http", routes, ""), Bootstraps.cluster("app", false, app.port())), fault));
  }

  @AfterAll
  static void stop() {
    if (sidecar != null) {
      sidecar.close();
    }
    if (app != null) {
      app.close();
    }
  }

  /** A response and its latency. */
  private record Timed(int status, String error, long millis) {}

  private static List<Timed> send(int n, int concurrency, String path, String... headers) throws Exception {
    List<Timed> out = new ArrayList<>();
    for (int start = 0; start < n; start += concurrency) {
      List<CompletableFuture<Timed>> batch = new ArrayList<>();
      for (int i = start; i < Math.min(n, start + concurrency); i++) {
        HttpRequest.Builder b = HttpRequest.newBuilder(sidecar.uri("http", path + i)).timeout(Duration.ofSeconds(20));
        for (int h = 0; h < headers.length; h += 2) {
          b.header(headers[h], headers[h + 1]);
        }
        long t0 = System.nanoTime();
        batch.add(CLIENT.sendAsync(b.build(), HttpResponse.BodyHandlers.ofString()).thenApply(r -> new Timed(
            r.statusCode(), r.headers().firstValue("x-weft-error").orElse(null),
            (System.nanoTime() - t0) / 1_000_000)));
      }
      for (CompletableFuture<Timed> f : batch) {
        out.add(f.get(30, TimeUnit.SECONDS));
      }
    }
    return out;
  }

  private static double faults(String kind) throws Exception {
    return PrometheusStats.value(sidecar, "weft_http_faults_injected_total", Map.of("listener", "http", "kind", kind));
  }

  @Test
  void abortsAndDelaysTheConfiguredShareOfMatchingRequests() throws Exception {
    double delaysBefore = faults("delay");
    double abortsBefore = faults("abort");
    int n = 400;
    List<Timed> results = send(n, 20, "/item/", "x-chaos", "1");
    long aborted = results.stream().filter(t -> t.status() == 418).count();
    assertThat(results).allSatisfy(t -> assertThat(t.status()).isIn(200, 418));
    assertThat(results).filteredOn(t -> t.status() == 418).allSatisfy(t -> assertThat(t.error()).isEqualTo("fault_abort"));
    // 50 % of 400: standard deviation 10, so +-50 is five of them.
    assertThat(aborted).isBetween(150L, 250L);
    assertThat(faults("abort") - abortsBefore).isEqualTo(aborted);
    // 25 % delayed: standard deviation 8.7, so +-45 is five of them.
    double delayed = faults("delay") - delaysBefore;
    assertThat(delayed).isBetween(55.0, 145.0);
    long slow = results.stream().filter(t -> t.millis() >= DELAY_MS).count();
    assertThat(slow).as("every delayed request took at least the delay").isGreaterThanOrEqualTo((long) delayed);
  }

  @Test
  void requestsWithoutTheHeaderAreLeftAlone() throws Exception {
    double delaysBefore = faults("delay");
    double abortsBefore = faults("abort");
    List<Timed> results = send(100, 20, "/plain/");
    assertThat(results).allSatisfy(t -> assertThat(t.status()).isEqualTo(200));
    assertThat(faults("delay")).isEqualTo(delaysBefore);
    assertThat(faults("abort")).isEqualTo(abortsBefore);
  }

  @Test
  void aGrpcAbortAnswersTrailersOnlyWithTheConfiguredStatus() throws Exception {
    HttpResponse<String> r = CLIENT.send(HttpRequest.newBuilder(sidecar.uri("http", "/grpc-abort/svc/Method"))
        .header("content-type", "application/grpc").header("x-chaos", "1")
        .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[5])).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("grpc-status")).hasValue("14");
    assertThat(r.headers().firstValue("x-weft-error")).hasValue("fault_abort");

    HttpResponse<String> plain = CLIENT.send(HttpRequest.newBuilder(sidecar.uri("http", "/grpc-abort/page"))
        .header("x-chaos", "1").build(), HttpResponse.BodyHandlers.ofString());
    assertThat(plain.statusCode()).as("UNAVAILABLE to a non-gRPC client").isEqualTo(503);
  }

  @Test
  void maxActiveFaultsLetsOnlyThatManyRequestsBeDelayedAtOnce() throws Exception {
    double overflowBefore = PrometheusStats.value(sidecar, "weft_http_faults_overflow_total",
        Map.of("listener", "http"));
    List<Timed> results = send(6, 6, "/capped/", "x-chaos", "1");
    assertThat(results).allSatisfy(t -> assertThat(t.status()).isEqualTo(200));
    assertThat(results.stream().filter(t -> t.millis() >= 1000).count()).isEqualTo(2);
    assertThat(PrometheusStats.value(sidecar, "weft_http_faults_overflow_total", Map.of("listener", "http"))
        - overflowBefore).isEqualTo(4);
  }
}
