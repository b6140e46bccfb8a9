package dev.weft.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weft.proxy.testkit.Bootstraps;
import dev.weft.proxy.testkit.PrometheusStats;
import dev.weft.proxy.testkit.TestSidecar;
import dev.weft.proxy.testkit.TestUpstream;
import dev.weft.proxy.upstream.EndpointState;
import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Outlier detection against upstreams that fail on purpose: hosts are ejected within the
 * configured count, never more than max_ejection_percent of them, and come back after the
 * ejection time.
 */
class OutlierDetectionIT {
  private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  private static String bootstrap(String outlier, int... ports) {
    return Bootstraps.bootstrap(Bootstraps.httpListener("http", Bootstraps.routeAllTo("app"), ""),
        Bootstraps.clusterWith("app", false, outlier, ports));
  }

  private static int get(TestSidecar sc, String path) throws Exception {
    return CLIENT.send(HttpRequest.newBuilder(sc.uri("http", path)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  private static String clusters(TestSidecar sc) throws Exception {
    return CLIENT.send(HttpRequest.newBuilder(sc.adminUri("/clusters")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
  }

  private static String flags(TestSidecar sc, int port) throws Exception {
    String prefix = "app::127.0.0.1:" + port + "::health_flags::";
    return clusters(sc).lines().filter(l -> l.startsWith(prefix)).findFirst().orElseThrow()
        .substring(prefix.length());
  }

  private static EndpointState endpoint(TestSidecar sc, int port) {
    return sc.sidecar().clusters().get("app").endpoints().stream()
        .filter(e -> e.config().address().port() == port).findFirst().orElseThrow();
  }

  private static int closedPort() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  @Test
  void consecutive5xxEjectsTheFailingHostAtTheCountAndItComesBackAfterTheEjectionTime() throws Exception {
    String outlier = """
        outlier_detection:
          consecutive_5xx: 3
          interval: 0.1s
          base_ejection_time: 1s
          max_ejection_percent: 34""";
    try (TestUpstream a = TestUpstream.start("a");
         TestUpstream b = TestUpstream.start("b");
         TestUpstream c = TestUpstream.start("c").fault(TestUpstream.Fault.status(503));
         TestSidecar sc = TestSidecar.start(bootstrap(outlier, a.port(), b.port(), c.port()))) {
      int failed = 0;
      for (int i = 0; i < 30; i++) {
        failed += get(sc, "/r" + i) == 503 ? 1 : 0;
      }
      assertThat(c.requests()).as("ejected at the third consecutive 5xx").isEqualTo(3);
      assertThat(failed).isEqualTo(3);
      assertThat(a.requests() + b.requests()).isEqualTo(27);
      assertThat(flags(sc, c.port())).isEqualTo("/failed_outlier_check");
      assertThat(flags(sc, a.port())).isEqualTo("healthy");
      String stats = PrometheusStats.scrape(sc);
      assertThat(PrometheusStats.value(stats, "weft_outlier_detection_ejections_enforced_total",
          Map.of("cluster", "app", "type", "consecutive_5xx"))).isEqualTo(1);
      assertThat(PrometheusStats.value(stats, "weft_outlier_detection_ejections_active", Map.of("cluster", "app")))
          .isEqualTo(1);
      Map<String, String> cLabels = Map.of("cluster", "app", "endpoint", "127.0.0.1:" + c.port());
      assertThat(PrometheusStats.value(stats, "weft_upstream_endpoint_healthy", cLabels)).isZero();
      assertThat(PrometheusStats.value(stats, "weft_upstream_endpoint_requests_total", cLabels)).isEqualTo(3);

      // Healthy again, it gets traffic once its ejection time (1 s) is over.
      c.fault(TestUpstream.Fault.NONE);
      await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50)).until(() -> {
        get(sc, "/probe");
        return c.requests() > 3;
      });
      assertThat(flags(sc, c.port())).isEqualTo("healthy");
      assertThat(PrometheusStats.value(sc, "weft_outlier_detection_ejections_active", Map.of("cluster", "app")))
          .isZero();
      assertThat(endpoint(sc, c.port()).health.ejections()).isEqualTo(1);
    }
  }

  @Test
  void resetsAndConnectFailuresAreLocalOriginFailuresThatEjectToo() throws Exception {
    String outlier = """
        outlier_detection:
          split_external_local_origin_errors: true
          consecutive_local_origin_failure: 2
          interval: 0.1s
          base_ejection_time: 30s
          max_ejection_percent: 50""";
    int closed = closedPort();
    try (TestUpstream a = TestUpstream.start("a");
         TestUpstream b = TestUpstream.start("b");
         TestUpstream resetting = TestUpstream.start("c").fault(TestUpstream.Fault.reset());
         TestSidecar sc = TestSidecar.start(bootstrap(outlier, a.port(), b.port(), resetting.port(), closed))) {
      int failed = 0;
      for (int i = 0; i < 40; i++) {
        failed += get(sc, "/r" + i) == 503 ? 1 : 0;
      }
      assertThat(resetting.requests()).isEqualTo(2);
      assertThat(endpoint(sc, closed).connectFailures.sum()).isEqualTo(2);
      assertThat(failed).isEqualTo(4);
      assertThat(flags(sc, resetting.port())).isEqualTo("/failed_outlier_check");
      assertThat(flags(sc, closed)).isEqualTo("/failed_outlier_check");
      assertThat(PrometheusStats.value(sc, "weft_outlier_detection_ejections_enforced_total",
          Map.of("cluster", "app", "type", "consecutive_local_origin_failure"))).isEqualTo(2);
    }
  }

  @Test
  void neverEjectsMoreThanMaxEjectionPercentOfTheHosts() throws Exception {
    String outlier = """
        outlier_detection:
          consecutive_5xx: 2
          interval: 0.1s
          base_ejection_time: 30s
          max_ejection_percent: 34""";
    try (TestUpstream a = TestUpstream.start("a").fault(TestUpstream.Fault.status(500));
         TestUpstream b = TestUpstream.start("b").fault(TestUpstream.Fault.status(500));
         TestUpstream c = TestUpstream.start("c").fault(TestUpstream.Fault.status(500));
         TestSidecar sc = TestSidecar.start(bootstrap(outlier, a.port(), b.port(), c.port()))) {
      for (int i = 0; i < 30; i++) {
        assertThat(get(sc, "/r" + i)).isEqualTo(500);
      }
      String text = clusters(sc);
      assertThat(text.lines().filter(l -> l.endsWith("::health_flags::/failed_outlier_check"))).hasSize(1);
      assertThat(text.lines().filter(l -> l.endsWith("::health_flags::healthy"))).hasSize(2);
      assertThat(PrometheusStats.value(sc, "weft_outlier_detection_ejections_overflow_total",
          Map.of("cluster", "app"))).isPositive();
      assertThat(a.requests() + b.requests() + c.requests()).isEqualTo(30);
    }
  }

  @Test
  void failurePercentageEjectsOnTheInterval() throws Exception {
    String outlier = """
        outlier_detection:
          consecutive_5xx: 1000
          interval: 0.3s
          base_ejection_time: 30s
          max_ejection_percent: 34
          enforcing_failure_percentage: 100
          failure_percentage_threshold: 50
          failure_percentage_minimum_hosts: 3
          failure_percentage_request_volume: 5""";
    ejectsTheFailingHostOnTheInterval(outlier, "failure_percentage");
  }

  @Test
  void successRateEjectsOnTheInterval() throws Exception {
    String outlier = """
        outlier_detection:
          consecutive_5xx: 1000
          interval: 0.3s
          base_ejection_time: 30s
          max_ejection_percent: 34
          success_rate_minimum_hosts: 3
          success_rate_request_volume: 5
          success_rate_stdev_factor: 1000""";
    ejectsTheFailingHostOnTheInterval(outlier, "success_rate");
  }

  private void ejectsTheFailingHostOnTheInterval(String outlier, String type) throws Exception {
    try (TestUpstream a = TestUpstream.start("a");
         TestUpstream b = TestUpstream.start("b");
         TestUpstream c = TestUpstream.start("c").fault(TestUpstream.Fault.status(500));
         TestSidecar sc = TestSidecar.start(bootstrap(outlier, a.port(), b.port(), c.port()))) {
      await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(() -> {
        for (int i = 0; i < 9; i++) {
          get(sc, "/r");
        }
        return endpoint(sc, c.port()).ejected;
      });
      assertThat(flags(sc, c.port())).isEqualTo("/failed_outlier_check");
      assertThat(PrometheusStats.value(sc, "weft_outlier_detection_ejections_enforced_total",
          Map.of("cluster", "app", "type", type))).isEqualTo(1);
      int before = c.requests();
      for (int i = 0; i < 20; i++) {
        assertThat(get(sc, "/after")).isEqualTo(200);
      }
      assertThat(c.requests()).isEqualTo(before);
    }
  }
}
