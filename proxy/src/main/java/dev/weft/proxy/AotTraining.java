package dev.weft.proxy;

import dev.weft.proxy.bootstrap.BootstrapLoader;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * The training run for the sidecar's JDK AOT cache ({@code -XX:AOTCacheOutput}): starts a
 * sidecar in this JVM in front of a small in-process upstream, drives HTTP/1.1 and HTTP/2
 * requests, local replies and the admin API through it for a bounded number of requests, and
 * exits. The {@code weft} launcher runs it once after a build with the same JVM flags it uses
 * for {@code weft proxy}, so the proxy starts from an archive of the classes it loads (and
 * their profiles) instead of loading and linking them afresh.
 */
public final class AotTraining {
  private AotTraining() {}

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 300;
    Transport transport = Transport.select(true);
    EventLoopGroup group = transport.newGroup(1, "weft-training-upstream");
    Channel upstream = new ServerBootstrap().group(group).channel(transport.serverChannel())
        .childHandler(new ChannelInitializer<>() {
          @Override
          protected void initChannel(Channel ch) {
            ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 20),
                new SimpleChannelInboundHandler<FullHttpRequest>() {
                  @Override
                  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
                    var r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                        Unpooled.copiedBuffer(new byte[100]));
                    r.headers().setInt("content-length", 100);
                    ctx.writeAndFlush(r);
                  }
                });
          }
        }).bind("127.0.0.1", 0).sync().channel();
    int upstreamPort = ((InetSocketAddress) upstream.localAddress()).getPort();
    String yaml = """
        admin: { address: { socket_address: { address: 127.0.0.1, port_value: 0 } } }
        static_resources:
          listeners:
          - name: http
            address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
            filter_chains:
            - filters:
              - name: envoy.filters.network.http_connection_manager
                typed_config:
                  "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                  stat_prefix: http
                  route_config:
                    virtual_hosts:
                    - name: all
                      domains: ["*"]
                      routes:
                      - { match: { prefix: "/direct" }, direct_response: { status: 200, body: { inline_string: "ok" } } }
                      - { match: { prefix: "/" }, route: { cluster: app } }
                  http_filters:
                  - name: envoy.filters.http.router
                    typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
          clusters:
          - name: app
            type: STATIC
            load_assignment: { cluster_name: app, endpoints: [ { lb_endpoints: [ { endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: %d } } } } ] } ] }
        """.formatted(upstreamPort);
    var loaded = BootstrapLoader.parse(yaml, "training.yaml");
    try (Sidecar sidecar = Sidecar.start(loaded.config(), loaded.bootstrap(),
        new Sidecar.Options(1, true, Duration.ofSeconds(1)))) {
      URI base = URI.create("http://127.0.0.1:" + sidecar.port("http"));
      URI admin = URI.create("http://127.0.0.1:" + sidecar.adminAddress().getPort());
      try (HttpClient h1 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
        for (int i = 0; i < rounds; i++) {
          h1.send(HttpRequest.newBuilder(base.resolve("/r" + i)).build(), HttpResponse.BodyHandlers.discarding());
          h1.send(HttpRequest.newBuilder(base.resolve("/post")).POST(HttpRequest.BodyPublishers.ofString("x".repeat(64)))
              .build(), HttpResponse.BodyHandlers.discarding());
          h1.send(HttpRequest.newBuilder(base.resolve("/direct")).build(), HttpResponse.BodyHandlers.discarding());
        }
        h1.send(HttpRequest.newBuilder(admin.resolve("/stats/prometheus")).build(), HttpResponse.BodyHandlers.discarding());
        h1.send(HttpRequest.newBuilder(admin.resolve("/clusters")).build(), HttpResponse.BodyHandlers.discarding());
        h1.send(HttpRequest.newBuilder(admin.resolve("/ready")).build(), HttpResponse.BodyHandlers.discarding());
      }
    } finally {
      upstream.close().sync();
      group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).sync();
    }
    System.out.println("weft: AOT training run done");
  }
}
