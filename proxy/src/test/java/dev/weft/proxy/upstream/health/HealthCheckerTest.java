package dev.weft.proxy.upstream.health;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.proxy.config.EndpointConfig;
import dev.weft.proxy.config.SocketAddressConfig;
import dev.weft.proxy.upstream.EndpointState;
import dev.weft.proxy.upstream.TestEndpoints;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The pure parts of active health checking: threshold transitions and the TCP response match. */
class HealthCheckerTest {

  private static EndpointState host() {
    return TestEndpoints.of(List.of(new EndpointConfig(new SocketAddressConfig("127.0.0.1", 9000), 1))).getFirst();
  }

  @Test
  void aNewHostIsDecidedByItsFirstCheck() {
    EndpointState passing = host();
    passing.failedActiveHealthCheck = true; // as the cluster marks hosts added under health checks
    assertThat(HealthChecker.record(passing, true, 3, 3)).isTrue();
    assertThat(passing.healthy()).isTrue();

    EndpointState failing = host();
    assertThat(HealthChecker.record(failing, false, 3, 3)).isTrue();
    assertThat(failing.failedActiveHealthCheck).isTrue();
  }

  @Test
  void thresholdsCountRunsOfTheSameResult() {
    EndpointState h = host();
    HealthChecker.record(h, true, 2, 3);
    assertThat(HealthChecker.record(h, false, 2, 3)).isFalse();
    assertThat(HealthChecker.record(h, false, 2, 3)).isFalse();
    // A success breaks the run of failures.
    assertThat(HealthChecker.record(h, true, 2, 3)).isFalse();
    assertThat(HealthChecker.record(h, false, 2, 3)).isFalse();
    assertThat(HealthChecker.record(h, false, 2, 3)).isFalse();
    assertThat(HealthChecker.record(h, false, 2, 3)).isTrue();
    assertThat(h.failedActiveHealthCheck).isTrue();

    assertThat(HealthChecker.record(h, true, 2, 3)).isFalse();
    assertThat(HealthChecker.record(h, false, 2, 3)).isFalse();
    assertThat(HealthChecker.record(h, true, 2, 3)).isFalse();
    assertThat(HealthChecker.record(h, true, 2, 3)).isTrue();
    assertThat(h.healthy()).isTrue();
  }

  @Test
  void tcpResponsesMatchEachBlockInOrderAnywhereInTheData() {
    byte[] data = bytes("xxPONG-ok-yy");
    assertThat(HealthChecker.matches(data, data.length, List.of(bytes("PONG"), bytes("ok")))).isTrue();
    assertThat(HealthChecker.matches(data, data.length, List.of(bytes("ok"), bytes("PONG")))).isFalse();
    assertThat(HealthChecker.matches(data, data.length, List.of(bytes("PONGS")))).isFalse();
    assertThat(HealthChecker.matches(data, 5, List.of(bytes("PONG")))).as("only the bytes received count").isFalse();
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
