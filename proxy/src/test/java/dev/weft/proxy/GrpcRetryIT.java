package dev.weft.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.StringValue;
import dev.weft.proxy.testkit.Bootstraps;
import dev.weft.proxy.testkit.PrometheusStats;
import dev.weft.proxy.testkit.TestSidecar;
import io.grpc.CallOptions;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.MethodDescriptor.MethodType;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * gRPC deadlines and retries through the sidecar, with a real grpc-java client and server: a
 * call to a server that never answers ends with DEADLINE_EXCEEDED from the sidecar before the
 * client's own deadline (thanks to {@code grpc_timeout_header_offset}), the server sees the
 * shortened {@code grpc-timeout}, and a trailers-only UNAVAILABLE is retried under
 * {@code retry_on: unavailable}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class GrpcRetryIT {
  private static final String SERVICE = "weft.test.Retry";
  private static final MethodDescriptor.Marshaller<StringValue> MARSHALLER =
      ProtoUtils.marshaller(StringValue.getDefaultInstance());
  private static final MethodDescriptor<StringValue, StringValue> HANG = method("Hang");
  private static final MethodDescriptor<StringValue, StringValue> FLAKY = method("Flaky");
  private static final MethodDescriptor<StringValue, StringValue> BROKEN = method("Broken");

  /** Milliseconds left on the server's deadline when each Hang call arrived (-1: none). */
  private static final BlockingQueue<Long> SERVER_DEADLINES = new LinkedBlockingQueue<>();
  private static final AtomicInteger FLAKY_CALLS = new AtomicInteger();
  private static final AtomicInteger BROKEN_CALLS = new AtomicInteger();

  private static Server server;
  private static TestSidecar sidecar;
  private static ManagedChannel channel;

  @BeforeAll
  static void start() throws Exception {
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(service()).build().start();
    String routes = """
        - name: all
          domains: ["*"]
          routes:
          - match: { prefix: "/weft.test.Retry/Hang" }
            route:
              cluster: grpc
              max_stream_duration: { grpc_timeout_header_max: 0s, grpc_timeout_header_offset: 0.2s }
          - match: { prefix: "/" }
            route:
              cluster: grpc
              timeout: 10s
              retry_policy:
                retry_on: "unavailable,internal"
                num_retries: 1
                retry_back_off: { base_interval: 0.005s }
        """;
    sidecar = TestSidecar.start(Bootstraps.bootstrap(Bootstraps.httpListener("grpc", routes, ""),
        Bootstraps.cluster("grpc", true, server.getPort())));
    channel = NettyChannelBuilder.forAddress("127.0.0.1", sidecar.port("grpc")).usePlaintext().build();
  }

  @AfterAll
  static void stop() throws InterruptedException {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (sidecar != null) {
      sidecar.close();
    }
    if (server != null) {
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void aCallPastItsDeadlineEndsWithDeadlineExceededFromTheSidecarInTime() throws Exception {
    long t0 = System.nanoTime();
    StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
        () -> ClientCalls.blockingUnaryCall(channel, HANG, CallOptions.DEFAULT.withDeadlineAfter(1500,
            TimeUnit.MILLISECONDS), StringValue.of("wait")));
    Duration elapsed = Duration.ofNanos(System.nanoTime() - t0);
    assertThat(e.getStatus().getCode()).as(e.getStatus() + " after " + elapsed).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    // The sidecar answers 200 ms before the client's deadline (the offset), with its own message.
    assertThat(e.getStatus().getDescription()).isEqualTo("upstream request timeout");
    assertThat(elapsed).isBetween(Duration.ofMillis(1_200), Duration.ofMillis(1_500));
    Long serverLeft = SERVER_DEADLINES.poll(5, TimeUnit.SECONDS);
    assertThat(serverLeft).as("the server's deadline: the client's minus the offset, minus transit")
        .isBetween(800L, 1_300L);
    await().atMost(Duration.ofSeconds(5)).until(() -> PrometheusStats.value(sidecar, "weft_cluster_timeouts_total",
        Map.of("cluster", "grpc", "kind", "route")) == 1);
  }

  @Test
  void unavailableIsRetriedOnceAndTheCallSucceeds() {
    int before = FLAKY_CALLS.get();
    for (int i = 0; i < 10; i++) {
      StringValue reply = ClientCalls.blockingUnaryCall(channel, FLAKY,
          CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), StringValue.of("call " + i));
      assertThat(reply.getValue()).isEqualTo("call " + i);
    }
    assertThat(FLAKY_CALLS.get() - before).as("every other attempt fails with UNAVAILABLE").isEqualTo(20);
  }

  @Test
  void aStatusOutsideRetryOnIsNotRetriedAndRetriesStopAtNumRetries() {
    StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
        () -> ClientCalls.blockingUnaryCall(channel, BROKEN, CallOptions.DEFAULT.withDeadlineAfter(10,
            TimeUnit.SECONDS), StringValue.of("INTERNAL")));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
    assertThat(BROKEN_CALLS.getAndSet(0)).as("first attempt and num_retries: 1").isEqualTo(2);

    e = catchThrowableOfType(StatusRuntimeException.class,
        () -> ClientCalls.blockingUnaryCall(channel, BROKEN, CallOptions.DEFAULT.withDeadlineAfter(10,
            TimeUnit.SECONDS), StringValue.of("PERMISSION_DENIED")));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(BROKEN_CALLS.getAndSet(0)).as("PERMISSION_DENIED is not in retry_on").isEqualTo(1);
  }

  private static ServerServiceDefinition service() {
    return ServerServiceDefinition.builder(SERVICE)
        .addMethod(HANG, ServerCalls.asyncUnaryCall((req, out) -> {
          Deadline d = Context.current().getDeadline();
          SERVER_DEADLINES.add(d == null ? -1L : d.timeRemaining(TimeUnit.MILLISECONDS));
          // Never answers.
        }))
        .addMethod(FLAKY, ServerCalls.asyncUnaryCall((req, out) -> {
          if (FLAKY_CALLS.incrementAndGet() % 2 == 1) {
            out.onError(Status.UNAVAILABLE.withDescription("try again").asRuntimeException());
          } else {
            out.onNext(req);
            out.onCompleted();
          }
        }))
        .addMethod(BROKEN, ServerCalls.asyncUnaryCall((req, out) -> {
          BROKEN_CALLS.incrementAndGet();
          out.onError(Status.fromCode(Status.Code.valueOf(req.getValue())).asRuntimeException());
        }))
        .build();
  }

  private static MethodDescriptor<StringValue, StringValue> method(String name) {
    return MethodDescriptor.<StringValue, StringValue>newBuilder()
        .setType(MethodType.UNARY)
        .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, name))
        .setRequestMarshaller(MARSHALLER)
        .setResponseMarshaller(MARSHALLER)
        .build();
  }
}
