package dev.weft.proxy.bootstrap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weft.proxy.config.CircuitBreakers;
import dev.weft.proxy.config.ClusterConfig;
import dev.weft.proxy.config.HealthCheckConfig;
import dev.weft.proxy.config.OutlierDetectionConfig;
import dev.weft.proxy.testkit.Bootstraps;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Translation of circuit_breakers, outlier_detection and health_checks: Envoy's defaults and bounds. */
class ClusterHealthTranslationTest {

  private static ClusterConfig cluster(String extra) throws ConfigException {
    String yaml = Bootstraps.bootstrap(Bootstraps.httpListener("http", Bootstraps.routeAllTo("app"), ""),
        Bootstraps.clusterWith("app", false, extra, 8080, 8081));
    return BootstrapLoader.parse(yaml, "b.yaml").config().cluster("app");
  }

  @Test
  void withoutTheFieldsAClusterHasEnvoysDefaultBreakersAndNoDetection() throws Exception {
    ClusterConfig c = cluster("");
    assertThat(c.circuitBreakers()).isEqualTo(CircuitBreakers.DEFAULTS);
    assertThat(c.circuitBreakers().defaults()).isEqualTo(new CircuitBreakers.Thresholds(1024, 1024, 1024, 3));
    assertThat(c.outlierDetection()).isNull();
    assertThat(c.healthCheck()).isNull();
  }

  @Test
  void translatesThresholdsPerPriorityKeepingDefaultsForUnsetLimits() throws Exception {
    ClusterConfig c = cluster("""
        circuit_breakers:
          thresholds:
          - { max_connections: 10, max_requests: 20 }
          - { priority: HIGH, max_retries: 7 }""");
    assertThat(c.circuitBreakers().defaults()).isEqualTo(new CircuitBreakers.Thresholds(10, 1024, 20, 3));
    assertThat(c.circuitBreakers().high()).isEqualTo(new CircuitBreakers.Thresholds(1024, 1024, 1024, 7));
  }

  @Test
  void anEmptyOutlierDetectionTurnsItOnWithEnvoysDefaults() throws Exception {
    assertThat(cluster("outlier_detection: {}").outlierDetection()).isEqualTo(OutlierDetectionConfig.DEFAULTS);
  }

  @Test
  void translatesOutlierDetectionFields() throws Exception {
    OutlierDetectionConfig o = cluster("""
        outlier_detection:
          consecutive_5xx: 3
          consecutive_local_origin_failure: 2
          split_external_local_origin_errors: true
          interval: 0.2s
          base_ejection_time: 1s
          max_ejection_time: 5s
          max_ejection_percent: 50
          enforcing_failure_percentage: 100
          failure_percentage_threshold: 60
          success_rate_stdev_factor: 1000""").outlierDetection();
    assertThat(o.consecutive5xx()).isEqualTo(3);
    assertThat(o.consecutiveLocalOriginFailure()).isEqualTo(2);
    assertThat(o.splitExternalLocalOriginErrors()).isTrue();
    assertThat(o.interval()).isEqualTo(Duration.ofMillis(200));
    assertThat(o.baseEjectionTime()).isEqualTo(Duration.ofSeconds(1));
    assertThat(o.maxEjectionTime()).isEqualTo(Duration.ofSeconds(5));
    assertThat(o.maxEjectionPercent()).isEqualTo(50);
    assertThat(o.enforcingFailurePercentage()).isEqualTo(100);
    assertThat(o.failurePercentageThreshold()).isEqualTo(60);
    assertThat(o.successRateStdevFactor()).isEqualTo(1000);
    assertThat(o.enforcingConsecutive5xx()).isEqualTo(100);
    assertThat(o.consecutiveGatewayFailure()).isEqualTo(5);
  }

