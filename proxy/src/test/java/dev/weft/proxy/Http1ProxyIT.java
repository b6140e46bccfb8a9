package dev.weft.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.weft.proxy.testkit.Bootstraps;
import dev.weft.proxy.testkit.CloseDelimitedUpstream;
import dev.weft.proxy.testkit.Curl;
import dev.weft.proxy.testkit.PrometheusStats;
import dev.weft.proxy.testkit.RawHttpConnection;
import dev.weft.proxy.testkit.RawHttpConnection.Framing;
import dev.weft.proxy.testkit.TestSidecar;
import dev.weft.proxy.testkit.TestUpstream;
import dev.weft.proxy.testkit.WebSocketEchoUpstream;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTTP/1.1 data path end to end, with curl (as a process), the JDK HttpClient and raw
 * sockets as clients: bodies in both directions, connection reuse, 100-continue, upgrades,
 * pipelining, HTTP/1.0 and response re-framing.
 */
class Http1ProxyIT {
  private static final Duration TIMEOUT = Duration.ofSeconds(20);
  private static final byte[] LEGACY_BODY = pattern(100_000);

  private static TestUpstream app;
  private static WebSocketEchoUpstream ws;
  private static CloseDelimitedUpstream legacy;
  private static TestSidecar sidecar;
  private static HttpClient client;

  @BeforeAll
  static void start() throws Exception {
    app = TestUpstream.start("app");
    ws = WebSocketEchoUpstream.start();
    legacy = CloseDelimitedUpstream.start(LEGACY_BODY);
    String routes = """
        - name: all
          domains: ["*"]
          routes:
          - match: { prefix: "/ws" }
            route: { cluster: ws }
          - match: { prefix: "/legacy" }
            route: { cluster: legacy }
          - match: { prefix: "/" }
            route: { cluster: app }
        """;
    sidecar = TestSidecar.start(Bootstraps.bootstrap(
        Bootstraps.httpListener("http", routes, "upgrade_configs: [{ upgrade_type: websocket }]"),
        Bootstraps.cluster("app", false, app.port()) + Bootstraps.cluster("ws", false, ws.port())
            + Bootstraps.cluster("legacy", false, legacy.port())));
    client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(TIMEOUT).build();
  }

  @AfterAll
  static void stop() throws Exception {
    if (client != null) {
      client.close();
    }
    if (sidecar != null) {
      sidecar.close();
    }
    if (legacy != null) {
      legacy.close();
    }
    if (ws != null) {
      ws.close();
    }
    if (app != null) {
      app.close();
    }
  }

  private static String url(String path) {
    return sidecar.uri("http", path).toString();
  }

