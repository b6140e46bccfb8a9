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
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import java.time.Duration;

/**
 * The training run for the sidecar's JDK AOT cache ({@code -XX:AOTCacheOutput}): starts a
 * sidecar in this JVM in front of a small in-process upstream, drives HTTP/1.1 and HTTP/2
 * requests, local replies and the admin API through it for a bounded number of requests, and
 * exits. The {@code weft} launcher runs it once after a build with the same JVM flags it uses
 * for {@code weft proxy}, so the proxy starts from an archive of the classes it loads (and
 * their profiles) instead of loading and linking them afresh.
 *
 * <p>Everything in the training run lands in the cache, and a JVM started from the cache loads
 * all of it at start-up: so the run drives the sidecar with a plain blocking socket client, not
 * the JDK's HTTP client, whose ~280 classes the sidecar itself never needs. It also parses a
 * command line as {@code weft proxy} does, so the option parser's classes are archived.
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
    Path dir = Files.createTempDirectory("weft-training");
    Path yamlFile = dir.resolve("training.yaml");
    Files.writeString(yamlFile, yaml);
    // The command line as 'weft proxy' parses it (the option parser and the file loader).
    var quiet = new java.io.PrintWriter(java.io.Writer.nullWriter());
    if (ProxyCommand.run(new String[] {"--validate", yamlFile.toString()}, quiet, quiet) != 0) {
      throw new IllegalStateException("the training bootstrap does not validate");
    }
    var loaded = BootstrapLoader.parse(yaml, "training.yaml");
    try (Sidecar sidecar = Sidecar.start(loaded.config(), loaded.bootstrap(),
        new Sidecar.Options(1, true, Duration.ofSeconds(1)))) {
      int port = sidecar.port("http");
      int adminPort = sidecar.adminAddress().getPort();
      try (TrainingClient h1 = new TrainingClient(port)) {
        for (int i = 0; i < rounds; i++) {
          h1.ok("GET", "/r" + i, "");
          h1.ok("POST", "/post", "x".repeat(64));
          h1.ok("GET", "/direct", "");
        }
      }
      for (String path : new String[] {"/stats/prometheus", "/clusters", "/ready"}) {
        try (TrainingClient a = new TrainingClient(adminPort)) {
          a.exchange("GET", path, "", true);
        }
      }
    } finally {
      deleteTree(dir);
      upstream.close().sync();
      group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).sync();
    }
    System.out.println("weft: AOT training run done");
  }

  /** A minimal keep-alive HTTP/1.1 client on a plain socket (Content-Length bodies only). */
  private static final class TrainingClient implements AutoCloseable {
    private final Socket socket;
    private final OutputStream out;
    private final InputStream in;

    TrainingClient(int port) throws IOException {
      socket = new Socket("127.0.0.1", port);
      socket.setSoTimeout(10_000);
      out = socket.getOutputStream();
      in = new BufferedInputStream(socket.getInputStream());
    }

    /**
     * Sends one keep-alive request and fails unless it is answered 200: a failed request means
     * the run trained the wrong code paths.
     */
    void ok(String method, String path, String body) throws IOException {
      int status = exchange(method, path, body, false);
      if (status != 200) {
        throw new IllegalStateException("training request " + method + " " + path + " answered " + status);
      }
    }

    /** Sends one request and reads its response; returns the status. */
    int exchange(String method, String path, String body, boolean close) throws IOException {
      byte[] b = body.getBytes(StandardCharsets.UTF_8);
      String head = method + " " + path + " HTTP/1.1\r\nHost: training\r\nContent-Length: " + b.length
          + (close ? "\r\nConnection: close" : "") + "\r\n\r\n";
      out.write(head.getBytes(StandardCharsets.US_ASCII));
      out.write(b);
      out.flush();
      String status = line();
      long length = 0;
      boolean chunked = false;
      for (String h = line(); !h.isEmpty(); h = line()) {
        int colon = h.indexOf(':');
        if (colon > 0 && h.substring(0, colon).trim().equalsIgnoreCase("content-length")) {
          length = Long.parseLong(h.substring(colon + 1).trim());
        } else if (colon > 0 && h.substring(0, colon).trim().equalsIgnoreCase("transfer-encoding")) {
          chunked = true;
        }
      }
      if (close || chunked) {
        in.readAllBytes(); // admin answers may be chunked: they were asked with Connection: close
      } else {
        in.skipNBytes(length);
      }
      return Integer.parseInt(status.split(" ")[1]);
    }

    private String line() throws IOException {
      StringBuilder sb = new StringBuilder();
      for (int c = in.read(); c != '\n'; c = in.read()) {
        if (c < 0) {
          throw new IOException("connection closed mid-response");
        }
        if (c != '\r') {
          sb.append((char) c);
        }
      }
      return sb.toString();
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
