package dev.weft.controlplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weft.certs.SpiffeId;
import dev.weft.certs.TrustBundle;
import dev.weft.certs.TrustDomain;
import dev.weft.certs.WorkloadIdentity;
import dev.weft.controlplane.ca.BootstrapTokenAuthenticator;
import dev.weft.controlplane.ca.CaMaterial;
import dev.weft.controlplane.ca.CaServer;
import dev.weft.proxy.Sidecar;
import dev.weft.proxy.identity.CaClient;
import dev.weft.proxy.identity.CaServerCheck;
import dev.weft.proxy.identity.IdentitySecrets;
import io.grpc.CallOptions;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The mesh over mutual TLS configured through xDS: the control plane's CA issues every sidecar
 * its workload certificate (SDS names "default" and "ROOTCA"), the translator's clusters verify
 * the destination's SPIFFE IDs and its inbound listeners follow the MTLSPolicy. Requests go
 * from an app through its sidecar's outbound listener, over mTLS to the peer sidecar's inbound
 * listener, and on to the peer's app.
 */
class MeshMtlsIT {
  private static final TrustDomain TD = TrustDomain.of("cluster.local");
  private static final String WEB = "127.0.0.51";
  private static final String API = "127.0.0.52";
  private static final String OTHER = "127.0.0.53";
  private static final String WEB_ID = "spiffe://cluster.local/ns/default/sa/web-sa";
  private static final String API_HTTP = "api.default.svc.cluster.local:8080";
  private static final Metadata.Key<String> XFCC = Metadata.Key.of("x-forwarded-client-cert",
      Metadata.ASCII_STRING_MARSHALLER);
  private static final Context.Key<String> CALLER = Context.key("xfcc");
  private static final MethodDescriptor<String, String> WHO = MethodDescriptor.<String, String>newBuilder()
      .setType(MethodDescriptor.MethodType.UNARY).setFullMethodName("weft.test.Identity/Who")
      .setRequestMarshaller(new Utf8()).setResponseMarshaller(new Utf8()).build();

  @TempDir
  Path dir;

  private MeshFixture mesh;
  private CaServer ca;
  private TrustBundle roots;
  private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(1);

