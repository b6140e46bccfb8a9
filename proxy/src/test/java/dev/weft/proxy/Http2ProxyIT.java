package dev.weft.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weft.proxy.testkit.Bootstraps;
import dev.weft.proxy.testkit.H2cClient;
import dev.weft.proxy.testkit.RawH2cConnection;
import dev.weft.proxy.testkit.TestSidecar;
import dev.weft.proxy.testkit.TestUpstream;
import io.micrometer.core.instrument.Counter;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The HTTP/2 data path through the sidecar: a real curl process, many streams on one
 * connection, trailers, protocol translation in both directions, flow control with a slow
 * reader and a large upload, and the advertised stream limit.
 *
 * <p>Listeners (codec AUTO): {@code h1up} forwards to the test upstream over HTTP/1.1,
 * {@code h2up} to the same upstream over h2c, {@code limited} is {@code h1up} with
 * {@code max_concurrent_streams: 5}, and {@code trailers} forwards over h2c to a recording
 * upstream that reports the request trailers it received.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class Http2ProxyIT {
  private static final int MAX_STREAMS = 5;

  private static TestUpstream upstream;
  private static TrailerUpstream recorder;
  private static TestSidecar sidecar;

  @BeforeAll
  static void start() throws Exception {
    upstream = TestUpstream.start("app");
    recorder = new TrailerUpstream();
    String listeners = String.join("\n",
        Bootstraps.httpListener("h1up", routeAllWithoutTimeout("plain"), ""),
        Bootstraps.httpListener("h2up", routeAllWithoutTimeout("multiplexed"), ""),
        Bootstraps.httpListener("limited", Bootstraps.routeAllTo("plain"),
            "http2_protocol_options: { max_concurrent_streams: " + MAX_STREAMS + " }"),
        Bootstraps.httpListener("trailers", Bootstraps.routeAllTo("recorder"), ""));
    String clusters = String.join("",
        Bootstraps.cluster("plain", false, upstream.port()),
        Bootstraps.cluster("multiplexed", true, upstream.port()),
        Bootstraps.cluster("recorder", true, recorder.port()));
    sidecar = TestSidecar.start(Bootstraps.bootstrap(listeners, clusters));
  }

  /** Like {@link Bootstraps#routeAllTo} with the route timeout off, for long transfers. */
  private static String routeAllWithoutTimeout(String cluster) {
    return """
        - name: all
          domains: ["*"]
          routes:
          - match: { prefix: "/" }
            route: { cluster: %s, timeout: 0s }
        """.formatted(cluster);
  }

  @AfterAll
  static void stop() {
    if (sidecar != null) {
      sidecar.close();
    }
    if (recorder != null) {
      recorder.close();
    }
    if (upstream != null) {
      upstream.close();
    }
  }

  // ------------------------------------------------------------------ (a) curl

  @ParameterizedTest
  @ValueSource(strings = {"h1up", "h2up"})
  void curlWithPriorKnowledgeGetsItsBodyEchoedOverHttp2(String listener) throws Exception {
    Assumptions.assumeTrue(curlWithHttp2(), "curl with HTTP2 support is not installed; CI installs it");
    String expected = listener.equals("h1up") ? "h1" : "h2";
    Process p = new ProcessBuilder("curl", "-sS", "--http2-prior-knowledge", "--max-time", "10",
        "-D", "-", "-H", "x-probe: curl-" + listener, "--data-binary", "hello from curl",
        sidecar.uri(listener, "/echo").toString())
        .redirectErrorStream(true)
        .start();
    String out;
    try (InputStream in = p.getInputStream()) {
      out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } finally {
      if (!p.waitFor(15, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    }
    assertThat(p.exitValue()).as(out).isZero();
    assertThat(out).startsWith("HTTP/2 200");
    assertThat(out.toLowerCase()).contains("x-upstream-protocol: " + expected);
    assertThat(out).endsWith("hello from curl");
    TestUpstream.Received r = findReceived("x-probe", "curl-" + listener);
    assertThat(r.protocol()).isEqualTo(expected);
    assertThat(r.header("user-agent")).startsWith("curl/");
    assertThat(r.bodyBytes()).isEqualTo("hello from curl".length());
  }

  private static boolean curlWithHttp2() {
    try {
      Process p = new ProcessBuilder("curl", "-V").redirectErrorStream(true).start();
      String v;
      try (InputStream in = p.getInputStream()) {
        v = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      return p.waitFor(5, TimeUnit.SECONDS) && p.exitValue() == 0 && v.contains("HTTP2");
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  // ------------------------------------------------------------------ (b) many streams

  @ParameterizedTest
  @ValueSource(strings = {"h1up", "h2up"})
  void fiftyConcurrentStreamsOnOneConnectionEachGetTheirOwnBody(String listener) throws Exception {
    int streams = 50;
    int requestsBefore = upstream.requests();
    int connectionsBefore = upstream.connections();
    try (H2cClient client = H2cClient.connect(sidecar.port(listener))) {
      List<CompletableFuture<H2cClient.Response>> responses = new ArrayList<>();
      for (int i = 0; i < streams; i++) {
        byte[] body = ("stream " + i + " of " + listener + " " + "#".repeat(i * 37)).getBytes(StandardCharsets.UTF_8);
        responses.add(client.request(H2cClient.headers("POST", "/echo/" + i, "svc.test"), body, null));
      }
      for (int i = 0; i < streams; i++) {
        H2cClient.Response r = responses.get(i).get(20, TimeUnit.SECONDS);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.bodyText()).isEqualTo("stream " + i + " of " + listener + " " + "#".repeat(i * 37));
        assertThat(r.header("x-upstream-protocol")).isEqualTo(listener.equals("h1up") ? "h1" : "h2");
      }
    }
    assertThat(upstream.requests() - requestsBefore).isEqualTo(streams);
    if (listener.equals("h2up")) {
      // All streams of one downstream connection share one upstream HTTP/2 connection.
      assertThat(upstream.connections() - connectionsBefore).isLessThanOrEqualTo(1);
    }
  }

  // ------------------------------------------------------------------ (c) trailers

  @ParameterizedTest
  @ValueSource(strings = {"h1up", "h2up"})
  void upstreamTrailersReachTheHttp2ClientAsTrailingHeaders(String listener) throws Exception {
    try (H2cClient client = H2cClient.connect(sidecar.port(listener))) {
      H2cClient.Response r = client.get("/trailers").get(10, TimeUnit.SECONDS);
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.bodyText()).isEqualTo("with trailers\n");
      assertThat(r.trailers()).as("trailing HEADERS frame").isNotNull();
      assertThat(r.trailers().get("x-trailer")).hasToString("done");
      assertThat(r.headers().contains("transfer-encoding")).isFalse();
    }
  }

  @Test
  void requestTrailersReachAnHttp2UpstreamAndItsTrailersComeBack() throws Exception {
    try (H2cClient client = H2cClient.connect(sidecar.port("trailers"))) {
      Http2Headers trailers = new DefaultHttp2Headers().add("x-checksum", "abc123").add("x-count", "3");
      H2cClient.Response r = client.request(H2cClient.headers("POST", "/upload", "svc.test"),
          "one two three".getBytes(StandardCharsets.UTF_8), trailers).get(10, TimeUnit.SECONDS);
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.bodyText()).isEqualTo("got 13 bytes");
      assertThat(r.trailers()).isNotNull();
      assertThat(r.trailers().get("x-echo-checksum")).hasToString("abc123");
    }
    TrailerUpstream.Request seen = recorder.requests.poll(5, TimeUnit.SECONDS);
    assertThat(seen).isNotNull();
    assertThat(seen.body()).isEqualTo("one two three");
    assertThat(seen.trailers()).containsEntry("x-checksum", "abc123").containsEntry("x-count", "3");
  }

  // ------------------------------------------------------------------ (d) translation

  @Test
  void http1ClientIsTranslatedToHttp2Upstream() throws Exception {
    String response = http1Exchange(sidecar.port("h2up"), """
        POST /translate/h1-to-h2?q=1 HTTP/1.1\r
        Host: svc.test:8080\r
        X-Probe: h1-to-h2\r
        Content-Length: 5\r
        Connection: close\r
        \r
        hello""");
    assertThat(response).startsWith("HTTP/1.1 200");
    assertThat(response.toLowerCase()).contains("x-upstream-protocol: h2");
    assertThat(response).endsWith("hello");
    TestUpstream.Received r = findReceived("x-probe", "h1-to-h2");
    assertThat(r.protocol()).isEqualTo("h2");
    assertThat(r.method()).isEqualTo("POST");
    assertThat(r.uri()).isEqualTo("/translate/h1-to-h2?q=1");
    assertThat(r.header("host")).as(":authority upstream").isEqualTo("svc.test:8080");
    assertThat(r.bodyBytes()).isEqualTo(5);
    // The upstream's own codec adds x-http2-scheme from :scheme; it must be plain http.
    assertThat(r.header("x-http2-scheme")).isEqualTo("http");
    assertThat(r.headers().contains("connection")).isFalse();
  }

  @Test
  void http2ClientIsTranslatedToHttp1UpstreamWithoutExtensionHeaders() throws Exception {
    try (H2cClient client = H2cClient.connect(sidecar.port("h1up"))) {
      Http2Headers h = H2cClient.headers("PUT", "/translate/h2-to-h1?x=y", "svc.test:8080")
          .add("x-probe", "h2-to-h1").add("cookie", "a=1").add("cookie", "b=2");
      H2cClient.Response r = client.request(h, "payload".getBytes(StandardCharsets.UTF_8), null)
          .get(10, TimeUnit.SECONDS);
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.bodyText()).isEqualTo("payload");
      assertThat(r.header("x-upstream-protocol")).isEqualTo("h1");
      assertThat(r.headers().names()).noneMatch(n -> n.toString().startsWith("x-http2-"));
    }
    TestUpstream.Received r = findReceived("x-probe", "h2-to-h1");
    assertThat(r.protocol()).isEqualTo("h1");
    assertThat(r.method()).isEqualTo("PUT");
    assertThat(r.uri()).isEqualTo("/translate/h2-to-h1?x=y");
    assertThat(r.header("host")).as("Host from :authority").isEqualTo("svc.test:8080");
    assertThat(r.headers().getAll("host")).hasSize(1);
    assertThat(r.bodyBytes()).isEqualTo(7);
    Map<String, String> headers = TestUpstream.headersOf(r);
    assertThat(headers.keySet()).as("no HTTP/2 extension headers leak upstream")
        .noneMatch(n -> n.startsWith("x-http2-"))
        .noneMatch(n -> n.startsWith(":"));
    assertThat(String.join("; ", r.headers().getAll("cookie"))).contains("a=1").contains("b=2");
  }

  // ------------------------------------------------------------------ (e) flow control

  @ParameterizedTest
  @ValueSource(strings = {"h1up", "h2up"})
  void sixtyFourMebibyteResponseReachesASlowReaderIntact(String listener) throws Exception {
    long total = 64L * 1024 * 1024;
    Counter upstreamBytes = sidecar.sidecar().metrics()
        .cluster(listener.equals("h1up") ? "plain" : "multiplexed").bytesReceived;
    Http2Settings small = Http2Settings.defaultSettings().initialWindowSize(32 * 1024);
    try (H2cClient client = H2cClient.connect(sidecar.port(listener), small)) {
      SlowReader reader = new SlowReader(4L * 1024 * 1024);
      Http2StreamChannel stream = client.openStream(reader);
      stream.eventLoop().execute(() -> {
        stream.writeAndFlush(new DefaultHttp2HeadersFrame(H2cClient.headers("GET", "/bytes/" + total, "svc.test"), true));
        reader.start();
      });
      reader.paused.get(30, TimeUnit.SECONDS);
      if (listener.equals("h1up")) {
        // While the client reads nothing, the sidecar stops reading the upstream connection.
        AtomicLong last = new AtomicLong(-1);
        await().pollInterval(Duration.ofMillis(200)).atMost(Duration.ofSeconds(10)).until(() -> {
          long now = (long) upstreamBytes.count();
          return last.getAndSet(now) == now;
        });
        long stalledAt = (long) upstreamBytes.count();
        assertThat(stalledAt).isLessThan(total / 2);
      }
      reader.resume();
      H2cClient.Response r = reader.done.get(60, TimeUnit.SECONDS);
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.bodyBytes()).isEqualTo(total);
      assertThat(reader.allX).as("every body byte is the upstream's 'x'").isTrue();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"h1up", "h2up"})
  void sixtyFourMebibyteUploadArrivesIntactAtTheUpstream(String listener) throws Exception {
    long total = 64L * 1024 * 1024;
    try (H2cClient client = H2cClient.connect(sidecar.port(listener))) {
      Uploader uploader = new Uploader(total);
      Http2StreamChannel stream = client.openStream(uploader);
      stream.eventLoop().execute(() -> {
        stream.write(new DefaultHttp2HeadersFrame(H2cClient.headers("POST", "/upload/" + listener, "svc.test")
            .add("x-probe", "upload-" + listener), false));
        uploader.writeMore(stream);
      });
      H2cClient.Response r = uploader.done.get(60, TimeUnit.SECONDS);
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.bodyText()).isEqualTo("received=" + total);
      assertThat(r.header("x-received-bytes")).isEqualTo(Long.toString(total));
    }
    assertThat(findReceived("x-probe", "upload-" + listener).bodyBytes()).isEqualTo(total);
  }

  // ------------------------------------------------------------------ (f) stream limit

  @Test
  void maxConcurrentStreamsIsAdvertisedInSettings() throws Exception {
    try (H2cClient client = H2cClient.connect(sidecar.port("limited"))) {
      assertThat(client.remoteSettings().maxConcurrentStreams()).isEqualTo(MAX_STREAMS);
      assertThat(client.get("/hello").get(10, TimeUnit.SECONDS).status()).isEqualTo(200);
    }
  }

  @Test
  void streamsBeyondTheLimitAreRefusedAndOthersComplete() throws Exception {
    try (RawH2cConnection conn = new RawH2cConnection(sidecar.port("limited"))) {
      RawH2cConnection.Frame settings = conn.next("SETTINGS", 5);
      assertThat(settings).isNotNull();
      assertThat(((Http2Settings) settings.value()).maxConcurrentStreams()).isEqualTo(MAX_STREAMS);
      conn.settingsAck();
      // One more stream than allowed, all open at once (the upstream answers after 500 ms).
      for (int i = 0; i <= MAX_STREAMS; i++) {
        conn.headers(1 + 2 * i, H2cClient.headers("GET", "/delay/500", "svc.test"), true);
      }
      int refusedId = 1 + 2 * MAX_STREAMS;
      Set<Integer> ok = new HashSet<>();
      Long refusedCode = null;
      for (int i = 0; i < 100 && (ok.size() < MAX_STREAMS || refusedCode == null); i++) {
        RawH2cConnection.Frame f = conn.next(10);
        assertThat(f).as("frames keep coming").isNotNull();
        assertThat(f.type()).isNotEqualTo("GOAWAY");
        if (f.type().equals("RST_STREAM")) {
          assertThat(f.streamId()).isEqualTo(refusedId);
          refusedCode = (Long) f.value();
        } else if (f.type().equals("HEADERS")) {
          assertThat(f.streamId()).isNotEqualTo(refusedId);
          assertThat(((Http2Headers) f.value()).status()).hasToString("200");
          ok.add(f.streamId());
        }
      }
      assertThat(refusedCode).isEqualTo(Http2Error.REFUSED_STREAM.code());
      assertThat(ok).containsExactlyInAnyOrder(1, 3, 5, 7, 9);
      // Once streams finish, a new one is accepted.
      conn.headers(refusedId + 2, H2cClient.headers("GET", "/hello", "svc.test"), true);
      RawH2cConnection.Frame h = conn.next("HEADERS", 10);
      assertThat(h).isNotNull();
      assertThat(h.streamId()).isEqualTo(refusedId + 2);
      assertThat(((Http2Headers) h.value()).status()).hasToString("200");
    }
  }

  // ------------------------------------------------------------------ helpers

  private static TestUpstream.Received findReceived(String header, String value) {
    return await().atMost(Duration.ofSeconds(5)).until(
        () -> upstream.received().stream().filter(r -> value.equals(r.header(header))).findFirst().orElse(null),
        r -> r != null);
  }

  /** Sends raw HTTP/1.1 bytes and reads the response until the server closes. */
  private static String http1Exchange(int port, String request) throws IOException {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write(request.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      ByteArrayOutputStream buf = new ByteArrayOutputStream();
      s.getInputStream().transferTo(buf);
      return buf.toString(StandardCharsets.ISO_8859_1);
    }
  }

  /**
   * Reads a response slowly: its stream has auto-read off and a ticker asks for a few frames
   * per millisecond. After {@code pauseAfter} body bytes it stops asking until {@link #resume}.
   * Checks every body byte without keeping them.
   */
  private static final class SlowReader extends ChannelInboundHandlerAdapter {
    private static final int READS_PER_TICK = 4;
    final CompletableFuture<Void> paused = new CompletableFuture<>();
    final CompletableFuture<H2cClient.Response> done = new CompletableFuture<>();
    private final long pauseAfter;
    private volatile Channel channel;
    private volatile boolean resumed;
    private ScheduledFuture<?> ticker;
    private Http2Headers headers;
    private long bytes;
    volatile boolean allX = true;

    SlowReader(long pauseAfter) {
      this.pauseAfter = pauseAfter;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      channel = ctx.channel();
      ctx.channel().config().setAutoRead(false);
    }

    /** Starts reading; call on the stream's event loop. */
    void start() {
      ticker = channel.eventLoop().scheduleAtFixedRate(this::tick, 1, 1, TimeUnit.MILLISECONDS);
    }

    private void tick() {
      if (done.isDone() || !channel.isActive()) {
        ticker.cancel(false);
        return;
      }
      if (bytes >= pauseAfter && !resumed) {
        paused.complete(null);
        return;
      }
      for (int i = 0; i < READS_PER_TICK; i++) {
        channel.read();
      }
    }

    void resume() {
      resumed = true;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        if (msg instanceof Http2HeadersFrame h) {
          headers = headers == null ? h.headers() : headers;
          if (h.isEndStream()) {
            done.complete(new H2cClient.Response(headers, new byte[0], bytes, null));
          }
        } else if (msg instanceof Http2DataFrame d) {
          // One bulk copy per frame: a leak-tracked buffer records every access.
          byte[] chunk = ByteBufUtil.getBytes(d.content());
          for (byte b : chunk) {
            if (b != 'x') {
              allX = false;
              break;
            }
          }
          bytes += chunk.length;
          if (d.isEndStream()) {
            done.complete(new H2cClient.Response(headers, new byte[0], bytes, null));
          }
        }
      } finally {
        ReferenceCountUtil.release(msg);
      }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      done.completeExceptionally(new IOException("stream event " + evt + " after " + bytes + " bytes"));
      paused.completeExceptionally(new IOException("stream event " + evt + " after " + bytes + " bytes"));
      ReferenceCountUtil.release(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      done.completeExceptionally(new IOException("stream closed after " + bytes + " bytes"));
      paused.completeExceptionally(new IOException("stream closed after " + bytes + " bytes"));
    }
  }

  /** Uploads {@code total} bytes in 16 KiB DATA frames, writing only while the stream is writable. */
  private static final class Uploader extends ChannelInboundHandlerAdapter {
    final CompletableFuture<H2cClient.Response> done = new CompletableFuture<>();
    private final byte[] chunk = new byte[16 * 1024];
    private long left;
    private Http2Headers headers;
    private final ByteArrayOutputStream body = new ByteArrayOutputStream();

    Uploader(long total) {
      this.left = total;
      java.util.Arrays.fill(chunk, (byte) 'u');
    }

    void writeMore(Channel ch) {
      while (left > 0 && ch.isWritable()) {
        int n = (int) Math.min(chunk.length, left);
        left -= n;
        ch.write(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(chunk, 0, n), left == 0));
      }
      ch.flush();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      if (ctx.channel().isWritable()) {
        writeMore(ctx.channel());
      }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        if (msg instanceof Http2HeadersFrame h) {
          headers = headers == null ? h.headers() : headers;
          if (h.isEndStream()) {
            done.complete(new H2cClient.Response(headers, body.toByteArray(), body.size(), null));
          }
        } else if (msg instanceof Http2DataFrame d) {
          d.content().readBytes(body, d.content().readableBytes());
          if (d.isEndStream()) {
            done.complete(new H2cClient.Response(headers, body.toByteArray(), body.size(), null));
          }
        }
      } catch (IOException e) {
        done.completeExceptionally(e);
      } finally {
        ReferenceCountUtil.release(msg);
      }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      done.completeExceptionally(new IOException("stream event " + evt + " with " + left + " bytes unsent"));
      ReferenceCountUtil.release(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      done.completeExceptionally(new IOException("stream closed with " + left + " bytes unsent"));
    }
  }

  /**
   * An h2c upstream that records each request's body and trailers, answers {@code got N bytes}
   * and sends the request's {@code x-checksum} trailer back as {@code x-echo-checksum}.
   */
  private static final class TrailerUpstream implements AutoCloseable {
    record Request(Http2Headers headers, String body, Map<String, String> trailers) {}

    final BlockingQueue<Request> requests = new LinkedBlockingQueue<>();
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel server;

    TrailerUpstream() throws InterruptedException {
      server = new ServerBootstrap()
          .group(group)
          .channel(NioServerSocketChannel.class)
          .childHandler(new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
              ch.pipeline().addLast(Http2FrameCodecBuilder.forServer().build());
              ch.pipeline().addLast(new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
                @Override
                protected void initChannel(Http2StreamChannel stream) {
                  stream.pipeline().addLast(new Recorder());
                }
              }));
            }
          })
          .bind("127.0.0.1", 0).sync().channel();
    }

    int port() {
      return ((InetSocketAddress) server.localAddress()).getPort();
    }

    @Override
    public void close() {
      server.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    private final class Recorder extends ChannelInboundHandlerAdapter {
      private Http2Headers headers;
      private final ByteArrayOutputStream body = new ByteArrayOutputStream();

      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
          Http2Headers trailers = null;
          boolean end = false;
          if (msg instanceof Http2HeadersFrame h) {
            if (headers == null) {
              headers = h.headers();
            } else {
              trailers = h.headers();
            }
            end = h.isEndStream();
          } else if (msg instanceof Http2DataFrame d) {
            d.content().readBytes(body, d.content().readableBytes());
            end = d.isEndStream();
          }
          if (end) {
            respond(ctx, trailers);
          }
        } catch (IOException e) {
          ctx.close();
        } finally {
          ReferenceCountUtil.release(msg);
        }
      }

      private void respond(ChannelHandlerContext ctx, Http2Headers trailers) {
        Map<String, String> t = new java.util.TreeMap<>();
        if (trailers != null) {
          trailers.forEach(e -> t.put(e.getKey().toString(), e.getValue().toString()));
        }
        requests.add(new Request(headers, body.toString(StandardCharsets.UTF_8), t));
        ctx.write(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().status("200")
            .add("content-type", "text/plain"), false));
        ctx.write(new DefaultHttp2DataFrame(
            Unpooled.copiedBuffer("got " + body.size() + " bytes", StandardCharsets.UTF_8), false));
        ctx.writeAndFlush(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers()
            .add("x-echo-checksum", t.getOrDefault("x-checksum", "none")), true));
      }
    }
  }
}
