package dev.weft.proxy.upstream.health;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.proxy.config.EndpointConfig;
import dev.weft.proxy.config.OutlierDetectionConfig;
import dev.weft.proxy.config.SocketAddressConfig;
import dev.weft.proxy.upstream.EndpointState;
import dev.weft.proxy.upstream.TestEndpoints;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Outlier detection with a fake clock: each test drives outcomes and intervals by hand. */
class OutlierDetectorTest {
  private long now = 1_000_000_000L;
  private int roll;
  private final AtomicInteger changes = new AtomicInteger();
  private final ClusterHealthStats stats = new ClusterHealthStats(new SimpleMeterRegistry(), "app");

  private static List<EndpointState> hosts(int n) {
    List<EndpointConfig> configs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      configs.add(new EndpointConfig(new SocketAddressConfig("127.0.0.1", 10_000 + i), 1));
    }
    return TestEndpoints.of(configs);
  }

  private OutlierDetector detector(OutlierDetectionConfig config, List<EndpointState> hosts) {
    return new OutlierDetector(config, () -> hosts, stats, () -> now, () -> roll, changes::incrementAndGet);
  }

  /** Envoy's defaults with the given changes. */
  private static OutlierDetectionConfig config(int consecutive5xx, int maxEjectionPercent, Duration base,
      Duration max) {
    OutlierDetectionConfig d = OutlierDetectionConfig.DEFAULTS;
    return new OutlierDetectionConfig(consecutive5xx, d.consecutiveGatewayFailure(),
        d.consecutiveLocalOriginFailure(), false, Duration.ofSeconds(1), base, max, Duration.ZERO,
        maxEjectionPercent, 100, d.enforcingConsecutiveGatewayFailure(), 100, 100, 100,
        d.successRateMinimumHosts(), d.successRateRequestVolume(), d.successRateStdevFactor(),
        d.failurePercentageThreshold(), d.enforcingFailurePercentage(), d.enforcingFailurePercentageLocalOrigin(),
        d.failurePercentageMinimumHosts(), d.failurePercentageRequestVolume(), true);
  }

  private void advance(Duration d) {
    now += d.toNanos();
  }

  @Test
  void consecutive5xxEjectsAtTheConfiguredCountAndTheHostComesBackAfterTheEjectionTime() {
    List<EndpointState> hosts = hosts(3);
    OutlierDetector od = detector(config(3, 50, Duration.ofSeconds(30), Duration.ofSeconds(300)), hosts);
    EndpointState bad = hosts.get(0);

    od.onResponse(bad, 500);
    od.onResponse(bad, 503);
    assertThat(bad.ejected).isFalse();
    od.onResponse(bad, 502);
    assertThat(bad.ejected).isTrue();
    assertThat(bad.healthy()).isFalse();
    assertThat(changes).hasValue(1);
    assertThat(stats.ejectionsActive).hasValue(1);
    assertThat(stats.ejectionsEnforced(EjectionType.CONSECUTIVE_5XX).count()).isEqualTo(1);

    advance(Duration.ofSeconds(29));
    od.evaluate();
    assertThat(bad.ejected).isTrue();
    advance(Duration.ofSeconds(1));
    od.evaluate();
    assertThat(bad.ejected).isFalse();
    assertThat(stats.ejectionsActive).hasValue(0);
    assertThat(changes).hasValue(2);
  }

  @Test
  void aSuccessInBetweenResetsTheConsecutiveCount() {
    List<EndpointState> hosts = hosts(3);
    OutlierDetector od = detector(config(3, 50, Duration.ofSeconds(30), Duration.ofSeconds(300)), hosts);
    EndpointState h = hosts.get(1);
    od.onResponse(h, 500);
    od.onResponse(h, 500);
    od.onResponse(h, 200);
    od.onResponse(h, 500);
    od.onResponse(h, 404);
    od.onResponse(h, 500);
    od.onResponse(h, 500);
    assertThat(h.ejected).isFalse();
    od.onResponse(h, 500);
    assertThat(h.ejected).isTrue();
  }

  @Test
  void localOriginFailuresCountAs5xxUnlessSplit() {
    List<EndpointState> hosts = hosts(2);
    OutlierDetector od = detector(config(2, 50, Duration.ofSeconds(30), Duration.ofSeconds(300)), hosts);
    od.onLocalFailure(hosts.get(0));
    od.onLocalFailure(hosts.get(0));
    assertThat(hosts.get(0).ejected).isTrue();

    OutlierDetectionConfig d = config(2, 50, Duration.ofSeconds(30), Duration.ofSeconds(300));
    OutlierDetectionConfig split = new OutlierDetectionConfig(d.consecutive5xx(), d.consecutiveGatewayFailure(), 3,
        true, d.interval(), d.baseEjectionTime(), d.maxEjectionTime(), d.maxEjectionTimeJitter(),
        d.maxEjectionPercent(), d.enforcingConsecutive5xx(), d.enforcingConsecutiveGatewayFailure(), 100,
        d.enforcingSuccessRate(), d.enforcingLocalOriginSuccessRate(), d.successRateMinimumHosts(),
        d.successRateRequestVolume(), d.successRateStdevFactor(), d.failurePercentageThreshold(),
        d.enforcingFailurePercentage(), d.enforcingFailurePercentageLocalOrigin(), d.failurePercentageMinimumHosts(),
        d.failurePercentageRequestVolume(), true);
    List<EndpointState> others = hosts(2);
    OutlierDetector splitOd = detector(split, others);
    EndpointState h = others.get(1);
    splitOd.onLocalFailure(h);
    splitOd.onLocalFailure(h);
    // A 5xx is an external error, not a local-origin failure; the connection worked, so the
    // local-origin run starts again.
    splitOd.onResponse(h, 500);
    splitOd.onLocalFailure(h);
    splitOd.onLocalFailure(h);
    assertThat(h.ejected).isFalse();
    splitOd.onLocalFailure(h);
    assertThat(h.ejected).isTrue();
    assertThat(stats.ejectionsEnforced(EjectionType.CONSECUTIVE_LOCAL_ORIGIN_FAILURE).count()).isEqualTo(1);
  }

  @Test
  void neverEjectsMoreThanMaxEjectionPercent() {
    List<EndpointState> hosts = hosts(4);
    OutlierDetector od = detector(config(1, 50, Duration.ofSeconds(30), Duration.ofSeconds(300)), hosts);
    hosts.forEach(h -> od.onResponse(h, 500));
    assertThat(hosts.stream().filter(h -> h.ejected)).hasSize(2);
    assertThat(stats.ejectionsActive).hasValue(2);
    assertThat(stats.ejectionsOverflow.count()).isEqualTo(2);
  }

  @Test
  void ejectionTimeGrowsWithTheEjectionCountUpToTheMaximum() {
    List<EndpointState> hosts = hosts(2);
    OutlierDetector od = detector(config(1, 50, Duration.ofSeconds(10), Duration.ofSeconds(25)), hosts);
    EndpointState h = hosts.get(0);
    long[] expectedSeconds = {10, 20, 25, 25};
    for (long expected : expectedSeconds) {
      od.onResponse(h, 500);
      assertThat(h.ejected).isTrue();
      advance(Duration.ofSeconds(expected - 1));
      od.evaluate();
      assertThat(h.ejected).as("still ejected just before %d s", expected).isTrue();
      advance(Duration.ofSeconds(1));
      od.evaluate();
      assertThat(h.ejected).as("back after %d s", expected).isFalse();
    }
    assertThat(h.health.ejections()).isEqualTo(4);
  }

  @Test
  void theMultiplierShrinksWhileTheHostStaysIn() {
    List<EndpointState> hosts = hosts(2);
    OutlierDetector od = detector(config(1, 50, Duration.ofSeconds(10), Duration.ofSeconds(300)), hosts);
    EndpointState h = hosts.get(0);
    od.onResponse(h, 500);
    advance(Duration.ofSeconds(10));
    od.evaluate(); // back; multiplier 1
    od.onResponse(h, 500);
    advance(Duration.ofSeconds(20));
    od.evaluate(); // back after 2 × 10 s; multiplier 2
    // Two healthy intervals bring the multiplier back to 0, so the next ejection lasts 10 s.
    od.evaluate();
    od.evaluate();
    od.onResponse(h, 500);
    advance(Duration.ofSeconds(10));
    od.evaluate();
    assertThat(h.ejected).isFalse();
  }

  @Test
  void enforcingZeroDetectsButDoesNotEject() {
    List<EndpointState> hosts = hosts(2);
    OutlierDetectionConfig d = config(100, 50, Duration.ofSeconds(30), Duration.ofSeconds(300));
    // consecutive_gateway_failure 2, enforcing 0 (Envoy's default enforcement for this type).
    OutlierDetectionConfig c = new OutlierDetectionConfig(100, 2, 5, false, d.interval(), d.baseEjectionTime(),
        d.maxEjectionTime(), Duration.ZERO, 50, 100, 0, 100, 100, 100, 5, 100, 1900, 85, 0, 0, 5, 50, true);
    OutlierDetector od = detector(c, hosts);
    od.onResponse(hosts.get(0), 503);
    od.onResponse(hosts.get(0), 504);
    assertThat(hosts.get(0).ejected).isFalse();
    assertThat(stats.ejectionsDetected(EjectionType.CONSECUTIVE_GATEWAY_FAILURE).count()).isEqualTo(1);
    assertThat(stats.ejectionsEnforced(EjectionType.CONSECUTIVE_GATEWAY_FAILURE).count()).isZero();
  }

  @Test
  void enforcingPercentageIsRolledPerDetection() {
    List<EndpointState> hosts = hosts(2);
    OutlierDetectionConfig d = config(1, 50, Duration.ofSeconds(30), Duration.ofSeconds(300));
    OutlierDetectionConfig c = new OutlierDetectionConfig(1, 5, 5, false, d.interval(), d.baseEjectionTime(),
        d.maxEjectionTime(), Duration.ZERO, 50, 30, 0, 100, 100, 100, 5, 100, 1900, 85, 0, 0, 5, 50, true);
    OutlierDetector od = detector(c, hosts);
    roll = 30; // not below 30: not enforced
    od.onResponse(hosts.get(0), 500);
    assertThat(hosts.get(0).ejected).isFalse();
    roll = 29;
    od.onResponse(hosts.get(0), 500);
    assertThat(hosts.get(0).ejected).isTrue();
  }

  @Test
  void successRateEjectsAHostFarBelowTheOthers() {
    List<EndpointState> hosts = hosts(5);
    OutlierDetectionConfig d = OutlierDetectionConfig.DEFAULTS;
    // success_rate_minimum_hosts 5, request_volume 100, stdev_factor 1.9; consecutive_5xx out of reach.
    OutlierDetectionConfig c = new OutlierDetectionConfig(1000, 1000, 1000, false, Duration.ofSeconds(10),
        Duration.ofSeconds(30), Duration.ofSeconds(300), Duration.ZERO, 100, 100, 0, 100, 100, 100,
        5, 100, 1900, 85, 0, 0, 5, 50, true);
    OutlierDetector od = detector(c, hosts);
    for (int i = 0; i < 4; i++) {
      EndpointState h = hosts.get(i);
      IntStream.range(0, 100).forEach(n -> od.onResponse(h, n < 99 ? 200 : 500));
    }
    EndpointState bad = hosts.get(4);
    IntStream.range(0, 100).forEach(n -> od.onResponse(bad, n % 2 == 0 ? 200 : 500));
    od.evaluate();
    assertThat(bad.ejected).isTrue();
    assertThat(hosts.subList(0, 4)).noneMatch(h -> h.ejected);
    assertThat(stats.ejectionsEnforced(EjectionType.SUCCESS_RATE).count()).isEqualTo(1);
    assertThat(od.successRateAverage()).isCloseTo((99 * 4 + 50) / 5.0, org.assertj.core.data.Offset.offset(0.001));
    assertThat(bad.health.successRate()).isEqualTo(50.0);
    // The next interval starts from zero: no requests, no success-rate verdict.
    od.evaluate();
    assertThat(od.successRateEjectionThreshold()).isEqualTo(-1);
  }

  @Test
  void successRateNeedsEnoughHostsWithEnoughRequests() {
    List<EndpointState> hosts = hosts(5);
    OutlierDetectionConfig c = new OutlierDetectionConfig(1000, 1000, 1000, false, Duration.ofSeconds(10),
        Duration.ofSeconds(30), Duration.ofSeconds(300), Duration.ZERO, 100, 100, 0, 100, 100, 100,
        5, 100, 1900, 85, 0, 0, 5, 50, true);
    OutlierDetector od = detector(c, hosts);
    for (int i = 0; i < 4; i++) {
      EndpointState h = hosts.get(i);
      IntStream.range(0, 100).forEach(n -> od.onResponse(h, 200));
    }
    // The bad host sent 99 requests: below success_rate_request_volume, so only 4 hosts qualify.
    IntStream.range(0, 99).forEach(n -> od.onResponse(hosts.get(4), 500));
    od.evaluate();
    assertThat(hosts).noneMatch(h -> h.ejected);
  }

  @Test
  void failurePercentageEjectsHostsAtOrAboveTheThreshold() {
    List<EndpointState> hosts = hosts(3);
    // failure_percentage_threshold 50, minimum_hosts 3, request_volume 10, enforcing 100.
    OutlierDetectionConfig c = new OutlierDetectionConfig(1000, 1000, 1000, false, Duration.ofSeconds(10),
        Duration.ofSeconds(30), Duration.ofSeconds(300), Duration.ZERO, 100, 100, 0, 100, 0, 100,
        5, 100, 1900, 50, 100, 0, 3, 10, true);
    OutlierDetector od = detector(c, hosts);
    IntStream.range(0, 10).forEach(n -> od.onResponse(hosts.get(0), 200));
    IntStream.range(0, 10).forEach(n -> od.onResponse(hosts.get(1), n < 5 ? 500 : 200));
    IntStream.range(0, 10).forEach(n -> od.onResponse(hosts.get(2), n < 4 ? 500 : 200));
    od.evaluate();
    assertThat(hosts.get(1).ejected).isTrue();
    assertThat(hosts.get(0).ejected).isFalse();
    assertThat(hosts.get(2).ejected).isFalse();
    assertThat(stats.ejectionsEnforced(EjectionType.FAILURE_PERCENTAGE).count()).isEqualTo(1);
  }

  @Test
  void splitModeJudgesLocalOriginFailurePercentageSeparately() {
    List<EndpointState> hosts = hosts(3);
    // Split; local-origin failure percentage enforced at 100; external failure percentage off.
    OutlierDetectionConfig c = new OutlierDetectionConfig(1000, 1000, 1000, true, Duration.ofSeconds(10),
        Duration.ofSeconds(30), Duration.ofSeconds(300), Duration.ZERO, 100, 100, 0, 100, 0, 0,
        5, 100, 1900, 50, 0, 100, 3, 10, true);
    OutlierDetector od = detector(c, hosts);
    IntStream.range(0, 10).forEach(n -> od.onResponse(hosts.get(0), 500)); // external failures only
    IntStream.range(0, 10).forEach(n -> od.onResponse(hosts.get(1), 200));
    IntStream.range(0, 10).forEach(n -> od.onLocalFailure(hosts.get(2)));
    od.evaluate();
    assertThat(hosts.get(2).ejected).isTrue();
    assertThat(hosts.get(0).ejected).isFalse();
    assertThat(stats.ejectionsEnforced(EjectionType.FAILURE_PERCENTAGE_LOCAL_ORIGIN).count()).isEqualTo(1);
  }

  @Test
  void aPassingHealthCheckEndsAnEjection() {
    List<EndpointState> hosts = hosts(2);
    OutlierDetector od = detector(config(1, 50, Duration.ofSeconds(30), Duration.ofSeconds(300)), hosts);
    od.onResponse(hosts.get(0), 500);
    assertThat(hosts.get(0).ejected).isTrue();
    od.unejectAfterHealthCheck(hosts.get(0));
    assertThat(hosts.get(0).ejected).isFalse();
    assertThat(stats.ejectionsActive).hasValue(0);
  }
}
