package dev.weft.proxy.identity;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.weft.certs.CertificateChain;
import dev.weft.certs.CertificateSigner;
import dev.weft.certs.Pem;
import dev.weft.certs.PeerRole;
import dev.weft.certs.PeerVerificationException;
import dev.weft.certs.SpiffeId;
import dev.weft.certs.TrustBundle;
import dev.weft.certs.ca.v1.CreateCertificateRequest;
import dev.weft.certs.ca.v1.CreateCertificateResponse;
import dev.weft.proxy.grpc.GrpcFrames;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.codec.http2.Http2StreamFrame;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.X509ExtendedTrustManager;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sidecar's client of the control plane's CA service: a {@link CertificateSigner} that sends
 * {@code weft.ca.v1.CertificateService/CreateCertificate} over one reused HTTP/2 TLS connection,
 * without grpc-java, to keep the sidecar small.
 *
 * <pre>{@code
 * CaClient ca = new CaClient(CaClient.Config.of(
 *     new InetSocketAddress("127.0.0.1", 15012),
 *     TrustBundle.fromPem(td, Files.readString(rootCertPem)),
 *     CaServerCheck.spiffeId(SpiffeId.forWorkload(td, "weft-system", "weft-control-plane")),
 *     Path.of("/var/run/secrets/tokens/weft-ca-token")));
 * WorkloadIdentity identity = WorkloadIdentity.builder(myId, ca, scheduler).build();
 * }</pre>
 *
 * <p><b>Wire.</b> TLS (OpenSSL through netty-tcnative when available, else the JDK provider) with
 * ALPN {@code h2}. The server's chain must verify against the trust bundle for serverAuth, then
 * pass the {@link CaServerCheck}. Each call opens a stream with {@code content-type:
 * application/grpc}, {@code te: trailers}, {@code grpc-timeout} and {@code authorization: Bearer
 * <token>}, the token read from the token file on every call (projected tokens are rotated by the
 * kubelet), and a single length-prefixed protobuf message. The outcome is the {@code grpc-status}
 * of the trailers.
 *
 * <p><b>Failures.</b> Every failure completes the future with a {@link CaClientException} naming
 * the gRPC status and message; a local failure (connect, TLS, timeout, malformed answer) stands as
 * {@code UNAVAILABLE}, {@code DEADLINE_EXCEEDED} or {@code INTERNAL}. Connection-level failures close
 * the connection, and the next call connects again; retry timing is the caller's (for example
 * {@link dev.weft.certs.WorkloadIdentity}'s backoff).
 */
