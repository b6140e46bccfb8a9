package dev.weft.proxy;

import dev.weft.certs.CertificateAuthority;
import dev.weft.certs.CertificateChain;
import dev.weft.certs.CertificateRequests;
import dev.weft.certs.KeyType;
import dev.weft.certs.Pem;
import dev.weft.certs.SpiffeId;
import dev.weft.certs.TrustDomain;
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
import java.security.KeyPair;
import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.TimeUnit;
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
      trainMutualTls(dir, upstreamPort, rounds);
    } finally {
      deleteTree(dir);
      upstream.close().sync();
      group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).sync();
    }
    System.out.println("weft: AOT training run done");
  }

  /**
   * The mesh hop as it runs in a pod: an outbound sidecar originating mutual TLS (SPIFFE
   * identities, a SAN match, ALPN) to an inbound sidecar that terminates it, both loaded from
   * bootstrap files with PEM certificates. Without it, every TLS class (the config messages,
   * Netty's and the JDK's TLS code, the PEM reader) is loaded, linked and verified afresh at
   * every start, and each jar they come from is opened, its whole central directory kept on the
   * heap (the Envoy API jar's alone is 1.5 MB).
   *
   * <p>The certificates are issued by a separate JVM ({@link Pki}): no sidecar needs the
   * certificate authority's BouncyCastle classes, and whatever this JVM loads is archived and
   * loaded by every sidecar at start-up.
   */
  private static final String NAMESPACE = "spiffe://training.weft.internal/ns/training";

  /** {@link Pki} by name: naming its class would load it, and the classes it names, here. */
  private static final String PKI_MAIN = "dev.weft.proxy.AotTraining$Pki";

  private static void trainMutualTls(Path dir, int upstreamPort, int rounds) throws Exception {
    Process pki = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "-cp",
        System.getProperty("java.class.path"), PKI_MAIN, dir.toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve("pki.log").toFile()).start();
    if (!pki.waitFor(60, TimeUnit.SECONDS) || pki.exitValue() != 0) {
      pki.destroyForcibly();
      throw new IllegalStateException("issuing the training certificates failed: "
          + Files.readString(dir.resolve("pki.log")));
    }
    Path in = dir.resolve("in.yaml");
    Files.writeString(in, hopSide("in", "inbound", "app", upstreamPort,
        "transport_socket: { name: envoy.transport_sockets.tls, typed_config: {"
            + " \"@type\": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext,"
            + " require_client_certificate: true, common_tls_context: " + commonTls(dir, "in", "out") + " } }",
        ""));
    var inbound = BootstrapLoader.load(in);
    try (Sidecar inSidecar = Sidecar.start(inbound.config(), inbound.bootstrap(),
        new Sidecar.Options(1, true, Duration.ofSeconds(1)))) {
      Path out = dir.resolve("out.yaml");
      Files.writeString(out, hopSide("out", "outbound", "peer", inSidecar.port("inbound"), "",
          "typed_extension_protocol_options: { envoy.extensions.upstreams.http.v3.HttpProtocolOptions: {"
              + " \"@type\": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions,"
              + " use_downstream_protocol_config: { http_protocol_options: {}, http2_protocol_options: {} } } },"
              + " transport_socket: { name: envoy.transport_sockets.tls, typed_config: {"
              + " \"@type\": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext,"
              + " sni: in.training.weft.internal, common_tls_context: " + commonTls(dir, "out", "in") + " } },"));
      var outbound = BootstrapLoader.load(out);
      try (Sidecar outSidecar = Sidecar.start(outbound.config(), outbound.bootstrap(),
          new Sidecar.Options(1, true, Duration.ofSeconds(1)));
          TrainingClient client = new TrainingClient(outSidecar.port("outbound"))) {
        for (int i = 0; i < rounds; i++) {
          client.ok("GET", "/mesh" + i, "");
          client.ok("POST", "/mesh", "x".repeat(64));
        }
      }
    }
  }

  /**
   * One side of the training hop: a listener routing every request to one static cluster, as
   * the bench's sidecars do; {@code listenerTls} and {@code clusterOptions} are flow-style YAML
   * for the listener's filter chain and the cluster (each empty or ending in a separator).
   */
  private static String hopSide(String side, String listener, String cluster, int port,
      String listenerTls, String clusterOptions) {
    return """
        node: { id: training-%1$s, cluster: training }
        admin: { address: { socket_address: { address: 127.0.0.1, port_value: 0 } } }
        static_resources:
          listeners:
          - name: %2$s
            address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
            filter_chains:
            - filters:
              - name: envoy.filters.network.http_connection_manager
                typed_config:
                  "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                  stat_prefix: %2$s
                  codec_type: AUTO
                  route_config:
                    virtual_hosts:
                    - { name: %3$s, domains: ["*"], routes: [ { match: { prefix: "/" }, route: { cluster: %3$s, timeout: 15s } } ] }
                  http_filters:
                  - { name: envoy.filters.http.router, typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router } }
              %4$s
          clusters:
          - { name: %3$s, type: STATIC, connect_timeout: 1s, %5$s
              load_assignment: { cluster_name: %3$s, endpoints: [ { lb_endpoints: [ { endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: %6$d } } } } ] } ] } }
        """.formatted(side, listener, cluster, listenerTls, clusterOptions, port);
  }

  /** The common TLS context of side {@code side}: its own certificate, and the peer's SPIFFE ID required. */
  private static String commonTls(Path dir, String side, String peer) {
    return "{ alpn_protocols: [\"h2\", \"http/1.1\"], tls_certificates: [ { certificate_chain: { filename: %1$s/%2$s.crt },"
        .formatted(dir, side)
        + " private_key: { filename: %1$s/%2$s.key } } ], validation_context: { trusted_ca: { filename: %1$s/ca.crt },"
            .formatted(dir, side)
        + " match_typed_subject_alt_names: [ { san_type: URI, matcher: { exact: \"%s/sa/%s\" } } ] } }"
            .formatted(NAMESPACE, peer);
  }

  /**
   * Issues the training run's certificates in its own JVM: a root, and an ECDSA P-256 leaf with
   * a SPIFFE identity for each side of the hop, as PEM files in the directory it is given.
   */
  static final class Pki {
    private Pki() {}

    public static void main(String[] args) throws Exception {
      Path dir = Path.of(args[0]);
      SecureRandom random = new SecureRandom();
      CertificateAuthority ca = CertificateAuthority.builder(TrustDomain.of("training.weft.internal")).selfSigned();
      Pem.writeCertificates(dir.resolve("ca.crt"), List.of(ca.rootCertificate()));
      for (String side : new String[] {"in", "out"}) {
        KeyPair keys = KeyType.EC_P256.generate(random);
        SpiffeId id = SpiffeId.forWorkload("training.weft.internal", "training", side);
        CertificateChain chain = ca.sign(CertificateRequests.create(keys, id), id, Duration.ofHours(1));
        Pem.writePrivateKey(dir.resolve(side + ".key"), keys.getPrivate());
        Pem.writeCertificates(dir.resolve(side + ".crt"), chain.certificates());
      }
    }
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
