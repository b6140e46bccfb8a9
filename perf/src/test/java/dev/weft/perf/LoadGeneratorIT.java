package dev.weft.perf;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** End-to-end runs of the load generator over real loopback sockets. */
@Timeout(30)
class LoadGeneratorIT {
  private static FixedResponseServer upstream;

  @BeforeAll
  static void startUpstream() throws InterruptedException {
    upstream = FixedResponseServer.start();
  }

  @AfterAll
  static void stopUpstream() {
    upstream.close();
  }

  private static LoadConfig.Builder toUpstream(Protocol protocol) {
    return LoadConfig.builder("127.0.0.1", upstream.port()).protocol(protocol);
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void closedLoopGetsOnlySuccesses(Protocol protocol) throws InterruptedException {
    LoadResult result = LoadGenerator.run(toUpstream(protocol)
        .connections(2)
        .streamsPerConnection(4)
        .duration(Duration.ofSeconds(1))
        .build());

    assertThat(result.successes()).isPositive();
    assertThat(result.requests()).isEqualTo(result.successes());
    assertThat(result.errors()).isZero();
    assertThat(result.timeouts()).isZero();
    assertThat(result.achievedRps()).isPositive();
    assertThat(result.latency().count()).isEqualTo(result.successes());
    assertThat(result.latency().p50()).isPositive().isLessThanOrEqualTo(result.latency().max());
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void closedLoopWithPayloadPostsAndSucceeds(Protocol protocol) throws InterruptedException {
    LoadResult result = LoadGenerator.run(toUpstream(protocol)
        .connections(1)
        .payloadSize(70_000) // larger than one HTTP/2 flow-control window
        .duration(Duration.ofMillis(500))
        .build());

    assertThat(result.successes()).isPositive();
    assertThat(result.requests()).isEqualTo(result.successes());
  }

  @Test
  void openLoopSendsOnScheduleAndCountsEveryRequest() throws InterruptedException {
    LoadResult result = LoadGenerator.run(toUpstream(Protocol.H1)
        .connections(4)
        .rate(200)
        .duration(Duration.ofSeconds(2))
        .build());

    // 200 rps for 2 s is 400 slots on the fixed schedule; every slot ends in some outcome.
    assertThat(result.requests()).isBetween(396L, 404L);
    assertThat(result.successes()).isEqualTo(result.requests());
    assertThat(result.achievedRps()).isBetween(190.0, 210.0);
    assertThat(result.latency().count()).isEqualTo(result.successes());
  }

  @Test
  void openLoopCountsQueuedRequestsFromTheirIntendedSendTime() throws InterruptedException {
    try (StallingUpstream stalling = new StallingUpstream(100, 300)) {
      LoadResult result = LoadGenerator.run(LoadConfig.builder("127.0.0.1", stalling.port())
          .connections(1)
          .rate(200)
          .duration(Duration.ofSeconds(2))
          .build());

      assertThat(result.successes()).isEqualTo(result.requests()).isBetween(396L, 404L);
      Histogram h = result.histogram();
      assertThat(result.latency().max()).isGreaterThanOrEqualTo(300_000);
      assertThat(result.latency().p999()).isGreaterThanOrEqualTo(290_000);
      // Requests due during the stall waited behind it; their latency includes the wait.
      long queuedBehindStall = h.getCountBetweenValues(200_000, h.getMaxValue());
      assertThat(queuedBehindStall).isGreaterThanOrEqualTo(10);
    }
  }

  @ParameterizedTest
  @EnumSource(value = Protocol.class, names = {"H1", "H2C"})
  void connectionRefusedCountsConnectErrorsWithoutHanging(Protocol protocol)
      throws InterruptedException, IOException {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    long started = System.nanoTime();
    LoadResult result = LoadGenerator.run(LoadConfig.builder("127.0.0.1", closedPort)
        .protocol(protocol)
        .connections(2)
        .duration(Duration.ofSeconds(1))
        .requestTimeout(Duration.ofSeconds(1))
        .build());
    Duration took = Duration.ofNanos(System.nanoTime() - started);

    assertThat(result.successes()).isZero();
    assertThat(result.errorsByKind().get(Outcome.CONNECT_ERROR)).isPositive();
    assertThat(result.errors()).isEqualTo(result.requests());
    assertThat(took).isLessThan(Duration.ofSeconds(4));
  }

  @Test
  void openLoopAgainstClosedPortFailsEveryDueRequest() throws InterruptedException, IOException {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    LoadResult result = LoadGenerator.run(LoadConfig.builder("127.0.0.1", closedPort)
        .connections(2)
        .rate(100)
        .duration(Duration.ofSeconds(1))
        .requestTimeout(Duration.ofMillis(500))
        .build());

    assertThat(result.successes()).isZero();
    assertThat(result.requests()).isBetween(98L, 102L);
    assertThat(result.errors() + result.timeouts()).isEqualTo(result.requests());
    assertThat(result.errorsByKind().get(Outcome.CONNECT_ERROR)).isPositive();
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void maxRequestsIsAHardBound(Protocol protocol) throws InterruptedException {
    long started = System.nanoTime();
    LoadResult result = LoadGenerator.run(toUpstream(protocol)
        .connections(3)
        .streamsPerConnection(8)
        .maxRequests(500)
        .duration(Duration.ofSeconds(20))
        .build());
    Duration took = Duration.ofNanos(System.nanoTime() - started);

    assertThat(result.requests()).isEqualTo(500);
    assertThat(result.successes()).isEqualTo(500);
    assertThat(took).isLessThan(Duration.ofSeconds(10));
    assertThat(result.measured()).isLessThan(Duration.ofSeconds(10));
  }

  @Test
  void warmupRequestsAreNotRecorded() throws InterruptedException {
    LoadResult result = LoadGenerator.run(toUpstream(Protocol.H2C)
        .connections(2)
        .rate(100)
        .warmup(Duration.ofMillis(500))
        .duration(Duration.ofSeconds(1))
        .build());

    assertThat(result.requests()).isBetween(98L, 102L);
    assertThat(result.successes()).isEqualTo(result.requests());
    assertThat(result.measured()).isEqualTo(Duration.ofSeconds(1));
  }
}