public final class CaClient implements CertificateSigner, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(CaClient.class);

  /** The request path of CreateCertificate. */
  public static final String PATH = "/weft.ca.v1.CertificateService/CreateCertificate";

  /**
   * Client settings.
   *
   * @param address the CA service's address
   * @param trustBundle roots the server's certificate must chain to
   * @param serverCheck what the server's certificate must name
   * @param tokenFile file holding the bearer token, read on every call
   * @param connectTimeout bound on TCP connect plus TLS handshake
   * @param requestTimeout bound on one call, sent as {@code grpc-timeout} too
   * @param maxResponseBytes largest response message accepted
   * @param preferOpenSsl use netty-tcnative's OpenSSL when it loads; false forces the JDK provider
   */
  public record Config(InetSocketAddress address, TrustBundle trustBundle, CaServerCheck serverCheck, Path tokenFile,
      Duration connectTimeout, Duration requestTimeout, int maxResponseBytes, boolean preferOpenSsl) {

    /** Default connect (plus handshake) timeout: 5 seconds. */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    /** Default per-call timeout: 10 seconds. */
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);
    /** Default largest response: 1 MiB. */
    public static final int DEFAULT_MAX_RESPONSE_BYTES = 1 << 20;

    /**
     * Validates the settings.
     *
     * @throws IllegalArgumentException naming the setting out of range
     */
    public Config {
      Objects.requireNonNull(address, "address");
      Objects.requireNonNull(trustBundle, "trustBundle");
      Objects.requireNonNull(serverCheck, "serverCheck");
      Objects.requireNonNull(tokenFile, "tokenFile");
      positive("connectTimeout", connectTimeout);
      positive("requestTimeout", requestTimeout);
      if (maxResponseBytes < 1024) {
        throw new IllegalArgumentException("maxResponseBytes: " + maxResponseBytes + " (expected: >= 1024)");
      }
      if (trustBundle.allRoots().isEmpty()) {
        throw new IllegalArgumentException("trustBundle is empty (expected: the CA's root certificates)");
      }
    }

    /** Settings with the default timeouts and limits, preferring OpenSSL. */
    public static Config of(InetSocketAddress address, TrustBundle trustBundle, CaServerCheck serverCheck, Path tokenFile) {
      return new Config(address, trustBundle, serverCheck, tokenFile, DEFAULT_CONNECT_TIMEOUT, DEFAULT_REQUEST_TIMEOUT,
          DEFAULT_MAX_RESPONSE_BYTES, true);
    }

    /** Returns a copy with other timeouts. */
    public Config withTimeouts(Duration connect, Duration request) {
      return new Config(address, trustBundle, serverCheck, tokenFile, connect, request, maxResponseBytes, preferOpenSsl);
    }

    /** Returns a copy that uses OpenSSL ({@code true}, when available) or the JDK provider. */
    public Config withOpenSsl(boolean prefer) {
      return new Config(address, trustBundle, serverCheck, tokenFile, connectTimeout, requestTimeout, maxResponseBytes,
          prefer);
    }

    private static void positive(String name, Duration value) {
      Objects.requireNonNull(value, name);
      if (value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException(name + ": " + value + " (expected: > 0)");
      }
    }
  }

  private final Config config;
  private final EventLoopGroup group;
  private final boolean ownsGroup;
  private final SslProvider provider;
  private final SslContext sslContext;
  private final Object lock = new Object();
  private CompletableFuture<Channel> connection;
  private volatile List<X509Certificate> lastTrustBundle;
  private volatile boolean closed;

  /** Creates a client with its own single event loop thread. */
  public CaClient(Config config) {
    this(config, new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("weft-ca-client", true),
        NioIoHandler.newFactory()), true);
  }

  /**
   * Creates a client on a shared NIO event loop group, which the caller owns.
   *
   * @param config the settings
   * @param group the event loops the connection runs on; must support NIO channels
   */
  public CaClient(Config config, EventLoopGroup group) {
    this(config, group, false);
  }

  private CaClient(Config config, EventLoopGroup group, boolean ownsGroup) {
    this.config = Objects.requireNonNull(config, "config");
    this.group = Objects.requireNonNull(group, "group");
    this.ownsGroup = ownsGroup;
    this.provider = config.preferOpenSsl() && OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
    try {
      this.sslContext = SslContextBuilder.forClient()
          .sslProvider(provider)
          .trustManager(new ServerVerifier(config.trustBundle(), config.serverCheck()))
          .protocols("TLSv1.3", "TLSv1.2")
          .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
              ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
              ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, ApplicationProtocolNames.HTTP_2))
          .build();
    } catch (SSLException e) {
      if (ownsGroup) {
        group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
      }
      throw new IllegalStateException("cannot build the CA client TLS context: " + e.getMessage(), e);
    }
  }

  /** Returns the TLS provider in use: {@code OPENSSL} or {@code JDK}. */
  public String tlsProvider() {
    return provider.name();
  }

  /** Returns the trust bundle the CA sent with its last successful answer, if any. */
  public Optional<List<X509Certificate>> lastTrustBundle() {
    return Optional.ofNullable(lastTrustBundle);
  }

  @Override
  public CompletableFuture<CertificateChain> sign(PKCS10CertificationRequest csr, Duration requestedTtl) {
    Objects.requireNonNull(csr, "csr");
    Objects.requireNonNull(requestedTtl, "requestedTtl");
    if (closed) {
      return CompletableFuture.failedFuture(new CaClientException(CaClientException.UNAVAILABLE, "CA client is closed", null));
    }
    String token;
    try {
      token = Files.readString(config.tokenFile(), StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      return CompletableFuture.failedFuture(new CaClientException(CaClientException.UNAUTHENTICATED,
          "cannot read token file " + config.tokenFile() + ": " + e, e));
    }
    if (token.isEmpty()) {
      return CompletableFuture.failedFuture(new CaClientException(CaClientException.UNAUTHENTICATED,
          "token file " + config.tokenFile() + " is empty (expected: a bearer token)", null));
    }
    byte[] message = CreateCertificateRequest.newBuilder()
        .setCsr(Pem.writeCsr(csr))
        .setValidity(com.google.protobuf.Duration.newBuilder()
            .setSeconds(requestedTtl.getSeconds()).setNanos(requestedTtl.getNano()))
        .build()
        .toByteArray();
    CompletableFuture<CertificateChain> result = new CompletableFuture<>();
    call(token, message, result, true);
    return result;
  }

  /** Closes the connection and, if the client created it, its event loop. */
  @Override
  public void close() {
    closed = true;
    CompletableFuture<Channel> current;
    synchronized (lock) {
      current = connection;
      connection = null;
    }
    if (current != null) {
      current.thenAccept(Channel::close);
    }
    if (ownsGroup) {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
  }

  @Override
  public String toString() {
    return "CaClient[address=" + config.address() + ", check=" + config.serverCheck() + ", tokenFile="
        + config.tokenFile() + "]";
  }

  private void call(String token, byte[] message, CompletableFuture<CertificateChain> result, boolean mayReconnect) {
    CompletableFuture<Channel> connecting = connection();
    connecting.whenComplete((channel, error) -> {
      if (error != null) {
        result.completeExceptionally(asCaFailure(error));
        return;
      }
      new Http2StreamChannelBootstrap(channel)
          .handler(new ChannelInitializer<Http2StreamChannel>() {
            @Override
            protected void initChannel(Http2StreamChannel stream) {
              stream.pipeline().addLast(new ResponseHandler(result));
            }
          })
          .open()
          .addListener(opened -> {
            if (!opened.isSuccess()) {
              // The connection went away (GOAWAY, reset) since it was last used: one fresh attempt.
              dropConnection(connecting);
              if (mayReconnect && !closed) {
                call(token, message, result, false);
              } else {
                result.completeExceptionally(new CaClientException(CaClientException.UNAVAILABLE,
                    "cannot open a stream to " + config.address() + ": " + opened.cause(), opened.cause()));
              }
              return;
            }
            send((Http2StreamChannel) opened.getNow(), token, message, result);
          });
    });
  }

  private void send(Http2StreamChannel stream, String token, byte[] message, CompletableFuture<CertificateChain> result) {
    long timeoutMillis = config.requestTimeout().toMillis();
    ScheduledFuture<?> timeout = stream.eventLoop().schedule(() -> {
      if (result.completeExceptionally(new CaClientException(CaClientException.DEADLINE_EXCEEDED,
          "no answer from " + config.address() + " within " + config.requestTimeout(), null))) {
        stream.close();
      }
    }, timeoutMillis, TimeUnit.MILLISECONDS);
    result.whenComplete((chain, error) -> timeout.cancel(false));

    InetSocketAddress address = config.address();
    Http2Headers headers = new DefaultHttp2Headers()
        .method("POST")
        .scheme("https")
        .path(PATH)
        .authority(address.getHostString() + ":" + address.getPort())
        .set("content-type", "application/grpc")
        .set("te", "trailers")
        .set("grpc-timeout", timeoutMillis + "m")
        .set("user-agent", "weft-proxy-ca-client")
        .set("authorization", "Bearer " + token);
    ByteBuf body = GrpcFrames.frame(message);
    stream.write(new DefaultHttp2HeadersFrame(headers, false));
    stream.writeAndFlush(new DefaultHttp2DataFrame(body, true)).addListener(written -> {
      if (!written.isSuccess()) {
        result.completeExceptionally(new CaClientException(CaClientException.UNAVAILABLE,
            "cannot send the request to " + address + ": " + written.cause(), written.cause()));
        stream.close();
      }
    });
  }

  private CompletableFuture<Channel> connection() {
    synchronized (lock) {
      CompletableFuture<Channel> current = connection;
      if (current != null && (!current.isDone() || (!current.isCompletedExceptionally() && current.join().isActive()))) {
        return current;
      }
      CompletableFuture<Channel> fresh = connect();
      connection = fresh;
      fresh.whenComplete((channel, error) -> {
        if (error != null) {
          dropConnection(fresh);
        } else {
          channel.closeFuture().addListener(closedFuture -> dropConnection(fresh));
        }
      });
      return fresh;
    }
  }

  private void dropConnection(CompletableFuture<Channel> stale) {
    synchronized (lock) {
      if (connection == stale) {
        connection = null;
      }
    }
    if (stale.isDone() && !stale.isCompletedExceptionally()) {
      stale.join().close();
    }
  }

  private CompletableFuture<Channel> connect() {
    CompletableFuture<Channel> ready = new CompletableFuture<>();
    InetSocketAddress address = config.address();
    long connectMillis = config.connectTimeout().toMillis();
    Bootstrap bootstrap = new Bootstrap()
        .group(group)
        .channel(NioSocketChannel.class)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, connectMillis))
        .option(ChannelOption.TCP_NODELAY, true)
        .handler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel channel) {
            SslHandler tls = sslContext.newHandler(channel.alloc(), address.getHostString(), address.getPort());
            tls.setHandshakeTimeoutMillis(connectMillis);
            channel.pipeline().addLast(tls, new HandshakeWatcher(tls, ready));
          }
        });
    ChannelFuture connected = bootstrap.connect(address);
    connected.addListener(future -> {
      if (!future.isSuccess()) {
        ready.completeExceptionally(new CaClientException(CaClientException.UNAVAILABLE,
            "cannot connect to CA at " + address + ": " + future.cause(), future.cause()));
      }
    });
    return ready;
  }

  private static CaClientException asCaFailure(Throwable error) {
    Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
        ? error.getCause() : error;
    return cause instanceof CaClientException ca ? ca
        : new CaClientException(CaClientException.UNAVAILABLE, cause.toString(), cause);
  }

  /**
   * Completes the connection future once TLS is up with ALPN h2, then installs the HTTP/2 codec;
   * fails it on a handshake error or an early close.
   */
  private final class HandshakeWatcher extends ChannelInboundHandlerAdapter {
    private final SslHandler tls;
    private final CompletableFuture<Channel> ready;

    HandshakeWatcher(SslHandler tls, CompletableFuture<Channel> ready) {
      this.tls = tls;
      this.ready = ready;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
      if (event instanceof SslHandshakeCompletionEvent done) {
        if (!done.isSuccess()) {
          ready.completeExceptionally(new CaClientException(CaClientException.UNAVAILABLE,
              "TLS handshake with CA at " + config.address() + " failed: " + rootMessage(done.cause()), done.cause()));
          ctx.close();
          return;
        }
        String protocol = tls.applicationProtocol();
        if (!ApplicationProtocolNames.HTTP_2.equals(protocol)) {
          ready.completeExceptionally(new CaClientException(CaClientException.UNAVAILABLE,
              "CA at " + config.address() + " negotiated ALPN " + protocol + " (expected: h2)", null));
          ctx.close();
          return;
        }
        ctx.pipeline().addLast(Http2FrameCodecBuilder.forClient().build(),
            new Http2MultiplexHandler(new SimpleChannelInboundHandler<Object>() {
              @Override
              protected void channelRead0(ChannelHandlerContext pushCtx, Object msg) {
                // The CA never pushes; a pushed stream is ignored and closed.
                pushCtx.close();
              }
            }));
        ctx.pipeline().remove(this);
        ready.complete(ctx.channel());
        return;
      }
      super.userEventTriggered(ctx, event);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
      ready.completeExceptionally(new CaClientException(CaClientException.UNAVAILABLE,
          "CA at " + config.address() + " closed the connection during the TLS handshake", null));
      super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ready.completeExceptionally(new CaClientException(CaClientException.UNAVAILABLE,
          "connection to CA at " + config.address() + " failed: " + rootMessage(cause), cause));
      ctx.close();
    }
  }

  /** Reads one call's response headers, message and trailers on its stream channel. */
  private final class ResponseHandler extends SimpleChannelInboundHandler<Http2StreamFrame> {
    private final CompletableFuture<CertificateChain> result;
    private final ByteArrayOutputStream body = new ByteArrayOutputStream();
    private boolean headersSeen;
    private String httpStatus;

    ResponseHandler(CompletableFuture<CertificateChain> result) {
      this.result = result;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Http2StreamFrame frame) {
      if (result.isDone()) {
        return;
      }
      switch (frame) {
        case Http2HeadersFrame headers -> onHeaders(ctx, headers);
        case Http2DataFrame data -> {
          if (body.size() + data.content().readableBytes() > config.maxResponseBytes() + 5) {
            fail(ctx, CaClientException.RESOURCE_EXHAUSTED, "CA response exceeds " + config.maxResponseBytes() + " bytes");
            return;
          }
          body.writeBytes(ByteBufUtil.getBytes(data.content()));
          if (data.isEndStream()) {
            fail(ctx, CaClientException.INTERNAL, "CA ended the stream without trailers (HTTP status " + httpStatus + ")");
          }
        }
        case Http2ResetFrame reset -> fail(ctx, CaClientException.UNAVAILABLE,
            "CA reset the stream (HTTP/2 error " + reset.errorCode() + ")");
        default -> { }
      }
    }

    private void onHeaders(ChannelHandlerContext ctx, Http2HeadersFrame frame) {
      Http2Headers headers = frame.headers();
      if (!headersSeen) {
        headersSeen = true;
        httpStatus = headers.status() == null ? null : headers.status().toString();
        if (!"200".equals(httpStatus)) {
          fail(ctx, httpStatusToGrpc(httpStatus), "CA answered HTTP status " + httpStatus + " (expected: 200)");
          return;
        }
        if (!frame.isEndStream()) {
          return;
        }
        // Trailers-only response: the status is in these headers.
      }
      CharSequence status = headers.get("grpc-status");
      if (status == null) {
        fail(ctx, CaClientException.INTERNAL, "CA trailers carry no grpc-status");
        return;
      }
      int code;
      try {
        code = Integer.parseInt(status.toString());
      } catch (NumberFormatException e) {
        fail(ctx, CaClientException.INTERNAL, "CA sent grpc-status \"" + status + "\" (expected: a number)");
        return;
      }
      if (code != 0) {
        CharSequence message = headers.get("grpc-message");
        fail(ctx, code, message == null ? "" : percentDecode(message.toString()));
        return;
      }
      try {
        CertificateChain chain = decode(body.toByteArray());
        result.complete(chain);
      } catch (CaClientException e) {
        result.completeExceptionally(e);
      }
      ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
      result.completeExceptionally(new CaClientException(CaClientException.UNAVAILABLE,
          "stream to CA at " + config.address() + " closed before the call finished", null));
      super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      fail(ctx, CaClientException.UNAVAILABLE, "stream to CA failed: " + rootMessage(cause));
    }

    private void fail(ChannelHandlerContext ctx, int code, String message) {
      result.completeExceptionally(new CaClientException(code, message, null));
      ctx.close();
    }
  }

  private CertificateChain decode(byte[] framed) {
    if (framed.length < 5) {
      throw new CaClientException(CaClientException.INTERNAL, "CA answered OK with " + framed.length
          + " body bytes (expected: a 5-byte prefix and a message)", null);
    }
    if (framed[0] != 0) {
      throw new CaClientException(CaClientException.INTERNAL, "CA answered with a compressed message (flag "
          + framed[0] + "; expected: 0, no compression was offered)", null);
    }
    int length = ((framed[1] & 0xff) << 24) | ((framed[2] & 0xff) << 16) | ((framed[3] & 0xff) << 8) | (framed[4] & 0xff);
    if (length != framed.length - 5) {
      throw new CaClientException(CaClientException.INTERNAL, "CA message prefix says " + length + " bytes but "
          + (framed.length - 5) + " arrived (expected: exactly one message)", null);
    }
    CreateCertificateResponse response;
    try {
      response = CreateCertificateResponse.parseFrom(java.nio.ByteBuffer.wrap(framed, 5, length));
    } catch (InvalidProtocolBufferException e) {
      throw new CaClientException(CaClientException.INTERNAL, "CA response is not a CreateCertificateResponse: "
          + e.getMessage(), e);
    }
    if (response.getCertChainCount() == 0) {
      throw new CaClientException(CaClientException.INTERNAL, "CA response has an empty cert_chain", null);
    }
    try {
      CertificateChain chain = CertificateChain.fromPem(String.join("\n", response.getCertChainList()));
      if (response.getTrustBundleCount() > 0) {
        lastTrustBundle = Pem.readCertificates(String.join("\n", response.getTrustBundleList()));
      }
      return chain;
    } catch (IllegalArgumentException e) {
      throw new CaClientException(CaClientException.INTERNAL, "CA response holds unreadable PEM: " + e.getMessage(), e);
    }
  }

  private static int httpStatusToGrpc(String status) {
    return GrpcFrames.statusFromHttp(status);
  }

  static String percentDecode(String message) {
    return GrpcFrames.decodeMessage(message);
  }

  private static String rootMessage(Throwable error) {
    return GrpcFrames.rootMessage(error);
  }

  /**
   * Trusts the CA server when its chain verifies against the bundle for serverAuth and its leaf
   * passes the {@link CaServerCheck}. Client checks are not supported: this is a client only.
   */
  static final class ServerVerifier extends X509ExtendedTrustManager {
    private final TrustBundle bundle;
    private final CaServerCheck check;
    private final Clock clock = Clock.systemUTC();

    ServerVerifier(TrustBundle bundle, CaServerCheck check) {
      this.bundle = bundle;
      this.check = check;
    }

    void verify(X509Certificate[] chain) throws CertificateException {
      if (chain == null || chain.length == 0) {
        throw new PeerVerificationException("CA server presented no certificate");
      }
      SpiffeId id = bundle.verify(List.of(chain), PeerRole.SERVER, clock);
      String problem = check.problemWith(chain[0], id);
      if (problem != null) {
        throw new PeerVerificationException(problem);
      }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
      verify(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
      verify(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      verify(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
      throw new CertificateException("the CA client does not accept TLS clients");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
      throw new CertificateException("the CA client does not accept TLS clients");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      throw new CertificateException("the CA client does not accept TLS clients");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return bundle.allRoots().toArray(X509Certificate[]::new);
    }
  }
}
