package dev.weft.proxy.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The misbehaving modes of {@link TestUpstream} that the resilience tests rely on. */
class TestUpstreamFaultIT {
  private static TestUpstream upstream;
  private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeAll
  static void start() throws Exception {
    upstream = TestUpstream.start("faulty");
  }

  @AfterAll
  static void stop() {
    upstream.close();
  }

  private HttpResponse<String> get(String path, Duration timeout) throws Exception {
    return CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + upstream.port() + path))
        .timeout(timeout).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void faultsApplyToEveryPathButHealthChecks() throws Exception {
    try {
      upstream.fault(TestUpstream.Fault.status(503));
      assertThat(get("/anything", Duration.ofSeconds(5)).statusCode()).isEqualTo(503);
      assertThat(get(TestUpstream.HEALTH_PATH, Duration.ofSeconds(5)).statusCode()).isEqualTo(200);

      upstream.fault(TestUpstream.Fault.reset());
      assertThatThrownBy(() -> get("/anything", Duration.ofSeconds(5))).isInstanceOf(IOException.class);

      upstream.fault(TestUpstream.Fault.blackhole());
      int before = upstream.requests();
      assertThatThrownBy(() -> get("/anything", Duration.ofMillis(300))).isInstanceOf(HttpTimeoutException.class);
      assertThat(upstream.requests()).isEqualTo(before + 1);

      upstream.fault(TestUpstream.Fault.delay(150));
      long t0 = System.nanoTime();
      assertThat(get("/anything", Duration.ofSeconds(5)).statusCode()).isEqualTo(200);
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofMillis(150));

      upstream.fault(TestUpstream.Fault.NONE).healthy(false);
      assertThat(get(TestUpstream.HEALTH_PATH, Duration.ofSeconds(5)).statusCode()).isEqualTo(503);
      assertThat(get("/anything", Duration.ofSeconds(5)).statusCode()).isEqualTo(200);
      assertThat(upstream.healthChecks()).isEqualTo(2);
    } finally {
      upstream.fault(TestUpstream.Fault.NONE).healthy(true);
    }
  }
}
