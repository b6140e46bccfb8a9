package dev.weft.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weft.proxy.testkit.Bootstraps;
import dev.weft.proxy.testkit.PrometheusStats;
import dev.weft.proxy.testkit.TestSidecar;
import dev.weft.proxy.testkit.TestUpstream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Route timeouts against slow and silent upstreams: per-try timeouts shorter than the route
 * timeout (each attempt cut, then retried), the route timeout spanning every attempt, the route
 * idle timeout and max stream duration. Elapsed-time bounds leave wide margins on the late side.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TimeoutIT {
  private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  private static String route(String routeFields) {
    StringBuilder fields = new StringBuilder();
    for (String line : routeFields.stripTrailing().split("\n")) {
      fields.append("      ").append(line).append('\n');
    }
    return """
        - name: all
          domains: ["*"]
          routes:
          - match: { prefix: "/" }
            route:
              cluster: app
        %s""".formatted(fields);
  }

  private static TestSidecar sidecar(String routeFields, int... ports) throws Exception {
    return TestSidecar.start(Bootstraps.bootstrap(Bootstraps.httpListener("http", route(routeFields), ""),
        Bootstraps.cluster("app", false, ports)));
  }

  /** A response and how long it took. */
  private record Timed(HttpResponse<String> response, Duration elapsed) {
    int status() {
      return response.statusCode();
    }

    String error() {
      return response.headers().firstValue("x-weft-error").orElse(null);
    }
  }

  private static Timed get(TestSidecar sc) throws Exception {
    long t0 = System.nanoTime();
    HttpResponse<String> r = CLIENT.send(HttpRequest.newBuilder(sc.uri("http", "/slow"))
        .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
    return new Timed(r, Duration.ofNanos(System.nanoTime() - t0));
  }

  private static double timeouts(TestSidecar sc, String kind) throws Exception {
    return PrometheusStats.value(sc, "weft_cluster_timeouts_total", Map.of("cluster", "app", "kind", kind));
  }

  @Test
  void perTryTimeoutShorterThanTheRouteTimeoutCutsEachAttemptAndRetries() throws Exception {
    try (TestUpstream slow = TestUpstream.start("slow").fault(TestUpstream.Fault.delay(2_000));
        TestSidecar sc = sidecar("""
            timeout: 5s
            retry_policy:
              retry_on: 5xx
              num_retries: 2
              per_try_timeout: 0.2s
              retry_back_off: { base_interval: 0.01s, max_interval: 0.02s }
            """, slow.port())) {
      Timed t = get(sc);
      assertThat(t.status()).isEqualTo(504);
      assertThat(t.error()).isEqualTo("upstream_timeout");
      // Three attempts of 200 ms each plus two back-offs under 20 ms; far less than the 5 s route timeout.
      assertThat(t.elapsed()).isBetween(Duration.ofMillis(600), Duration.ofMillis(3_000));
      await().atMost(Duration.ofSeconds(5)).until(() -> slow.requests() == 3);
      assertThat(timeouts(sc, "per_try")).isEqualTo(3);
      assertThat(timeouts(sc, "route")).isZero();
      assertThat(PrometheusStats.value(sc, "weft_cluster_retries_total", Map.of("cluster", "app"))).isEqualTo(2);
    }
  }

  @Test
  void perTryTimeoutMovesTheRequestFromASilentHostToAHealthyOne() throws Exception {
    try (TestUpstream silent = TestUpstream.start("silent").fault(TestUpstream.Fault.blackhole());
        TestUpstream good = TestUpstream.start("good");
        TestSidecar sc = sidecar("""
            timeout: 5s
            retry_policy:
              retry_on: 5xx
              num_retries: 1
              per_try_timeout: 0.2s
              retry_host_predicate: [ { name: envoy.retry_host_predicates.previous_hosts } ]
            """, silent.port(), good.port())) {
      int slowOnes = 0;
      for (int i = 0; i < 6; i++) {
        Timed t = get(sc);
        assertThat(t.status()).isEqualTo(200);
        assertThat(t.response().headers().firstValue("x-upstream")).hasValue("good");
        if (t.elapsed().compareTo(Duration.ofMillis(200)) >= 0) {
          slowOnes++;
        }
      }
      assertThat(silent.requests()).as("some first attempts went to the silent host").isPositive();
      assertThat(slowOnes).as("each of those waited for its per-try timeout").isGreaterThanOrEqualTo(silent.requests());
      assertThat(good.requests()).isEqualTo(6);
    }
  }

  @Test
  void routeTimeoutSpansAllAttempts() throws Exception {
    try (TestUpstream silent = TestUpstream.start("silent").fault(TestUpstream.Fault.blackhole());
        TestSidecar sc = sidecar("""
            timeout: 0.5s
            retry_policy:
              retry_on: 5xx
              num_retries: 5
              per_try_timeout: 0.3s
              retry_back_off: { base_interval: 0.01s, max_interval: 0.02s }
            """, silent.port())) {
      Timed t = get(sc);
      assertThat(t.status()).isEqualTo(504);
      assertThat(t.error()).isEqualTo("upstream_timeout");
      assertThat(t.elapsed()).isBetween(Duration.ofMillis(500), Duration.ofMillis(2_500));
      await().atMost(Duration.ofSeconds(5)).until(() -> silent.requests() == 2);
      assertThat(timeouts(sc, "route")).isEqualTo(1);
      assertThat(timeouts(sc, "per_try")).isEqualTo(1);
    }
  }

  @Test
  void routeIdleTimeoutEndsARequestWhenNothingMoves() throws Exception {
    try (TestUpstream silent = TestUpstream.start("silent").fault(TestUpstream.Fault.blackhole());
        TestSidecar sc = sidecar("""
            timeout: 0s
            idle_timeout: 0.3s
            """, silent.port())) {
      Timed t = get(sc);
      assertThat(t.status()).isEqualTo(408);
      assertThat(t.error()).isEqualTo("stream_idle_timeout");
      assertThat(t.elapsed()).isBetween(Duration.ofMillis(300), Duration.ofMillis(2_500));
      assertThat(timeouts(sc, "idle")).isEqualTo(1);
    }
  }

  @Test
  void maxStreamDurationEndsALongRequest() throws Exception {
    try (TestUpstream slow = TestUpstream.start("slow").fault(TestUpstream.Fault.delay(5_000));
        TestSidecar sc = sidecar("""
            timeout: 0s
            max_stream_duration: { max_stream_duration: 0.3s }
            """, slow.port())) {
      Timed t = get(sc);
      assertThat(t.status()).isEqualTo(408);
      assertThat(t.error()).isEqualTo("max_stream_duration");
      assertThat(t.elapsed()).isBetween(Duration.ofMillis(300), Duration.ofMillis(2_500));
      assertThat(timeouts(sc, "max_stream_duration")).isEqualTo(1);
    }
  }

  @Test
  void connectionManagerStreamIdleTimeoutAppliesToRoutesWithoutTheirOwn() throws Exception {
    try (TestUpstream silent = TestUpstream.start("silent").fault(TestUpstream.Fault.blackhole());
        TestSidecar sc = TestSidecar.start(Bootstraps.bootstrap(
            Bootstraps.httpListener("http", route("timeout: 0s"), "stream_idle_timeout: 0.3s"),
            Bootstraps.cluster("app", false, silent.port())))) {
      Timed t = get(sc);
      assertThat(t.status()).isEqualTo(408);
      assertThat(t.error()).isEqualTo("stream_idle_timeout");
      assertThat(t.elapsed()).isBetween(Duration.ofMillis(300), Duration.ofMillis(2_500));
    }
  }
}