  @BeforeEach
  void start() throws Exception {
    mesh = new MeshFixture(dir);
    int appPort = MeshFixture.freePort();
    int grpcPort = MeshFixture.freePort();
    CaMaterial material = CaMaterial.newRoot(TD, Duration.ofDays(1), Clock.systemUTC());
    roots = TrustBundle.of(TD, material.roots().toArray(java.security.cert.X509Certificate[]::new));
    mesh.write("tokens.yaml", """
        - {token: web-token-0123456789abcdef, namespace: default, serviceAccount: web-sa}
        - {token: api-token-0123456789abcdef, namespace: default, serviceAccount: api-sa}
        - {token: other-token-0123456789abcdef, namespace: default, serviceAccount: other-sa}
        """);
    ca = CaServer.builder(material, new BootstrapTokenAuthenticator(dir.resolve("tokens.yaml"), TD))
        .address(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).start();

    // The api app answers with the caller identity its sidecar forwarded, and the protocol it was spoken to in.
    mesh.app(API, appPort, exchange -> {
      String xfcc = exchange.getRequestHeaders().getFirst("x-forwarded-client-cert");
      byte[] body = (exchange.getProtocol() + " " + (xfcc == null ? "no-client-cert" : xfcc))
          .getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    ServerInterceptor caller = new ServerInterceptor() {
      @Override
      public <Q, R> io.grpc.ServerCall.Listener<Q> interceptCall(io.grpc.ServerCall<Q, R> call, Metadata headers,
          io.grpc.ServerCallHandler<Q, R> next) {
        return Contexts.interceptCall(Context.current().withValue(CALLER, headers.get(XFCC)), call, headers, next);
      }
    };
    Server grpc = io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder
        .forAddress(new InetSocketAddress(InetAddress.getByName(API), grpcPort))
        .addService(ServerInterceptors.intercept(ServerServiceDefinition.builder("weft.test.Identity")
            .addMethod(WHO, ServerCalls.asyncUnaryCall((request, response) -> {
              String xfcc = CALLER.get();
              response.onNext(xfcc == null ? "no-client-cert" : xfcc);
              response.onCompleted();
            })).build(), caller))
        .build().start();
    mesh.closeLater(() -> grpc.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));

    mesh.write("registry.yaml", """
        workloads:
        - {name: web, address: %s, serviceAccount: web-sa, labels: {app: web}}
        - {name: api, address: %s, serviceAccount: api-sa, labels: {app: api}}
        - {name: other, address: %s, serviceAccount: other-sa, labels: {app: other}}
        services:
        - name: api
          ports:
          - {name: http, port: 8080, targetPort: %d, protocol: HTTP}
          - {name: grpc, port: 9090, targetPort: %d, protocol: GRPC}
          selector: {app: api}
        """.formatted(WEB, API, OTHER, appPort, grpcPort));
    mtlsMode("STRICT");
    mesh.startControlPlane(0);
    mesh.sidecar("web", identity("web-sa", "web-token-0123456789abcdef"));
    mesh.sidecar("api", identity("api-sa", "api-token-0123456789abcdef"));
    mesh.sidecar("other", identity("other-sa", "other-token-0123456789abcdef"));
    await().atMost(Duration.ofSeconds(60)).until(() -> mesh.sidecars.values().stream().allMatch(Sidecar::ready));
  }

  @AfterEach
  void stop() throws Exception {
    try {
      mesh.close();
    } finally {
      ca.close();
      scheduler.shutdownNow();
    }
  }

  /** The workload certificate from the control plane's CA, as {@code weft proxy --identity ...} gets it. */
  private IdentitySecrets identity(String serviceAccount, String token) throws Exception {
    CaClient client = mesh.closeLater(new CaClient(CaClient.Config.of(ca.address(), roots,
            CaServerCheck.spiffeId(CaServer.controlPlaneIdentity(TD)), mesh.dir.resolve(serviceAccount + ".token"))
        .withTimeouts(Duration.ofSeconds(3), Duration.ofSeconds(5))));
    java.nio.file.Files.writeString(mesh.dir.resolve(serviceAccount + ".token"), token + "\n");
    WorkloadIdentity workload = mesh.closeLater(WorkloadIdentity.builder(
        SpiffeId.forWorkload(TD, "default", serviceAccount), client, scheduler).requestedTtl(Duration.ofHours(1)).build());
    workload.start().get(10, TimeUnit.SECONDS);
    return new IdentitySecrets(workload, client, roots);
  }

  private void mtlsMode(String mode) throws IOException {
    mesh.write("policies/mtls.yaml", """
        apiVersion: weft.dev/v1alpha1
        kind: MTLSPolicy
        metadata: {name: default}
        spec: {mode: %s}
        """.formatted(mode));
  }

  /** A request through {@code from}'s sidecar to api's HTTP port; returns status line and body. */
  private static String viaSidecar(String from, MeshFixture mesh) throws IOException {
    return statusAndBody(MeshFixture.exchange(from, mesh.outboundPort, API_HTTP, "/"));
  }

  private static String statusAndBody(String response) {
    if (response.isEmpty()) {
      return "<closed>";
    }
    return response.substring(0, response.indexOf("\r\n")) + " | " + response.substring(response.indexOf("\r\n\r\n") + 4);
  }

  @Test
  void strictMtlsCarriesWebsIdentityToTheApp() throws Exception {
    await().atMost(Duration.ofSeconds(20)).ignoreExceptions()
        .until(() -> viaSidecar(WEB, mesh).startsWith("HTTP/1.1 200 "));
    String r = viaSidecar(WEB, mesh);
    assertThat(r).startsWith("HTTP/1.1 200 ").contains("| HTTP/1.1 ").contains(";URI=" + WEB_ID)
        .contains("By=spiffe://cluster.local/ns/default/sa/api-sa");
    // A caller cannot claim another identity: the server sidecar replaces any header it sends.
    String forged = statusAndBody(MeshFixture.exchange(OTHER, mesh.outboundPort, API_HTTP, "/",
        "x-forwarded-client-cert: URI=" + WEB_ID + "\r\n"));
    assertThat(forged).startsWith("HTTP/1.1 200 ").contains("URI=spiffe://cluster.local/ns/default/sa/other-sa")
        .doesNotContain(WEB_ID);
    // The other workload's calls carry its own identity, not web's.
    assertThat(viaSidecar(OTHER, mesh)).startsWith("HTTP/1.1 200 ")
        .contains(";URI=spiffe://cluster.local/ns/default/sa/other-sa").doesNotContain(WEB_ID);
  }

  @Test
  void anAuthorizationPolicyOnWebsIdentityAdmitsWebAndRefusesOther() throws Exception {
    mesh.write("policies/authz.yaml", """
        apiVersion: weft.dev/v1alpha1
        kind: AuthorizationPolicy
        metadata: {name: api-from-web}
        spec:
          selector: {matchLabels: {app: api}}
          action: ALLOW
          rules:
          - from: [{principals: ["%s"]}]
        """.formatted(WEB_ID));
    await().atMost(Duration.ofSeconds(20)).ignoreExceptions()
        .until(() -> viaSidecar(OTHER, mesh).startsWith("HTTP/1.1 403 "));
    assertThat(viaSidecar(WEB, mesh)).startsWith("HTTP/1.1 200 ").contains(";URI=" + WEB_ID);
  }

  @Test
  void grpcOverHttp2CrossesTheMtlsHop() throws Exception {
    ManagedChannel channel = ManagedChannelBuilder.forAddress(WEB, mesh.outboundPort)
        .overrideAuthority("api.default.svc.cluster.local:9090").usePlaintext().build();
    try {
      String caller = await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(
          () -> ClientCalls.blockingUnaryCall(channel, WHO, CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS), "?"),
          s -> s != null);
      assertThat(caller).contains(";URI=" + WEB_ID).contains("By=spiffe://cluster.local/ns/default/sa/api-sa");
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void anHttp2CallToTheHttpPortCrossesTheMtlsHopAsHttp2() throws Exception {
    // The cluster keeps the caller's protocol (use_downstream_protocol_config), so this h2c request
    // crosses the mTLS hop on an h2 connection (ALPN h2) while HTTP/1.1 calls use http/1.1 ones;
    // the api sidecar forwards both to its HTTP/1.1 app.
    assertThat(mesh.sidecars.get("web").clusters().get("outbound|8080||api.default.svc.cluster.local").config()
        .protocol()).hasToString("DOWNSTREAM");
    await().atMost(Duration.ofSeconds(20)).ignoreExceptions()
        .until(() -> viaSidecar(WEB, mesh).startsWith("HTTP/1.1 200 "));
    double before = mesh.sidecars.get("api").metrics().listener("inbound").totalConnections.count();
    String r = h2cGet(WEB, mesh.outboundPort, API_HTTP);
    assertThat(r).startsWith("200 | HTTP/1.1 ").contains(";URI=" + WEB_ID);
    assertThat(h2cGet(WEB, mesh.outboundPort, API_HTTP)).startsWith("200 | ");
    assertThat(mesh.sidecars.get("api").metrics().listener("inbound").totalConnections.count() - before)
        .as("the two h2c calls shared one new (HTTP/2) connection to api's sidecar").isEqualTo(1.0);
    assertThat(viaSidecar(WEB, mesh)).startsWith("HTTP/1.1 200 ").contains(";URI=" + WEB_ID);
  }

  /** One GET over cleartext HTTP/2 with prior knowledge; returns "status | body". */
  private static String h2cGet(String address, int port, String authority) throws Exception {
    io.netty.channel.EventLoopGroup group = new io.netty.channel.MultiThreadIoEventLoopGroup(1,
        io.netty.channel.nio.NioIoHandler.newFactory());
    try {
      java.util.concurrent.CompletableFuture<String> result = new java.util.concurrent.CompletableFuture<>();
      io.netty.channel.Channel ch = new io.netty.bootstrap.Bootstrap().group(group)
          .channel(io.netty.channel.socket.nio.NioSocketChannel.class)
          .handler(new io.netty.channel.ChannelInitializer<>() {
            @Override
            protected void initChannel(io.netty.channel.Channel c) {
              c.pipeline().addLast(io.netty.handler.codec.http2.Http2FrameCodecBuilder.forClient().build(),
                  new io.netty.handler.codec.http2.Http2MultiplexHandler(new io.netty.channel.ChannelInboundHandlerAdapter()));
            }
          }).connect(address, port).sync().channel();
      io.netty.handler.codec.http2.Http2StreamChannel stream = new io.netty.handler.codec.http2.Http2StreamChannelBootstrap(ch)
          .handler(new io.netty.channel.ChannelInboundHandlerAdapter() {
            private String status = "?";
            private final StringBuilder body = new StringBuilder();

            @Override
            public void channelRead(io.netty.channel.ChannelHandlerContext ctx, Object msg) {
              try {
                boolean end = false;
                if (msg instanceof io.netty.handler.codec.http2.Http2HeadersFrame h) {
                  if (h.headers().status() != null) {
                    status = h.headers().status().toString();
                  }
                  end = h.isEndStream();
                } else if (msg instanceof io.netty.handler.codec.http2.Http2DataFrame d) {
                  body.append(d.content().toString(StandardCharsets.UTF_8));
                  end = d.isEndStream();
                } else if (msg instanceof io.netty.handler.codec.http2.Http2ResetFrame rst) {
                  result.completeExceptionally(new IOException("stream reset: " + rst.errorCode()));
                }
                if (end) {
                  result.complete(status + " | " + body);
                }
              } finally {
                io.netty.util.ReferenceCountUtil.release(msg);
              }
            }

            @Override
            public void channelInactive(io.netty.channel.ChannelHandlerContext ctx) {
              result.completeExceptionally(new IOException("stream closed before the response ended"));
            }
          }).open().sync().getNow();
      stream.writeAndFlush(new io.netty.handler.codec.http2.DefaultHttp2HeadersFrame(
          new io.netty.handler.codec.http2.DefaultHttp2Headers().method("GET").scheme("http").authority(authority)
              .path("/"), true));
      try {
        return result.get(5, TimeUnit.SECONDS);
      } finally {
        ch.close().sync();
      }
    } finally {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }
  }

  @Test
  void plaintextIsRefusedUnderStrictAndAcceptedOnceThePolicySaysPermissive() throws Exception {
    await().atMost(Duration.ofSeconds(20)).ignoreExceptions()
        .until(() -> viaSidecar(WEB, mesh).startsWith("HTTP/1.1 200 "));
    assertThat(plaintextToApi()).as("a plaintext request straight to api's STRICT inbound listener")
        .doesNotStartWith("HTTP/");

    mtlsMode("PERMISSIVE");
    await().atMost(Duration.ofSeconds(20)).until(() -> plaintextToApi().startsWith("HTTP/1.1 200 "));
    assertThat(plaintextToApi()).contains("| HTTP/1.1 no-client-cert");
    assertThat(viaSidecar(WEB, mesh)).startsWith("HTTP/1.1 200 ").contains(";URI=" + WEB_ID);

    mtlsMode("STRICT");
    await().atMost(Duration.ofSeconds(20)).until(() -> !plaintextToApi().startsWith("HTTP/"));
    assertThat(viaSidecar(WEB, mesh)).startsWith("HTTP/1.1 200 ").contains(";URI=" + WEB_ID);
  }

  /** A plaintext HTTP/1.1 request from the other workload's address straight to api's inbound port. */
  private String plaintextToApi() {
    try {
      return statusAndBody(MeshFixture.exchange(API, mesh.inboundPort, API_HTTP, "/"));
    } catch (IOException e) {
      return "<" + e.getClass().getSimpleName() + ": " + e.getMessage() + ">";
    }
  }

  private static final class Utf8 implements MethodDescriptor.Marshaller<String> {
    @Override
    public InputStream stream(String value) {
      return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String parse(InputStream stream) {
      try {
        return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