  private static HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(sidecar.uri("http", path)).timeout(TIMEOUT);
  }

  // ------------------------------------------------------------------ GET and POST

  @Test
  void curlGetAndPostReachTheUpstreamAndReturnItsResponse() throws Exception {
    assumeTrue(Curl.available(), Curl.MISSING);
    Curl.Result get = Curl.run("-i", url("/curl-get?x=1"));
    assertThat(get.exitCode()).as(get.stderr()).isZero();
    assertThat(get.stdout()).startsWith("HTTP/1.1 200").containsIgnoringCase("x-upstream: app");
    assertThat(app.last().method()).isEqualTo("GET");
    assertThat(app.last().uri()).isEqualTo("/curl-get?x=1");

    Curl.Result post = Curl.run("--data-binary", "hello from curl", url("/curl-post"));
    assertThat(post.exitCode()).as(post.stderr()).isZero();
    assertThat(post.stdout()).isEqualTo("hello from curl");
    assertThat(app.last().method()).isEqualTo("POST");
    assertThat(app.last().bodyBytes()).isEqualTo(15);
  }

  @Test
  void jdkClientGetAndPostReachTheUpstreamAndReturnItsResponse() throws Exception {
    HttpResponse<String> get = client.send(request("/jdk-get").GET().build(), BodyHandlers.ofString());
    assertThat(get.statusCode()).isEqualTo(200);
    assertThat(get.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
    assertThat(get.headers().firstValue("x-upstream")).hasValue("app");
    assertThat(app.last().method()).isEqualTo("GET");

    HttpResponse<String> post = client.send(request("/jdk-post").POST(BodyPublishers.ofString("ping ✓")).build(),
        BodyHandlers.ofString());
    assertThat(post.statusCode()).isEqualTo(200);
    assertThat(post.body()).isEqualTo("ping ✓");
    assertThat(app.last().header("content-length")).isEqualTo(
        Integer.toString("ping ✓".getBytes(StandardCharsets.UTF_8).length));
  }

  // ------------------------------------------------------------------ keep-alive

  @Test
  void sequentialJdkRequestsShareOneDownstreamAndOneUpstreamConnection() throws Exception {
    try (TestUpstream up = TestUpstream.start("reuse");
         TestSidecar sc = TestSidecar.start(Bootstraps.simple(false, up.port()));
         HttpClient c = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
      for (int i = 0; i < 50; i++) {
        HttpResponse<String> r = c.send(HttpRequest.newBuilder(sc.uri("http", "/n/" + i)).timeout(TIMEOUT).build(),
            BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
      }
      assertThat(up.requests()).isEqualTo(50);
      assertThat(up.connections()).isEqualTo(1);
      assertThat(PrometheusStats.value(sc, "weft_downstream_connections_total", Map.of("listener", "http")))
          .isEqualTo(1.0);
    }
  }

  @Test
  void curlReusesItsConnectionAndTheProxyReusesTheUpstreamOne() throws Exception {
    assumeTrue(Curl.available(), Curl.MISSING);
    try (TestUpstream up = TestUpstream.start("reuse");
         TestSidecar sc = TestSidecar.start(Bootstraps.simple(false, up.port()))) {
      String[] args = new String[22];
      args[0] = "-w";
      args[1] = "%{http_code} %{num_connects}\\n";
      for (int i = 0; i < 20; i++) {
        args[i + 2] = sc.uri("http", "/status/204?i=" + i).toString();
      }
      Curl.Result r = Curl.run(args);
      assertThat(r.exitCode()).as(r.stderr()).isZero();
      List<String> lines = r.stdout().lines().toList();
      assertThat(lines).hasSize(20).allMatch(l -> l.startsWith("204 "));
      int connects = lines.stream().mapToInt(l -> Integer.parseInt(l.substring(4).trim())).sum();
      assertThat(connects).as("connections curl opened").isEqualTo(1);
      assertThat(up.requests()).isEqualTo(20);
      assertThat(up.connections()).isEqualTo(1);
    }
  }

  // ------------------------------------------------------------------ bodies

  @Test
  void curlChunkedUploadIsStreamedToTheUpstreamChunked(@TempDir Path dir) throws Exception {
    assumeTrue(Curl.available(), Curl.MISSING);
    Path file = dir.resolve("upload.bin");
    Files.write(file, pattern(3 * 1024 * 1024));
    Curl.Result r = Curl.run("-H", "Transfer-Encoding: chunked", "--data-binary", "@" + file, url("/upload"));
    assertThat(r.exitCode()).as(r.stderr()).isZero();
    assertThat(r.stdout()).isEqualTo("received=" + 3 * 1024 * 1024);
    TestUpstream.Received got = app.last();
    assertThat(got.uri()).isEqualTo("/upload");
    assertThat(got.header("transfer-encoding")).isEqualToIgnoringCase("chunked");
    assertThat(got.header("content-length")).isNull();
    assertThat(got.bodyBytes()).isEqualTo(3 * 1024 * 1024);
  }

  @Test
  void jdkStreamingUploadOfUnknownLengthArrivesWhole() throws Exception {
    byte[] data = pattern(2 * 1024 * 1024 + 17);
    HttpResponse<String> r = client.send(request("/stream-upload")
        .POST(BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(data))).build(), BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("received=" + data.length);
    assertThat(app.last().header("transfer-encoding")).isEqualToIgnoringCase("chunked");
    assertThat(app.last().bodyBytes()).isEqualTo(data.length);
  }

  @Test
  void twentyMebibyteDownloadIsStreamedCompletely() throws Exception {
    long size = 20L * 1024 * 1024;
    HttpResponse<InputStream> r = client.send(request("/bytes/" + size).build(), BodyHandlers.ofInputStream());
    long read;
    try (InputStream in = r.body()) {
      read = in.transferTo(OutputStream.nullOutputStream());
    }
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValueAsLong("content-length")).hasValue(size);
    assertThat(read).isEqualTo(size);

    assumeTrue(Curl.available(), Curl.MISSING);
    Curl.Result c = Curl.run("-o", "/dev/null", "-w", "%{http_code} %{size_download}", url("/bytes/" + size));
    assertThat(c.exitCode()).as(c.stderr()).isZero();
    assertThat(c.stdout()).isEqualTo("200 " + size);
  }

  @Test
  void chunkedResponseWithTrailersIsRelayedChunkedWithItsTrailers() throws Exception {
    try (RawHttpConnection conn = RawHttpConnection.open(sidecar.port("http"))) {
      RawHttpConnection.Response r = conn.get("/trailers", "example.test");
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.framing()).isEqualTo(Framing.CHUNKED);
      assertThat(r.bodyText()).isEqualTo("with trailers\n");
      assertThat(r.trailers()).contains(Map.entry("x-trailer", "done"));
    }
  }

  // ------------------------------------------------------------------ 100-continue

  @Test
  void expectContinueIsAnsweredByTheProxyAndNotForwarded(@TempDir Path dir) throws Exception {
    assumeTrue(Curl.available(), Curl.MISSING);
    Path file = dir.resolve("body.bin");
    Files.write(file, pattern(200_000));
    // A long expect timeout: curl only sends the body early if the 100 arrives.
    Curl.Result r = Curl.run("-v", "--expect100-timeout", "15", "-H", "Expect: 100-continue",
        "--data-binary", "@" + file, "-o", "/dev/null", "-w", "%{http_code} %{size_upload} %{time_total}",
        url("/expect"));
    assertThat(r.exitCode()).as(r.stderr()).isZero();
    assertThat(r.receivedLines()).as(r.stderr()).contains("HTTP/1.1 100 Continue");
    String[] out = r.stdout().split(" ");
    assertThat(out[0]).isEqualTo("200");
    assertThat(out[1]).isEqualTo("200000");
    assertThat(Double.parseDouble(out[2])).as("seconds; curl would wait 15 s without a 100").isLessThan(10);
    TestUpstream.Received got = app.last();
    assertThat(got.uri()).isEqualTo("/expect");
    assertThat(got.header("expect")).isNull();
    assertThat(got.bodyBytes()).isEqualTo(200_000);
  }

  @Test
  void connectionSpecificHeadersStopAtTheProxy() throws Exception {
    try (RawHttpConnection conn = RawHttpConnection.open(sidecar.port("http"))) {
      RawHttpConnection.Response r = conn.get("/hop-by-hop", "example.test",
          "Connection", "keep-alive, X-Hop", "connection", "X-Other-Hop", "X-Hop", "1", "X-Other-Hop", "2",
          "Keep-Alive", "timeout=5", "PROXY-Connection", "keep-alive", "TE", "gzip",
          "X-Http2-Scheme", "https", "X-End-To-End", "kept");
      assertThat(r.status()).isEqualTo(200);
    }
    TestUpstream.Received got = app.last();
    assertThat(got.uri()).isEqualTo("/hop-by-hop");
    for (String name : List.of("x-hop", "x-other-hop", "keep-alive", "proxy-connection", "te", "x-http2-scheme")) {
      assertThat(got.header(name)).as(name).isNull();
    }
    assertThat(got.header("x-end-to-end")).isEqualTo("kept");

    try (RawHttpConnection conn = RawHttpConnection.open(sidecar.port("http"))) {
      assertThat(conn.get("/te-trailers", "example.test", "TE", "trailers").status()).isEqualTo(200);
    }
    assertThat(app.last().header("te")).isEqualTo("trailers");
  }

  // ------------------------------------------------------------------ upgrades

  @Test
  void webSocketUpgradeIsTunnelledWithMessagesBothWaysAndACloseHandshake() throws Exception {
    Messages messages = new Messages();
    int before = ws.handshakes().size();
    WebSocket socket = client.newWebSocketBuilder().connectTimeout(TIMEOUT)
        .buildAsync(URI.create("ws://127.0.0.1:" + sidecar.port("http") + "/ws/chat"), messages)
        .get(20, TimeUnit.SECONDS);
    try {
      assertThat(messages.texts.poll(10, TimeUnit.SECONDS)).isEqualTo(WebSocketEchoUpstream.GREETING);
      for (String text : List.of("ping", "unicode ✓ ü", "x".repeat(10_000))) {
        socket.sendText(text, true).get(10, TimeUnit.SECONDS);
        assertThat(messages.texts.poll(10, TimeUnit.SECONDS)).isEqualTo(text);
      }
      assertThat(ws.messages()).contains("ping", "unicode ✓ ü");
      assertThat(ws.handshakes()).hasSize(before + 1);
      var handshake = ws.handshakes().getLast();
      assertThat(handshake.get("upgrade")).isEqualToIgnoringCase("websocket");
      assertThat(handshake.get("connection")).containsIgnoringCase("upgrade");

      socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(10, TimeUnit.SECONDS);
      assertThat(messages.closed.get(10, TimeUnit.SECONDS)).isEqualTo(WebSocket.NORMAL_CLOSURE);
      await().atMost(TIMEOUT).until(socket::isInputClosed);
    } finally {
      socket.abort();
    }
    HttpResponse<String> after = client.send(request("/after-websocket").build(), BodyHandlers.ofString());
    assertThat(after.statusCode()).isEqualTo(200);
  }

  @Test
  void upgradeToAProtocolThatIsNotConfiguredIsRefusedWith403() throws Exception {
    try (RawHttpConnection conn = RawHttpConnection.open(sidecar.port("http"))) {
      int before = app.requests();
      RawHttpConnection.Response r = conn.get("/chat", "example.test", "Connection", "Upgrade",
          "Upgrade", "foo/2");
      assertThat(r.status()).isEqualTo(403);
      assertThat(r.header("x-weft-error")).isEqualTo("upgrade_failed");
      assertThat(app.requests()).isEqualTo(before);
    }
  }

  @Test
  void curlH2cUpgradeIsIgnoredAndTheRequestIsServedAsHttp11() throws Exception {
    assumeTrue(Curl.available(), Curl.MISSING);
    Curl.Result r = Curl.run("--http2", "-o", "/dev/null", "-w", "%{http_code} %{http_version}", url("/h2c-upgrade"));
    assertThat(r.exitCode()).as(r.stderr()).isZero();
    assertThat(r.stdout()).isEqualTo("200 1.1");
    TestUpstream.Received got = app.last();
    assertThat(got.uri()).isEqualTo("/h2c-upgrade");
    assertThat(got.protocol()).isEqualTo("h1");
    assertThat(got.header("upgrade")).isNull();
    assertThat(got.header("http2-settings")).isNull();
  }

  // ------------------------------------------------------------------ framing

  @Test
  void pipelinedRequestsAreAnsweredInOrder() throws Exception {
    try (RawHttpConnection conn = RawHttpConnection.open(sidecar.port("http"))) {
      conn.write("GET /delay/300 HTTP/1.1\r\nHost: example.test\r\n\r\n"
          + "GET /status/202 HTTP/1.1\r\nHost: example.test\r\n\r\n"
          + "POST /echo HTTP/1.1\r\nHost: example.test\r\nContent-Length: 5\r\n\r\nthird");
      RawHttpConnection.Response first = conn.readResponse(false);
      RawHttpConnection.Response second = conn.readResponse(false);
      RawHttpConnection.Response third = conn.readResponse(false);
      assertThat(first.status()).isEqualTo(200);
      assertThat(second.status()).isEqualTo(202);
      assertThat(second.bodyText()).isEqualTo("status 202\n");
      assertThat(third.status()).isEqualTo(200);
      assertThat(third.bodyText()).isEqualTo("third");
    }
  }

  @Test
  void http10RequestWithoutHostIsServedWithALengthAndTheConnectionCloses() throws Exception {
    try (RawHttpConnection conn = RawHttpConnection.open(sidecar.port("http"))) {
      conn.write("POST /http10 HTTP/1.0\r\nContent-Length: 5\r\n\r\nhello");
      RawHttpConnection.Response r = conn.readResponse(false);
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.framing()).isEqualTo(Framing.CONTENT_LENGTH);
      assertThat(r.header("content-length")).isEqualTo("5");
      assertThat(r.bodyText()).isEqualTo("hello");
      assertThat(conn.closedByPeer()).as("HTTP/1.0 without keep-alive closes after the response").isTrue();
    }
    assertThat(app.last().uri()).isEqualTo("/http10");
  }

  @Test
  void http10KeepAliveRequestKeepsTheConnectionOpen() throws Exception {
    try (RawHttpConnection conn = RawHttpConnection.open(sidecar.port("http"))) {
      for (int i = 0; i < 2; i++) {
        conn.write("GET /http10-keepalive HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        RawHttpConnection.Response r = conn.readResponse(false);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.framing()).isEqualTo(Framing.CONTENT_LENGTH);
        assertThat(r.header("connection")).isEqualToIgnoringCase("keep-alive");
      }
    }
  }

  @Test
  void closeDelimitedUpstreamResponseIsReframedChunkedForAnHttp11Client() throws Exception {
    try (RawHttpConnection conn = RawHttpConnection.open(sidecar.port("http"))) {
      for (int i = 0; i < 2; i++) {
        RawHttpConnection.Response r = conn.get("/legacy/" + i, "example.test");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("x-upstream")).isEqualTo("close-delimited");
        assertThat(r.framing()).as("response %d", i).isEqualTo(Framing.CHUNKED);
        assertThat(r.header("connection")).isNull();
        assertThat(Arrays.equals(r.body(), LEGACY_BODY)).as("body of response %d is intact", i).isTrue();
      }
    }
    HttpResponse<byte[]> jdk = client.send(request("/legacy/jdk").build(), BodyHandlers.ofByteArray());
    assertThat(jdk.statusCode()).isEqualTo(200);
    assertThat(jdk.body()).isEqualTo(LEGACY_BODY);
  }

  @Test
  void closeDelimitedUpstreamResponseStaysCloseDelimitedForAnHttp10Client() throws Exception {
    try (RawHttpConnection conn = RawHttpConnection.open(sidecar.port("http"))) {
      conn.write("GET /legacy/old-client HTTP/1.0\r\n\r\n");
      RawHttpConnection.Response r = conn.readResponse(false);
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.framing()).isEqualTo(Framing.CLOSE_DELIMITED);
      assertThat(r.header("transfer-encoding")).isNull();
      assertThat(Arrays.equals(r.body(), LEGACY_BODY)).isTrue();
    }
  }

  // ------------------------------------------------------------------ helpers

  /** Bytes 0..250 repeating, so a shifted or truncated body does not compare equal. */
  static byte[] pattern(int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) (i % 251);
    }
    return b;
  }

  /** Collects whole text messages and the close code a WebSocket receives. */
  private static final class Messages implements WebSocket.Listener {
    final LinkedBlockingQueue<String> texts = new LinkedBlockingQueue<>();
    final CompletableFuture<Integer> closed = new CompletableFuture<>();
    private final StringBuilder partial = new StringBuilder();

    @Override
    public void onOpen(WebSocket webSocket) {
      webSocket.request(1);
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        texts.add(partial.toString());
        partial.setLength(0);
      }
      webSocket.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
      closed.complete(statusCode);
      return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
      closed.completeExceptionally(error);
    }
  }
}