  @Test
  void rejectsPercentagesOver100AndNonPositiveIntervalsWithTheirLocation() {
    assertThatThrownBy(() -> cluster("""
        outlier_detection:
          max_ejection_percent: 150
          interval: 0s"""))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("static_resources.clusters[0].outlier_detection.max_ejection_percent: 150 "
            + "(expected: 0 to 100)")
        .hasMessageContaining("outlier_detection.interval: PT0S (expected: > 0)")
        .hasMessageMatching("(?s)b\\.yaml:\\d+:\\d+: .*");
  }

  @Test
  void translatesAnHttpHealthCheckWithEnvoysDefaults() throws Exception {
    HealthCheckConfig h = cluster("""
        health_checks:
        - timeout: 1s
          interval: 0.5s
          unhealthy_threshold: 2
          healthy_threshold: 3
          http_health_check: { path: /healthz }""").healthCheck();
    assertThat(h.timeout()).isEqualTo(Duration.ofSeconds(1));
    assertThat(h.interval()).isEqualTo(Duration.ofMillis(500));
    assertThat(h.noTrafficInterval()).isEqualTo(Duration.ofSeconds(60));
    assertThat(h.unhealthyThreshold()).isEqualTo(2);
    assertThat(h.healthyThreshold()).isEqualTo(3);
    var http = (HealthCheckConfig.Http) h.check();
    assertThat(http.path()).isEqualTo("/healthz");
    assertThat(http.host()).as("the cluster name, as Envoy").isEqualTo("app");
    assertThat(http.expected(200)).isTrue();
    assertThat(http.expected(204)).isFalse();
  }

  @Test
  void translatesExpectedStatusesAndTcpPayloads() throws Exception {
    var http = (HealthCheckConfig.Http) cluster("""
        health_checks:
        - { timeout: 1s, interval: 1s, unhealthy_threshold: 1, healthy_threshold: 1,
            http_health_check: { path: /h, host: svc.local, expected_statuses: [ { start: 200, end: 300 } ] } }""")
        .healthCheck().check();
    assertThat(http.host()).isEqualTo("svc.local");
    assertThat(http.expected(204)).isTrue();
    assertThat(http.expected(300)).isFalse();

    var tcp = (HealthCheckConfig.Tcp) cluster("""
        health_checks:
        - { timeout: 1s, interval: 1s, unhealthy_threshold: 1, healthy_threshold: 1,
            tcp_health_check: { send: { text: "70696e67" }, receive: [ { text: "706f6e67" } ] } }""")
        .healthCheck().check();
    assertThat(new String(tcp.send(), StandardCharsets.US_ASCII)).isEqualTo("ping");
    assertThat(new String(tcp.receive().getFirst(), StandardCharsets.US_ASCII)).isEqualTo("pong");
  }

  @Test
  void rejectsHealthChecksMissingRequiredFieldsOrWithBadValues() {
    assertThatThrownBy(() -> cluster("""
        health_checks:
        - interval: 1s
          healthy_threshold: 1
          http_health_check: { path: healthz, expected_statuses: [ { start: 300, end: 200 } ] }"""))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("health_checks[0].timeout: is required")
        .hasMessageContaining("health_checks[0].unhealthy_threshold: is required")
        .hasMessageContaining("http_health_check.path: 'healthz' (expected: an absolute path starting with '/')")
        .hasMessageContaining("expected_statuses[0]: [300, 200)");
    assertThatThrownBy(() -> cluster("""
        health_checks:
        - { timeout: 1s, interval: 1s, unhealthy_threshold: 1, healthy_threshold: 1,
            tcp_health_check: { send: { text: "zz" } } }"""))
        .hasMessageContaining("tcp_health_check.send.text: 'zz' (expected: hex digits, two per byte)");
    assertThatThrownBy(() -> cluster("""
        health_checks:
        - { timeout: 1s, interval: 1s, unhealthy_threshold: 1, healthy_threshold: 1,
            grpc_health_check: {} }"""))
        .hasMessageContaining("health_checks[0].grpc_health_check: field 'grpc_health_check' of "
            + "envoy.config.core.v3.HealthCheck is not supported by Weft");
  }
}
