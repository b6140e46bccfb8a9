package dev.weft.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.StringValue;
import dev.weft.proxy.testkit.Bootstraps;
import dev.weft.proxy.testkit.TestSidecar;
import io.grpc.CallOptions;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.MethodDescriptor.MethodType;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The gRPC data path through the sidecar with real grpc-java peers on both sides: a plaintext
 * h2c server as the upstream (cluster speaking HTTP/2) and a client calling the sidecar's
 * listener (codec AUTO). Every call shape, statuses with trailers, deadlines and cancellation
 * (RST_STREAM in both directions), and messages of several MiB.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class GrpcProxyIT {
  private static final String SERVICE = "weft.test.Echo";
  private static final MethodDescriptor.Marshaller<StringValue> MARSHALLER =
      ProtoUtils.marshaller(StringValue.getDefaultInstance());
  private static final int MAX_MESSAGE = 16 * 1024 * 1024;

  private static final MethodDescriptor<StringValue, StringValue> ECHO = method("Echo", MethodType.UNARY);
  private static final MethodDescriptor<StringValue, StringValue> REPEAT = method("Repeat", MethodType.SERVER_STREAMING);
  private static final MethodDescriptor<StringValue, StringValue> CONCAT = method("Concat", MethodType.CLIENT_STREAMING);
  private static final MethodDescriptor<StringValue, StringValue> CHAT = method("Chat", MethodType.BIDI_STREAMING);
  private static final MethodDescriptor<StringValue, StringValue> FAIL = method("Fail", MethodType.UNARY);
  private static final MethodDescriptor<StringValue, StringValue> DEADLINE = method("Deadline", MethodType.UNARY);
  private static final MethodDescriptor<StringValue, StringValue> HANG = method("Hang", MethodType.UNARY);
  private static final MethodDescriptor<StringValue, StringValue> TICK = method("Tick", MethodType.SERVER_STREAMING);

  private static final Metadata.Key<String> DETAIL = Metadata.Key.of("x-detail", Metadata.ASCII_STRING_MARSHALLER);
  private static final Metadata.Key<byte[]> DETAIL_BIN = Metadata.Key.of("x-detail-bin", Metadata.BINARY_BYTE_MARSHALLER);
  private static final Metadata.Key<String> CLIENT_TAG = Metadata.Key.of("x-client-tag", Metadata.ASCII_STRING_MARSHALLER);

  /** What the server saw of one call that ended by cancellation. */
  record Cancellation(String method, Deadline deadline, Throwable cause) {}

  private static final BlockingQueue<Cancellation> CANCELLATIONS = new LinkedBlockingQueue<>();
  private static final BlockingQueue<Metadata> SERVER_HEADERS = new LinkedBlockingQueue<>();
  private static final AtomicInteger TICKS_SENT = new AtomicInteger();

  private static ScheduledExecutorService ticker;
  private static Server server;
  private static TestSidecar sidecar;
  private static ManagedChannel channel;

  @BeforeAll
  static void start() throws Exception {
    ticker = Executors.newSingleThreadScheduledExecutor();
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .maxInboundMessageSize(MAX_MESSAGE)
        .addService(ServerInterceptors.intercept(service(), new RecordHeaders()))
        .build()
        .start();
    // Hang has grpc-timeout removed on its way upstream, so the server has no deadline of its
    // own: it can only learn that the client gave up from the RST_STREAM the sidecar forwards.
    String routes = """
        - name: all
          domains: ["*"]
          routes:
          - match: { path: "/weft.test.Echo/Hang" }
            route: { cluster: grpc, timeout: 0s }
            request_headers_to_remove: ["grpc-timeout"]
          - match: { prefix: "/" }
            route: { cluster: grpc, timeout: 0s }
        """;
    sidecar = TestSidecar.start(Bootstraps.bootstrap(Bootstraps.httpListener("grpc", routes, ""),
        Bootstraps.cluster("grpc", true, server.getPort())));
    channel = NettyChannelBuilder.forAddress("127.0.0.1", sidecar.port("grpc"))
        .usePlaintext()
        .maxInboundMessageSize(MAX_MESSAGE)
        .build();
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
    if (ticker != null) {
      ticker.shutdownNow();
    }
  }

  @BeforeEach
  void clear() {
    CANCELLATIONS.clear();
    SERVER_HEADERS.clear();
  }

  @Test
  void unaryCallCarriesMessageAndRequestMetadataBothWays() throws InterruptedException {
    Metadata extra = new Metadata();
    extra.put(CLIENT_TAG, "tag-42");
    StringValue reply = ClientCalls.blockingUnaryCall(
        channel.newCall(ECHO, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS)),
        text("hello through the mesh"));
    assertThat(reply.getValue()).isEqualTo("hello through the mesh");

    var tagged = io.grpc.ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(extra));
    SERVER_HEADERS.clear();
    StringValue second = ClientCalls.blockingUnaryCall(tagged, ECHO, CallOptions.DEFAULT, text("again"));
    assertThat(second.getValue()).isEqualTo("again");
    Metadata seen = SERVER_HEADERS.poll(5, TimeUnit.SECONDS);
    assertThat(seen).isNotNull();
    assertThat(seen.get(CLIENT_TAG)).isEqualTo("tag-42");
    assertThat(seen.get(Metadata.Key.of("x-request-id", Metadata.ASCII_STRING_MARSHALLER))).isNotBlank();
  }

  @Test
  void serverStreamingDeliversAllMessagesInOrder() {
    Iterator<StringValue> it = ClientCalls.blockingServerStreamingCall(channel, REPEAT,
        CallOptions.DEFAULT.withDeadlineAfter(20, TimeUnit.SECONDS), text("100:item"));
    List<String> got = new ArrayList<>();
    while (it.hasNext() && got.size() <= 100) {
      got.add(it.next().getValue());
    }
    assertThat(got).hasSize(100);
    for (int i = 0; i < 100; i++) {
      assertThat(got.get(i)).isEqualTo("item-" + i);
    }
  }

  @Test
  void clientStreamingAggregatesEveryMessage() throws Exception {
    CompletableFuture<StringValue> result = new CompletableFuture<>();
    StreamObserver<StringValue> requests = ClientCalls.asyncClientStreamingCall(
        channel.newCall(CONCAT, CallOptions.DEFAULT.withDeadlineAfter(20, TimeUnit.SECONDS)), futureObserver(result));
    List<String> sent = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      sent.add("part" + i);
      requests.onNext(text("part" + i));
    }
    requests.onCompleted();
    assertThat(result.get(10, TimeUnit.SECONDS).getValue()).isEqualTo(String.join(",", sent));
  }

  @Test
  void bidiStreamingAnswersEachMessageBeforeTheNextIsSent() throws Exception {
    BlockingQueue<String> replies = new LinkedBlockingQueue<>();
    CompletableFuture<Void> done = new CompletableFuture<>();
    StreamObserver<StringValue> requests = ClientCalls.asyncBidiStreamingCall(
        channel.newCall(CHAT, CallOptions.DEFAULT.withDeadlineAfter(20, TimeUnit.SECONDS)),
        new StreamObserver<>() {
          @Override
          public void onNext(StringValue value) {
            replies.add(value.getValue());
          }

          @Override
          public void onError(Throwable t) {
            done.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {
            done.complete(null);
          }
        });
    // Strictly interleaved: each reply must come back through the sidecar while the request
    // stream is still open, or this loop times out.
    for (int i = 0; i < 20; i++) {
      requests.onNext(text("ping" + i));
      assertThat(replies.poll(5, TimeUnit.SECONDS)).isEqualTo("pong:ping" + i);
    }
    requests.onCompleted();
    done.get(10, TimeUnit.SECONDS);
    assertThat(replies).isEmpty();
  }

  @Test
  void errorStatusesKeepDescriptionAndCustomTrailers() {
    for (Status.Code code : List.of(Status.Code.NOT_FOUND, Status.Code.INVALID_ARGUMENT,
        Status.Code.PERMISSION_DENIED)) {
      StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
          () -> ClientCalls.blockingUnaryCall(channel, FAIL, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS),
              text(code.name() + ":no widget named 'wümpel' (id 7)")));
      assertThat(e).as(code.name()).isNotNull();
      assertThat(e.getStatus().getCode()).isEqualTo(code);
      assertThat(e.getStatus().getDescription()).isEqualTo("no widget named 'wümpel' (id 7)");
      Metadata trailers = e.getTrailers();
      assertThat(trailers).isNotNull();
      assertThat(trailers.get(DETAIL)).isEqualTo("detail for " + code.name());
      assertThat(trailers.get(DETAIL_BIN)).containsExactly(0, 1, 2, (byte) 0xfe, (byte) 0xff);
    }
  }

  @Test
  void errorAfterStreamedMessagesArrivesAsTrailers() {
    Iterator<StringValue> it = ClientCalls.blockingServerStreamingCall(channel, REPEAT,
        CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), text("3:partial:fail"));
    List<String> got = new ArrayList<>();
    StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, () -> {
      while (it.hasNext() && got.size() < 10) {
        got.add(it.next().getValue());
      }
    });
    assertThat(got).containsExactly("partial-0", "partial-1", "partial-2");
    assertThat(e).isNotNull();
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.ABORTED);
    assertThat(e.getStatus().getDescription()).isEqualTo("stopped after 3");
    assertThat(e.getTrailers().get(DETAIL)).isEqualTo("after messages");
  }

  @Test
  void deadlineReachesTheServerAsGrpcTimeout() {
    StringValue remaining = ClientCalls.blockingUnaryCall(channel, DEADLINE,
        CallOptions.DEFAULT.withDeadlineAfter(8, TimeUnit.SECONDS), text(""));
    long millis = Long.parseLong(remaining.getValue());
    assertThat(millis).isBetween(5_000L, 8_000L);
  }

  @Test
  void expiredDeadlineEndsTheCallOnTimeAndResetsTheUpstreamStream() throws InterruptedException {
    long start = System.nanoTime();
    StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
        () -> ClientCalls.blockingUnaryCall(channel, HANG,
            CallOptions.DEFAULT.withDeadlineAfter(500, TimeUnit.MILLISECONDS), text("wait")));
    long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertThat(e).isNotNull();
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    assertThat(elapsedMs).isBetween(450L, 3_000L);

    Cancellation c = CANCELLATIONS.poll(5, TimeUnit.SECONDS);
    assertThat(c).as("the server saw the call cancelled").isNotNull();
    assertThat(c.method()).isEqualTo("Hang");
    assertThat(c.deadline()).as("no deadline upstream: only the forwarded RST_STREAM could cancel").isNull();
    assertThat(Status.fromThrowable(c.cause()).getCode()).isEqualTo(Status.Code.CANCELLED);
  }

  @Test
  void clientCancellingAServerStreamStopsTheServer() throws Exception {
    TICKS_SENT.set(0);
    AtomicReference<ClientCallStreamObserver<StringValue>> call = new AtomicReference<>();
    CountDownLatch fiveReceived = new CountDownLatch(5);
    CompletableFuture<Throwable> ended = new CompletableFuture<>();
    ClientCalls.asyncServerStreamingCall(channel.newCall(TICK, CallOptions.DEFAULT), text("tick"),
        new ClientResponseObserver<StringValue, StringValue>() {
          @Override
          public void beforeStart(ClientCallStreamObserver<StringValue> requestStream) {
            call.set(requestStream);
          }

          @Override
          public void onNext(StringValue value) {
            fiveReceived.countDown();
          }

          @Override
          public void onError(Throwable t) {
            ended.complete(t);
          }

          @Override
          public void onCompleted() {
            ended.complete(null);
          }
        });
    assertThat(fiveReceived.await(10, TimeUnit.SECONDS)).isTrue();
    call.get().cancel("enough ticks", null);

    assertThat(Status.fromThrowable(ended.get(5, TimeUnit.SECONDS)).getCode()).isEqualTo(Status.Code.CANCELLED);
    Cancellation c = CANCELLATIONS.poll(5, TimeUnit.SECONDS);
    assertThat(c).as("the server saw the stream cancelled").isNotNull();
    assertThat(c.method()).isEqualTo("Tick");
    int sentAtCancel = TICKS_SENT.get();
    // The server stops producing: at most a tick already in flight after it saw the cancellation.
    await().pollDelay(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2))
        .untilAsserted(() -> assertThat(TICKS_SENT.get()).isBetween(sentAtCancel, sentAtCancel + 1));
    assertThat(sentAtCancel).isLessThan(1_000);
  }

  @Test
  void fourMebibyteMessagesCrossTheSidecarBothWays() {
    String big = pattern(4 * 1024 * 1024);
    StringValue reply = ClientCalls.blockingUnaryCall(channel, ECHO,
        CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS), text(big));
    assertThat(reply.getValue().length()).isEqualTo(big.length());
    assertThat(reply.getValue()).isEqualTo(big);
  }

  @Test
  void largeMessagesInterleaveWithSmallOnesOnABidiStream() throws Exception {
    BlockingQueue<String> replies = new LinkedBlockingQueue<>();
    CompletableFuture<Void> done = new CompletableFuture<>();
    StreamObserver<StringValue> requests = ClientCalls.asyncBidiStreamingCall(
        channel.newCall(CHAT, CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS)),
        new StreamObserver<>() {
          @Override
          public void onNext(StringValue value) {
            replies.add(value.getValue());
          }

          @Override
          public void onError(Throwable t) {
            done.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {
            done.complete(null);
          }
        });
    String big = pattern(3 * 1024 * 1024 + 17);
    requests.onNext(text(big));
    requests.onNext(text("small"));
    requests.onNext(text(big));
    requests.onCompleted();
    done.get(20, TimeUnit.SECONDS);
    assertThat(replies).containsExactly("pong:" + big, "pong:small", "pong:" + big);
  }

  // ------------------------------------------------------------------ the service

  private static ServerServiceDefinition service() {
    return ServerServiceDefinition.builder(SERVICE)
        .addMethod(ECHO, ServerCalls.asyncUnaryCall((req, out) -> {
          out.onNext(req);
          out.onCompleted();
        }))
        .addMethod(REPEAT, ServerCalls.asyncServerStreamingCall((req, out) -> {
          String[] parts = req.getValue().split(":", 3);
          int n = Integer.parseInt(parts[0]);
          for (int i = 0; i < n; i++) {
            out.onNext(text(parts[1] + "-" + i));
          }
          if (parts.length == 3) {
            Metadata trailers = new Metadata();
            trailers.put(DETAIL, "after messages");
            out.onError(Status.ABORTED.withDescription("stopped after " + n).asRuntimeException(trailers));
          } else {
            out.onCompleted();
          }
        }))
        .addMethod(CONCAT, ServerCalls.asyncClientStreamingCall(out -> new StreamObserver<>() {
          private final List<String> parts = new ArrayList<>();

          @Override
          public void onNext(StringValue value) {
            parts.add(value.getValue());
          }

          @Override
          public void onError(Throwable t) {}

          @Override
          public void onCompleted() {
            out.onNext(text(String.join(",", parts)));
            out.onCompleted();
          }
        }))
        .addMethod(CHAT, ServerCalls.asyncBidiStreamingCall(out -> new StreamObserver<>() {
          @Override
          public void onNext(StringValue value) {
            out.onNext(text("pong:" + value.getValue()));
          }

          @Override
          public void onError(Throwable t) {}

          @Override
          public void onCompleted() {
            out.onCompleted();
          }
        }))
        .addMethod(FAIL, ServerCalls.asyncUnaryCall((req, out) -> {
          String[] parts = req.getValue().split(":", 2);
          Status.Code code = Status.Code.valueOf(parts[0]);
          Metadata trailers = new Metadata();
          trailers.put(DETAIL, "detail for " + code.name());
          trailers.put(DETAIL_BIN, new byte[] {0, 1, 2, (byte) 0xfe, (byte) 0xff});
          out.onError(Status.fromCode(code).withDescription(parts[1]).asRuntimeException(trailers));
        }))
        .addMethod(DEADLINE, ServerCalls.asyncUnaryCall((req, out) -> {
          Deadline d = Context.current().getDeadline();
          out.onNext(text(d == null ? "-1" : Long.toString(d.timeRemaining(TimeUnit.MILLISECONDS))));
          out.onCompleted();
        }))
        .addMethod(HANG, ServerCalls.asyncUnaryCall((req, out) -> {
          // Never answers; records how the call ended.
          Context ctx = Context.current();
          Deadline deadline = ctx.getDeadline();
          ctx.addListener(c -> CANCELLATIONS.add(new Cancellation("Hang", deadline, c.cancellationCause())),
              Runnable::run);
        }))
        .addMethod(TICK, ServerCalls.asyncServerStreamingCall((req, out) -> {
          ServerCallStreamObserver<StringValue> so = (ServerCallStreamObserver<StringValue>) out;
          Context ctx = Context.current();
          AtomicReference<java.util.concurrent.ScheduledFuture<?>> task = new AtomicReference<>();
          so.setOnCancelHandler(() -> {
            task.get().cancel(false);
            CANCELLATIONS.add(new Cancellation("Tick", ctx.getDeadline(), ctx.cancellationCause()));
          });
          AtomicInteger left = new AtomicInteger(1_000); // bounded: at most 10 s of ticks
          task.set(ticker.scheduleAtFixedRate(() -> {
            synchronized (so) {
              if (so.isCancelled()) {
                return;
              }
              if (left.decrementAndGet() < 0) {
                task.get().cancel(false);
                so.onCompleted();
                return;
              }
              so.onNext(text("tick"));
              TICKS_SENT.incrementAndGet();
            }
          }, 0, 10, TimeUnit.MILLISECONDS));
        }))
        .build();
  }

  /** Records each call's request headers as the server received them. */
  private static final class RecordHeaders implements ServerInterceptor {
    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
        ServerCallHandler<Q, R> next) {
      SERVER_HEADERS.add(headers);
      return next.startCall(call, headers);
    }
  }

  // ------------------------------------------------------------------ helpers

  private static MethodDescriptor<StringValue, StringValue> method(String name, MethodType type) {
    return MethodDescriptor.<StringValue, StringValue>newBuilder()
        .setType(type)
        .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, name))
        .setRequestMarshaller(MARSHALLER)
        .setResponseMarshaller(MARSHALLER)
        .build();
  }

  private static StringValue text(String s) {
    return StringValue.of(s);
  }

  /** A string of {@code n} characters that is not one byte repeated, so reordering shows. */
  private static String pattern(int n) {
    StringBuilder sb = new StringBuilder(n);
    for (int i = 0; sb.length() < n; i++) {
      sb.append(Integer.toString(i, 36)).append(' ');
    }
    sb.setLength(n);
    return sb.toString();
  }

  private static <T> StreamObserver<T> futureObserver(CompletableFuture<T> result) {
    return new StreamObserver<>() {
      @Override
      public void onNext(T value) {
        result.complete(value);
      }

      @Override
      public void onError(Throwable t) {
        result.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {
        result.complete(null);
      }
    };
  }
}
