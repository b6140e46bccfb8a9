package dev.weft.proxy.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.proxy.Transport;
import dev.weft.proxy.bootstrap.BootstrapLoader;
import dev.weft.proxy.config.HttpConnectionManagerConfig;
import dev.weft.proxy.metrics.ProxyMetrics;
import dev.weft.proxy.testkit.Bootstraps;
import dev.weft.proxy.upstream.ClusterManager;
import dev.weft.proxy.upstream.EventLoopIndex;
import dev.weft.proxy.upstream.UpstreamConnector;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The router's local replies, on an {@code EmbeddedChannel} with the real HTTP/1.1 codec:
 * requests that never reach an upstream.
 */
class HttpProxyHandlerTest {

  private static final String DIRECT = """
      - name: all
        domains: ["known"]
        routes:
        - match: { path: "/direct" }
          direct_response: { status: 418, body: { inline_string: "teapot" } }
        - match: { prefix: "/app" }
          route: { cluster: app }
      """;

  private EmbeddedChannel channel(String extraHcm) throws Exception {
    var config = BootstrapLoader.parse(Bootstraps.bootstrap(Bootstraps.httpListener("http", DIRECT, extraHcm),
        Bootstraps.cluster("app", false, 1)), "t.yaml").config();
    var hcm = (HttpConnectionManagerConfig) config.listeners().getFirst().filterChains().getFirst().filter();
    EmbeddedChannel ch = new EmbeddedChannel();
    ProxyMetrics metrics = new ProxyMetrics();
    ClusterManager clusters = new ClusterManager(new UpstreamConnector(Transport.select(false)),
        new EventLoopIndex(ch.eventLoop()), metrics,
        new dev.weft.proxy.tls.TlsContexts(dev.weft.proxy.tls.TlsMaterial.SecretProvider.NONE));
    ch.pipeline().addLast("codec", new HttpServerCodec(new HttpDecoderConfig()
        .setMaxHeaderSize(hcm.maxRequestHeadersBytes()).setMaxInitialLineLength(hcm.maxRequestHeadersBytes())));
    ch.pipeline().addLast(new HttpProxyHandler(new HttpChainContext("http", hcm, clusters, metrics, new DrainState()),
        false));
    return ch;
  }

  /** Sends raw request bytes and decodes what the handler wrote back. */
  private static FullHttpResponse exchange(EmbeddedChannel ch, String raw) {
    ch.writeInbound(Unpooled.copiedBuffer(raw, StandardCharsets.ISO_8859_1));
    EmbeddedChannel client = new EmbeddedChannel(new HttpClientCodec(), new HttpObjectAggregator(1 << 20));
    client.writeOutbound(new io.netty.handler.codec.http.DefaultFullHttpRequest(
        io.netty.handler.codec.http.HttpVersion.HTTP_1_1, io.netty.handler.codec.http.HttpMethod.GET, "/"));
    client.outboundMessages().forEach(io.netty.util.ReferenceCountUtil::release);
    client.outboundMessages().clear();
    ByteBuf out;
    while ((out = ch.readOutbound()) != null) {
      client.writeInbound(out);
    }
    FullHttpResponse r = client.readInbound();
    client.finishAndReleaseAll();
    return r;
  }

  @Test
  void unknownHostIs404AndTheConnectionStaysOpen() throws Exception {
    EmbeddedChannel ch = channel("");
    FullHttpResponse r = exchange(ch, "GET /app HTTP/1.1\r\nHost: other\r\n\r\n");
    assertThat(r.status().code()).isEqualTo(404);
    assertThat(r.headers().get(ProxyError.HEADER)).isEqualTo("route_not_found");
    r.release();
    assertThat(ch.isOpen()).isTrue();
    ch.finishAndReleaseAll();
  }

  @Test
  void directResponseCarriesStatusAndBody() throws Exception {
    EmbeddedChannel ch = channel("");
    FullHttpResponse r = exchange(ch, "GET /direct HTTP/1.1\r\nHost: known\r\n\r\n");
    assertThat(r.status().code()).isEqualTo(418);
    assertThat(r.content().toString(StandardCharsets.UTF_8)).isEqualTo("teapot");
    r.release();
    ch.finishAndReleaseAll();
  }

  @Test
  void malformedRequestIs400AndCloses() throws Exception {
    EmbeddedChannel ch = channel("");
    FullHttpResponse r = exchange(ch, "GET / HTTP/1.1\r\nHost: known\r\nno colon here\r\n\r\n");
    assertThat(r.status().code()).isEqualTo(400);
    assertThat(r.headers().get(ProxyError.HEADER)).isEqualTo("bad_request");
    r.release();
    assertThat(ch.isOpen()).isFalse();
    ch.finishAndReleaseAll();
  }

  @Test
  void missingHostOnHttp11Is400() throws Exception {
    EmbeddedChannel ch = channel("");
    FullHttpResponse r = exchange(ch, "GET /app HTTP/1.1\r\n\r\n");
    assertThat(r.status().code()).isEqualTo(400);
    r.release();
    ch.finishAndReleaseAll();
  }

  @Test
  void headersOverTheSizeLimitAre431() throws Exception {
    EmbeddedChannel ch = channel("max_request_headers_kb: 1");
    FullHttpResponse r = exchange(ch, "GET /app HTTP/1.1\r\nHost: known\r\nx-big: " + "a".repeat(2048) + "\r\n\r\n");
    assertThat(r.status().code()).isEqualTo(431);
    assertThat(r.headers().get(ProxyError.HEADER)).isEqualTo("headers_too_large");
    r.release();
    ch.finishAndReleaseAll();
  }

  @Test
  void moreHeadersThanTheCountLimitAre431() throws Exception {
    EmbeddedChannel ch = channel("common_http_protocol_options: { max_headers_count: 3 }");
    FullHttpResponse r = exchange(ch, "GET /app HTTP/1.1\r\nHost: known\r\na: 1\r\nb: 2\r\nc: 3\r\n\r\n");
    assertThat(r.status().code()).isEqualTo(431);
    r.release();
    ch.finishAndReleaseAll();
  }

  @Test
  void notConfiguredUpgradeIs403() throws Exception {
    EmbeddedChannel ch = channel("");
    FullHttpResponse r = exchange(ch,
        "GET /app HTTP/1.1\r\nHost: known\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
    assertThat(r.status().code()).isEqualTo(403);
    assertThat(r.headers().get(ProxyError.HEADER)).isEqualTo("upgrade_failed");
    r.release();
    ch.finishAndReleaseAll();
  }

  @Test
  void grpcRequestsGetTrailersOnlyGrpcReplies() throws Exception {
    EmbeddedChannel ch = channel("");
    FullHttpResponse r = exchange(ch, "POST /nothing HTTP/1.1\r\nHost: known\r\ncontent-type: application/grpc\r\n"
        + "content-length: 0\r\n\r\n");
    assertThat(r.status().code()).isEqualTo(200);
    assertThat(r.headers().get("grpc-status")).isEqualTo("12");
    r.release();
    ch.finishAndReleaseAll();
  }
}
