package dev.weft.proxy.http;

import dev.weft.proxy.config.HttpConnectionManagerConfig;
import dev.weft.proxy.config.RbacConfig;
import dev.weft.proxy.config.RetryBudgetConfig;
import dev.weft.proxy.config.RetryPolicy;
import dev.weft.proxy.config.Route;
import dev.weft.proxy.config.RouteAction;
import dev.weft.proxy.config.RouteMatch;
import dev.weft.proxy.config.RouteTable;
import dev.weft.proxy.config.VirtualHost;
import dev.weft.proxy.metrics.RetryStats;
import dev.weft.proxy.rbac.HttpRbacRequest;
import dev.weft.proxy.retry.BackOff;
import dev.weft.proxy.retry.RetryConditions;
import dev.weft.proxy.retry.RetryLbContext;
import dev.weft.proxy.retry.RetryRefusal;
import dev.weft.proxy.route.Router;
import dev.weft.proxy.tcp.TcpRelay;
import dev.weft.proxy.tls.PeerIdentity;
import dev.weft.proxy.upstream.ClusterRuntime;
import dev.weft.proxy.upstream.EndpointState;
import dev.weft.proxy.upstream.LeaseCallback;
import dev.weft.proxy.upstream.UpstreamLease;
import dev.weft.proxy.upstream.UpstreamListener;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The router: the last handler of a downstream HTTP pipeline. It sits after the HTTP/1.1 server
 * codec on a connection, or after {@code Http2StreamFrameToHttpObjectCodec} on each HTTP/2
 * stream, so it sees requests as {@code HttpObject}s either way.
 *
 * <p>Per request it normalizes the path, runs RBAC, matches a route, runs the fault filter (a
 * delay is scheduled on this event loop), leases an upstream connection or stream from the
 * cluster's pool on this event loop, and streams the request and response through.
 * Backpressure: when one side's channel is not writable, the other side stops reading. Errors
 * become responses only through {@link ProxyError} and {@link LocalReplies}.
 *
 * <p>Retries: with a route retry policy, the request's head and body chunks are also kept
 * (retained, up to the policy's buffer limit) while they stream to the first attempt. An attempt
 * that fails before its response starts downstream (connect failure, reset, per-try timeout, or a
 * status or gRPC status {@code retry_on} matches) is dropped and, when the replay is safe and the
 * cluster grants a retry slot, the request is sent again after a jittered back-off scheduled on
 * this loop, avoiding hosts already tried. Once the response starts, the kept copies are released.
 *
 * <p>Timeouts share one scheduled check per request at the earliest deadline: the route timeout
 * (from the end of the request, across all attempts), the per-try timeout, the stream idle
 * timeout and the max stream duration.
 *
 * <p>On HTTP/1.1 requests are served one at a time; pipelined requests wait in a small queue.
 */
public final class HttpProxyHandler extends ChannelInboundHandlerAdapter implements UpstreamListener {

  private static final AsciiString X_REQUEST_ID = AsciiString.cached("x-request-id");
  private static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("x-forwarded-proto");
  private static final AsciiString GRPC_TIMEOUT = AsciiString.cached("grpc-timeout");
  private static final AsciiString XFCC = AsciiString.cached("x-forwarded-client-cert");
  private static final AsciiString HTTP2_SETTINGS = AsciiString.cached("http2-settings");
  private static final AsciiString GRPC_STATUS = AsciiString.cached("grpc-status");
  private static final AsciiString ATTEMPT_COUNT = AsciiString.cached("x-envoy-attempt-count");
  /** How much earlier than ours an upstream's deadline may end (grpc-timeout is sent in whole ms). */
  private static final long DEADLINE_GRACE_NANOS = 1_000_000;
  /** Objects of pipelined requests held before reading stops. */
  private static final int MAX_PIPELINED = 64;

  /**
   * IDLE between requests; DELAYING while a fault delay runs; ACQUIRING while an attempt waits
   * for its lease; BACKOFF between attempts; PROXYING while an attempt holds a lease;
   * LOCAL_REPLY after the proxy answered itself (the rest of the request body is dropped).
   */
  private enum State { IDLE, DELAYING, ACQUIRING, BACKOFF, PROXYING, LOCAL_REPLY }

  private final HttpChainContext chain;
  private final HttpConnectionManagerConfig config;
  private final boolean http2;
  private ChannelHandlerContext ctx;

  // ---- the current exchange
  private State state = State.IDLE;
  private HttpRequest request;
  private ArrayDeque<HttpContent> pendingBody;
  private boolean requestComplete;
  /** The request may still send body bytes (false for an HTTP/1 request without a body). */
  private boolean requestBodyExpected;
  private boolean responseStarted;
  private boolean upstreamReusable;
  private boolean grpc;
  private boolean head;
  private boolean upgrade;
  private boolean expectContinue;
  private boolean keepAlive = true;
  private boolean closeAfterResponse;
  private boolean downstreamHttp10;
  private boolean flushUpstream;
  private int responseStatus;
  private long startNanos;
  private long timeoutNanos;
  private RouteTable table;
  private VirtualHost virtualHost;
  private Route route;
  private RouteAction.Forward forward;
  private RouteAction.WeightedTarget target;
  private ClusterRuntime cluster;
  private UpstreamLease lease;
  /** The path as routed (prefix rewrites apply to it). */
  private String requestPath;
  private FaultInjector.Decision fault;

  // ---- deadlines (System.nanoTime; 0: none) and the one scheduled check that enforces them
  private long routeDeadline;
  private long perTryDeadline;
  private long maxDurationDeadline;
  private long idleNanos;
  private long lastActivity;
  private ScheduledFuture<?> timer;
  private final Runnable onTimer = this::onTimer;
  private long timerAt;
  /** A fault delay or a retry back-off. */
  private ScheduledFuture<?> pendingAction;

  // ---- retries
  private RetryPolicy retry = RetryPolicy.NONE;
  /** The callback of the current attempt; leases for older attempts are given back. */
  private Attempt attempt;
  /** Attempts started for this request (1 for the first). */
  private int attempts;
  /** The head and body kept for replay ({@link #request} stays set while replayable). */
  private boolean replayable;
  private boolean bodyTooLarge;
  private long replayBytes;
  private ArrayDeque<HttpContent> replay;
  private RetryLbContext lbContext;
  private boolean holdsRetrySlot;
  /** The cluster's retry budget, read once per request (its slots go back to where they came from). */
  private RetryBudgetConfig retryBudget;
  private boolean countedInCluster;
  private boolean continueSent;
  /** The HTTP/2 error code of an upstream RST_STREAM on the current attempt, or -1. */
  private long resetCode = -1;
  private ArrayDeque<Object> pipelined;
  /** The write that completes the current response (HTTP/2 resets the stream after it). */
  private io.netty.channel.ChannelFuture lastWrite;
  /** A 101 from upstream, held until the codec's end-of-message that follows it. */
  private HttpResponse switchingResponse;
  /** The request's hash for the balancer (route hash policies), and any Set-Cookie it owes. */
  private final RequestHash hash = new RequestHash();

  public HttpProxyHandler(HttpChainContext chain, boolean http2) {
    this.chain = chain;
    this.config = chain.config();
    this.http2 = http2;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    stopTimer(); // an upgrade tunnel replaced this handler
  }

  // ------------------------------------------------------------------ downstream events

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (pipelined != null && !pipelined.isEmpty() || state != State.IDLE && msg instanceof HttpRequest) {
      queuePipelined(msg);
      return;
    }
    if (msg instanceof HttpRequest req) {
      startExchange(req);
    } else if (msg instanceof HttpContent content) {
      onRequestContent(content);
    } else {
      ReferenceCountUtil.release(msg);
    }
  }

  private void queuePipelined(Object msg) {
    if (pipelined == null) {
      pipelined = new ArrayDeque<>();
    }
    pipelined.add(msg);
    if (pipelined.size() >= MAX_PIPELINED) {
      ctx.channel().config().setAutoRead(false);
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    flushUpstreamIfPending();
    ctx.fireChannelReadComplete();
  }

  private void flushUpstreamIfPending() {
    if (flushUpstream) {
      flushUpstream = false;
      if (lease != null) {
        lease.channel().flush();
      }
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (ctx.channel().isWritable() && lease != null) {
      lease.channel().config().setAutoRead(true);
    }
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    abortExchange();
    stopTimer();
    if (pipelined != null) {
      pipelined.forEach(ReferenceCountUtil::release);
      pipelined.clear();
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt == DrainState.DRAIN_EVENT) {
      if (!http2) {
        if (state == State.IDLE) {
          ctx.close();
        } else {
          closeAfterResponse = true;
        }
      }
      return;
    }
    if (evt instanceof IdleStateEvent) {
      if (state == State.IDLE) {
        ctx.close();
      }
      return;
    }
    ctx.fireUserEventTriggered(evt);
  }

  // ------------------------------------------------------------------ request head

  private void startExchange(HttpRequest req) {
    resetExchange();
    startNanos = System.nanoTime();
    DecoderResult result = req.decoderResult();
    if (result.isFailure()) {
      ReferenceCountUtil.release(req);
      requestComplete = true;
      closeAfterResponse = true;
      Throwable cause = result.cause();
      localReply(cause instanceof TooLongHttpHeaderException ? ProxyError.HEADERS_TOO_LARGE
          : cause instanceof TooLongHttpLineException ? ProxyError.URI_TOO_LONG
          : cause instanceof TooLongFrameException ? ProxyError.HEADERS_TOO_LARGE
          : ProxyError.BAD_REQUEST);
      return;
    }
    request = req;
    requestComplete = req instanceof LastHttpContent;
    // An HTTP/1 request without Content-Length or Transfer-Encoding has no body (RFC 9112 6.3);
    // the codec still ends it with an empty LastHttpContent, so it is not complete yet.
    requestBodyExpected = !requestComplete && (http2 || HttpUtil.isTransferEncodingChunked(req)
        || !"0".equals(req.headers().get(HttpHeaderNames.CONTENT_LENGTH, "0").trim()));
    HttpHeaders h = req.headers();
    grpc = isGrpc(h);
    head = req.method() == HttpMethod.HEAD;
    expectContinue = HttpUtil.is100ContinueExpected(req);
    if (!http2) {
      keepAlive = HttpUtil.isKeepAlive(req);
      downstreamHttp10 = req.protocolVersion() == HttpVersion.HTTP_1_0;
      List<String> hosts = h.getAll(HttpHeaderNames.HOST);
      if (hosts.size() > 1 || hosts.isEmpty() && !downstreamHttp10) {
        closeAfterResponse = true;
        rejectRequest(ProxyError.BAD_REQUEST);
        return;
      }
    }
    if (h.size() > config.maxHeadersCount()) {
      closeAfterResponse = !http2;
      rejectRequest(ProxyError.HEADERS_TOO_LARGE);
      return;
    }
    if (!http2 && h.contains(HttpHeaderNames.UPGRADE)) {
      String type = h.get(HttpHeaderNames.UPGRADE).trim().toLowerCase(Locale.ROOT);
      if (type.equals("h2c")) {
        // Cleartext HTTP/2 upgrade is not offered; the request continues as HTTP/1.1 (as Envoy does).
        h.remove(HttpHeaderNames.UPGRADE);
        h.remove(HTTP2_SETTINGS);
      } else if (!config.upgradeTypes().contains(type)) {
        rejectRequest(ProxyError.UPGRADE_FAILED);
        return;
      } else {
        upgrade = true;
      }
    }

    // Normalize, then authorize, then route: all three see the path the upstream will receive.
    if (!(PathNormalizer.normalize(req.uri(), config.pathNormalization())
        instanceof PathNormalizer.Normalized normalized)) {
      rejectRequest(ProxyError.INVALID_PATH);
      return;
    }
    req.setUri(normalized.uri());
    String path = normalized.path();
    if (!config.rbac().isEmpty() && denied(new HttpRbacRequest(req, path, ctx.channel()))) {
      rejectRequest(ProxyError.RBAC_ACCESS_DENIED);
      return;
    }

    table = chain.routes().get();
    virtualHost = table.findVirtualHost(h.get(HttpHeaderNames.HOST), config.stripAnyHostPort());
    route = virtualHost == null ? null : Router.match(virtualHost, req, path, grpc);
    requestPath = path;
    startStreamTimeouts();
    if (chain.faults() != FaultInjector.NONE) {
      ThreadLocalRandom random = ThreadLocalRandom.current();
      fault = chain.faults().decide(req, virtualHost, route, random.nextLong(), random.nextLong());
      if (fault != null && fault.delay()) {
        state = State.DELAYING;
        ctx.channel().config().setAutoRead(false);
        pendingAction = ctx.executor().schedule(this::afterFaultDelay, fault.config().delay().toNanos(),
            TimeUnit.NANOSECONDS);
        return;
      }
    }
    routeRequest();
  }

  /** The stream idle timeout and max stream duration run from the request's headers. */
  private void startStreamTimeouts() {
    RouteAction.Forward fw = route != null && route.action() instanceof RouteAction.Forward f ? f : null;
    if (fw == null && route != null) {
      return; // a direct response is answered at once
    }
    Duration idle = fw != null && fw.idleTimeout() != null ? fw.idleTimeout() : config.streamIdleTimeout();
    Duration max = fw != null && fw.maxStreamDuration() != null ? fw.maxStreamDuration() : config.maxStreamDuration();
    idleNanos = idle.toNanos();
    lastActivity = startNanos;
    maxDurationDeadline = max.isZero() ? 0 : startNanos + max.toNanos();
    if (!requestComplete && fw != null) {
      armTimer(); // a complete request arms the timer once, with its route timeout
    }
  }

  private void afterFaultDelay() {
    pendingAction = null;
    if (state != State.DELAYING) {
      return;
    }
    state = State.IDLE;
    ctx.channel().config().setAutoRead(true);
    routeRequest();
  }

  /** After the fault filter: abort, answer directly, or forward to the route's cluster. */
  private void routeRequest() {
    HttpRequest req = request;
    if (fault != null && fault.abort()) {
      chain.faults().aborted();
      int status = fault.config().abortHttpStatus() > 0 ? fault.config().abortHttpStatus()
          : ProxyError.httpStatusOf(fault.config().abortGrpcStatus());
      int grpcStatus = fault.config().abortGrpcStatus() >= 0 ? fault.config().abortGrpcStatus()
          : ProxyError.grpcStatusOf(status);
      rejectRequest(ProxyError.FAULT_ABORT, status, grpcStatus);
      return;
    }
    if (route == null) {
      rejectRequest(ProxyError.ROUTE_NOT_FOUND);
      return;
    }
    if (route.action() instanceof RouteAction.DirectResponse direct) {
      directResponse(direct);
      return;
    }
    forward = (RouteAction.Forward) route.action();
    target = forward.pick(forward.totalWeight() <= 1 ? 0 : ThreadLocalRandom.current().nextInt(forward.totalWeight()));
    cluster = chain.clusters().get(target.cluster());
    if (cluster == null) {
      rejectRequest(ProxyError.CLUSTER_NOT_FOUND, forward.clusterNotFoundStatus());
      return;
    }
    prepareUpstreamRequest(req, forward, requestPath);
    timeoutNanos = timeoutNanos(forward, req.headers());
    retryBudget = cluster.config().retryBudget();
    if (retryBudget != null) {
      countedInCluster = true;
      cluster.requestStarted();
    }
    retry = forward.retryPolicy();
    if (retry.retries() && !upgrade) {
      startReplay(req);
    }
    if (lbContext != null || retry.avoidPreviousHosts()) {
      if (lbContext == null) {
        lbContext = new RetryLbContext();
      }
      lbContext.reset(retry.avoidPreviousHosts(), retry.hostSelectionRetryMaxAttempts());
    }
    Channel conn = http2 ? ctx.channel().parent() : ctx.channel(); // an HTTP/2 stream's connection
    hash.compute(forward.hashPolicies(), req, conn.remoteAddress(), conn.localAddress());
    if (lbContext != null && hash.hasHash()) {
      lbContext.hash(hash.hash());
    }
    if (requestBodyExpected && !requestComplete) {
      // Body bytes wait in the socket until there is an upstream to take them. A request without a
      // body keeps reading: what follows it is a pipelined request, queued (and bounded) apart,
      // and toggling reads costs two epoll_ctl calls per request.
      ctx.channel().config().setAutoRead(false);
    }
    if (requestComplete) {
      startTimeout();
    }
    startAttempt();
  }

  /** Keeps the request for replay while its body fits the policy's buffer limit. */
  private void startReplay(HttpRequest req) {
    replayBytes = req instanceof FullHttpRequest full ? full.content().readableBytes() : 0;
    if (replayBytes > retry.bufferLimitBytes()) {
      bodyTooLarge = true;
      return;
    }
    replayable = true;
    if (replay == null) {
      replay = new ArrayDeque<>();
    }
    if (pendingBody != null && !pendingBody.isEmpty()) {
      // Body read during a fault delay: it is part of what a retry replays.
      for (HttpContent c : pendingBody) {
        replayBytes += c.content().readableBytes();
      }
      if (replayBytes > retry.bufferLimitBytes()) {
        replayable = false;
        bodyTooLarge = true;
        return;
      }
      replay.addAll(pendingBody);
      pendingBody.clear();
    }
  }

  /** Starts an attempt: leases a connection or stream for it (the callback may run at once). */
  private void startAttempt() {
    state = State.ACQUIRING;
    attempts++;
    Attempt a = new Attempt();
    attempt = a;
    resetCode = -1;
    if (upgrade) {
      cluster.connectDedicated(ctx.channel().eventLoop(), hash, a);
    } else if (lbContext != null) {
      lbContext.newAttempt();
      cluster.acquire(ctx.channel().eventLoop(), http2, lbContext, a);
    } else {
      cluster.acquire(ctx.channel().eventLoop(), http2, hash, a);
    }
  }

  /** The lease callback of one attempt, so a lease that arrives after its attempt was given up is returned. */
  private final class Attempt implements LeaseCallback {
    @Override
    public void onLease(UpstreamLease lease) {
      HttpProxyHandler.this.onLease(this, lease);
    }

    @Override
    public void onLeaseFailure(ProxyError error) {
      HttpProxyHandler.this.onLeaseFailure(this, error);
    }
  }

  /** Runs the RBAC HTTP filters in order; the first that denies counts the denial. */
  private boolean denied(HttpRbacRequest r) {
    RbacConfig denying = RbacConfig.firstDenying(config.rbac(), r);
    if (denying == null) {
      return false;
    }
    chain.metrics().rbacDenied(chain.listener(), denying.name());
    return true;
  }

  private static boolean isGrpc(HttpHeaders h) {
    String ct = h.get(HttpHeaderNames.CONTENT_TYPE);
    return ct != null && ct.regionMatches(true, 0, "application/grpc", 0, 16);
  }

  private void prepareUpstreamRequest(HttpRequest req, RouteAction.Forward forward, String path) {
    HttpHeaders h = req.headers();
    if ((stripHopByHop(h, upgrade) & ConnectionHeaders.HTTP2_EXTENSION) != 0) {
      removeHttp2Extensions(h);
    }
    if (config.generateRequestId() && !h.contains(X_REQUEST_ID)) {
      h.set(X_REQUEST_ID, RequestIds.next());
    }
    if (!h.contains(X_FORWARDED_PROTO)) {
      // An HTTP/2 stream's connection is its parent; an HTTP/1.1 channel is the connection itself
      // (its parent is the listening socket).
      Channel connection = http2 ? ctx.channel().parent() : ctx.channel();
      h.set(X_FORWARDED_PROTO, connection.pipeline().get("tls") != null ? "https" : "http");
    }
    forwardClientCert(h);
    if (expectContinue) {
      // Like Envoy, the proxy answers 100-continue itself once the request is routed.
      h.remove(HttpHeaderNames.EXPECT);
    }
    target.requestHeaders().apply(h);
    route.requestHeaders().apply(h);
    virtualHost.requestHeaders().apply(h);
    table.requestHeaders().apply(h);
    if (forward.hostRewrite() != null) {
      h.set(HttpHeaderNames.HOST, forward.hostRewrite());
    }
    if (forward.prefixRewrite() != null && route.match().path() instanceof RouteMatch.PathMatch.Prefix p) {
      String uri = req.uri();
      int at = uri.indexOf(path);
      if (at >= 0) {
        req.setUri(uri.substring(0, at) + forward.prefixRewrite() + uri.substring(at + p.prefix().length()));
      }
    }
    req.setProtocolVersion(HttpVersion.HTTP_1_1);
  }

  /**
   * Envoy's {@code forward_client_cert_details}: by default (SANITIZE) a client-supplied
   * {@code x-forwarded-client-cert} never reaches the workload; SANITIZE_SET replaces it with
   * what this hop verified ({@code By=<our SPIFFE ID>;Hash=<peer cert SHA-256>;URI=<peer SPIFFE ID>}).
   */
  private void forwardClientCert(HttpHeaders h) {
    String hash = PeerIdentity.get(ctx.channel(), PeerIdentity.CERT_HASH);
    switch (config.forwardClientCert()) {
      case SANITIZE -> h.remove(XFCC);
      case ALWAYS_FORWARD_ONLY -> { }
      case FORWARD_ONLY -> {
        if (hash == null) {
          h.remove(XFCC);
        }
      }
      case SANITIZE_SET, APPEND_FORWARD -> {
        if (hash == null) {
          h.remove(XFCC);
          return;
        }
        StringBuilder v = new StringBuilder();
        String by = PeerIdentity.get(ctx.channel(), PeerIdentity.LOCAL_PRINCIPAL);
        if (by != null) {
          v.append("By=").append(by).append(';');
        }
        v.append("Hash=").append(hash);
        String uri = PeerIdentity.principal(ctx.channel());
        if (config.setClientCertUri() && uri != null) {
          v.append(";URI=").append(uri);
        }
        String previous = h.get(XFCC);
        if (config.forwardClientCert() == HttpConnectionManagerConfig.ForwardClientCert.APPEND_FORWARD
            && previous != null) {
          h.set(XFCC, previous + "," + v);
        } else {
          h.set(XFCC, v.toString());
        }
      }
    }
  }

  /**
   * Removes connection-specific headers (RFC 9110 7.6.1), keeping the upgrade ones for a tunnel.
   * One pass finds which are present (usually none), so a plain message costs no lookups.
   *
   * @return what {@link ConnectionHeaders#scan} found, before the removals
   */
  private static int stripHopByHop(HttpHeaders h, boolean keepUpgrade) {
    int found = ConnectionHeaders.scan(h);
    if ((found & ConnectionHeaders.CONNECTION) != 0) {
      for (String connection : h.getAll(HttpHeaderNames.CONNECTION)) {
        for (String token : connection.split(",")) {
          String t = token.trim();
          if (!t.isEmpty() && !(keepUpgrade && t.equalsIgnoreCase("upgrade"))) {
            h.remove(t);
          }
        }
      }
      h.remove(HttpHeaderNames.CONNECTION);
    }
    if ((found & ConnectionHeaders.KEEP_ALIVE) != 0) {
      h.remove(HttpHeaderNames.KEEP_ALIVE);
    }
    if ((found & ConnectionHeaders.PROXY_CONNECTION) != 0) {
      h.remove(HttpHeaderNames.PROXY_CONNECTION);
    }
    if (keepUpgrade) {
      h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
    } else if ((found & ConnectionHeaders.UPGRADE) != 0) {
      h.remove(HttpHeaderNames.UPGRADE);
    }
    if ((found & ConnectionHeaders.TE) != 0) {
      String te = h.get(HttpHeaderNames.TE);
      if (te != null && !te.trim().equalsIgnoreCase("trailers")) {
        h.remove(HttpHeaderNames.TE);
      }
    }
    return found;
  }

  /**
   * Removes the {@code x-http2-*} headers Netty's HTTP/2 to HTTP/1 conversion adds (stream id,
   * {@code :scheme}, {@code :path}, ...): they describe the downstream stream, not the message,
   * and must not reach an HTTP/1.1 peer.
   */
  private static void removeHttp2Extensions(HttpHeaders h) {
    for (HttpConversionUtil.ExtensionHeaderNames n : HttpConversionUtil.ExtensionHeaderNames.values()) {
      h.remove(n.text());
    }
  }

  private long timeoutNanos(RouteAction.Forward forward, HttpHeaders h) {
    long nanos = forward.timeout().toNanos();
    if (grpc && forward.grpcTimeoutMax() != null) {
      long grpcNanos = GrpcTimeout.parse(h.get(GRPC_TIMEOUT));
      if (grpcNanos > 0) {
        long max = forward.grpcTimeoutMax().toNanos();
        nanos = max > 0 ? Math.min(grpcNanos, max) : grpcNanos;
        long offset = forward.grpcTimeoutOffset().toNanos();
        if (offset > 0) {
          nanos = nanos > offset ? nanos - offset : 1; // at or past the offset: time out at once
        }
      } else if (grpcNanos == 0) {
        nanos = 0; // no grpc-timeout: no timeout, as Envoy does when grpc_timeout_header_max is set
      }
    }
    return nanos;
  }

  /** The request is complete: the route timeout starts (once), and the current attempt's per-try timeout. */
  private void startTimeout() {
    long now = System.nanoTime();
    if (timeoutNanos > 0 && routeDeadline == 0) {
      routeDeadline = now + timeoutNanos;
    }
    if (state == State.PROXYING) {
      startPerTryTimeout(now);
    }
    armTimer();
  }

  private void startPerTryTimeout(long now) {
    long perTry = retry.perTryTimeout().toNanos();
    if (perTry > 0 && perTryDeadline == 0 && !responseStarted) {
      perTryDeadline = now + perTry;
    }
  }

  /** Schedules the check at the earliest deadline, unless one is already due by then. */
  private void armTimer() {
    long next = 0;
    next = earliest(next, routeDeadline);
    next = earliest(next, perTryDeadline);
    next = earliest(next, maxDurationDeadline);
    if (idleNanos > 0) {
      next = earliest(next, lastActivity + idleNanos);
    }
    if (next == 0 || timer != null && timerAt - next <= 0) {
      return;
    }
    if (timer != null) {
      timer.cancel(false);
    }
    timerAt = next;
    timer = ctx.executor().schedule(onTimer, Math.max(0, next - System.nanoTime()), TimeUnit.NANOSECONDS);
  }

  private static long earliest(long a, long b) {
    return b == 0 ? a : a == 0 || b - a < 0 ? b : a;
  }

  private void onTimer() {
    timer = null;
    if (state == State.IDLE || state == State.LOCAL_REPLY) {
      return; // a check left from an exchange that ended (see cancelTimers)
    }
    long now = System.nanoTime();
    if (routeDeadline != 0 && now - routeDeadline >= 0) {
      requestTimedOut(ProxyError.UPSTREAM_TIMEOUT, RetryStats.Timeout.ROUTE);
    } else if (maxDurationDeadline != 0 && now - maxDurationDeadline >= 0) {
      requestTimedOut(ProxyError.MAX_STREAM_DURATION, RetryStats.Timeout.MAX_STREAM_DURATION);
    } else if (perTryDeadline != 0 && now - perTryDeadline >= 0) {
      perTryTimedOut();
    } else if (idleNanos > 0 && now - (lastActivity + idleNanos) >= 0) {
      requestTimedOut(ProxyError.STREAM_IDLE_TIMEOUT, RetryStats.Timeout.IDLE);
    } else {
      armTimer();
    }
  }

  /** The whole request ran out of time: answer (or reset a started response), whatever attempt is under way. */
  private void requestTimedOut(ProxyError error, RetryStats.Timeout kind) {
    if (cluster != null) {
      cluster.retryStats().timeout(kind);
    }
    if (lease != null && !responseStarted) {
      cluster.recordLocalFailure(lease.endpoint());
    }
    if (!responseStarted) {
      if (state == State.PROXYING && lease != null) {
        cluster.recordLocalFailure(lease.endpoint());
      }
      releaseLease(false);
      if (request != null && state == State.DELAYING) {
        rejectRequest(error);
      } else {
        localReply(error);
      }
    } else {
      chain.metrics().localReply(chain.listener(), error.reason());
      abortDownstream();
    }
  }

  /** The current attempt got no response headers within the per-try timeout: drop it and maybe retry. */
  private void perTryTimedOut() {
    perTryDeadline = 0;
    if (state != State.PROXYING || responseStarted) {
      armTimer();
      return;
    }
    cluster.retryStats().timeout(RetryStats.Timeout.PER_TRY);
    cluster.recordLocalFailure(lease.endpoint());
    releaseLease(false);
    attemptFailed(RetryConditions.Failure.PER_TRY_TIMEOUT, ProxyError.UPSTREAM_TIMEOUT);
  }

  // ------------------------------------------------------------------ retries

  /**
   * The current attempt failed before its response started (its lease is already given back):
   * retry it when the policy, the replay buffer and the cluster allow, else answer with {@code error}.
   */
  private void attemptFailed(RetryConditions.Failure failure, ProxyError error) {
    releaseRetrySlot();
    firstAttemptEnded();
    if (retry.retries() && !upgrade && RetryConditions.retriableFailure(retry, failure) && mayRetry()) {
      scheduleRetry();
      return;
    }
    localReply(error);
  }

  /**
   * Whether the failed attempt that {@code retry_on} matched may be retried; takes the cluster's
   * retry slot when so, and counts the reason when not.
   */
  private boolean mayRetry() {
    RetryRefusal refusal;
    if (attempts > retry.numRetries()) {
      refusal = RetryRefusal.NUM_RETRIES;
    } else if (!replayable) {
      refusal = bodyTooLarge ? RetryRefusal.BODY_TOO_LARGE : RetryRefusal.RESPONSE_STARTED;
    } else {
      refusal = cluster.tryAcquireRetry(retryBudget);
      holdsRetrySlot = refusal == null;
    }
    if (refusal != null) {
      cluster.retryStats().refused(refusal);
      return false;
    }
    return true;
  }

  /** Waits the jittered back-off, then starts the next attempt. Body chunks that arrive meanwhile are kept. */
  private void scheduleRetry() {
    cluster.retryStats().retries.increment();
    state = State.BACKOFF;
    perTryDeadline = 0;
    ctx.channel().config().setAutoRead(false);
    long delay = BackOff.delayMillis(attempts, retry.baseInterval().toMillis(), retry.maxInterval().toMillis(),
        ThreadLocalRandom.current().nextLong());
    pendingAction = ctx.executor().schedule(this::retryNow, delay, TimeUnit.MILLISECONDS);
  }

  private void retryNow() {
    pendingAction = null;
    if (state == State.BACKOFF) {
      startAttempt();
    }
  }

  /**
   * The first attempt got its outcome: the request no longer counts in the cluster's retry budget
   * base. Counting only first attempts in flight (and holding a retry's slot until its own
   * outcome) keeps retries within {@code budget_percent} of the requests sent, not only of the
   * concurrency.
   */
  private void firstAttemptEnded() {
    if (countedInCluster) {
      countedInCluster = false;
      cluster.requestFinished();
    }
  }

  private void releaseRetrySlot() {
    if (holdsRetrySlot) {
      holdsRetrySlot = false;
      cluster.releaseRetry(retryBudget);
    }
  }

  /** The response started (or replay became impossible): the copies kept for replay go. */
  private void dropReplay() {
    if (!replayable) {
      return;
    }
    replayable = false;
    HttpContent c;
    while ((c = replay.poll()) != null) {
      ReferenceCountUtil.release(c);
    }
    if (request != null) {
      ReferenceCountUtil.release(request);
      request = null;
    }
  }

  /**
   * The body outgrew the replay buffer: no more retries. Chunks the current attempt has not sent
   * yet become its pending body; the ones it sent are released.
   */
  private void abandonReplay() {
    bodyTooLarge = true;
    if (state == State.PROXYING) {
      dropReplay();
      return;
    }
    replayable = false;
    if (pendingBody == null) {
      pendingBody = new ArrayDeque<>();
    }
    HttpContent c;
    while ((c = replay.poll()) != null) {
      pendingBody.add(c);
    }
  }

  // ------------------------------------------------------------------ upstream lease

  private void onLease(Attempt a, UpstreamLease lease) {
    if (a != attempt || state != State.ACQUIRING) {
      // The attempt was given up while connecting: nothing was sent, so an HTTP/1.1 connection can
      // go back to the pool; an HTTP/2 stream that was never started is closed.
      lease.release(!lease.http2());
      return;
    }
    this.lease = lease;
    lease.attach(this);
    state = State.PROXYING;
    if (lbContext != null) {
      lbContext.tried(lease.endpoint());
    }
    Channel up = lease.channel();
    if (expectContinue && !requestComplete && !continueSent) {
      continueSent = true;
      ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE,
          Unpooled.EMPTY_BUFFER));
    }
    HttpRequest head = request;
    setAttemptHeaders(head.headers());
    if (replayable) {
      up.write(head instanceof FullHttpRequest full ? full.retainedDuplicate() : head, up.voidPromise());
      for (HttpContent c : replay) {
        up.write(c.retainedDuplicate(), up.voidPromise());
      }
    } else {
      up.write(head, up.voidPromise());
      request = null;
    }
    if (pendingBody != null) {
      HttpContent c;
      while ((c = pendingBody.poll()) != null) {
        up.write(c, up.voidPromise());
      }
    }
    up.flush();
    if (requestComplete) {
      startPerTryTimeout(System.nanoTime());
      armTimer();
    }
    if (up.isWritable()) {
      ctx.channel().config().setAutoRead(true);
    }
  }

  /**
   * Per attempt: {@code x-envoy-attempt-count} when the virtual host asks for it, and a
   * {@code grpc-timeout} shortened to the time left (Envoy's behaviour with
   * {@code grpc_timeout_header_max}).
   */
  private void setAttemptHeaders(HttpHeaders h) {
    if (forward.includeAttemptCount()) {
      h.setInt(ATTEMPT_COUNT, attempts);
    }
    if (grpc && forward.grpcTimeoutMax() != null && timeoutNanos > 0) {
      long left = routeDeadline != 0 ? routeDeadline - System.nanoTime() : timeoutNanos;
      long perTry = retry.perTryTimeout().toNanos();
      if (perTry > 0 && perTry < left) {
        left = perTry;
      }
      h.set(GRPC_TIMEOUT, GrpcTimeout.format(left));
    }
  }

  private void onLeaseFailure(Attempt a, ProxyError error) {
    if (a != attempt || state != State.ACQUIRING) {
      return;
    }
    if (error == ProxyError.UPSTREAM_CONNECT_FAILURE) {
      attemptFailed(RetryConditions.Failure.CONNECT_FAILURE, error);
    } else if (error == ProxyError.UPSTREAM_RESET) {
      attemptFailed(RetryConditions.Failure.RESET, error);
    } else {
      localReply(error);
    }
  }

  // ------------------------------------------------------------------ request body

  private void onRequestContent(HttpContent content) {
    boolean last = content instanceof LastHttpContent;
    if (idleNanos > 0) {
      lastActivity = System.nanoTime();
    }
    if (replayable && state != State.LOCAL_REPLY && state != State.IDLE) {
      replayBytes += content.content().readableBytes();
      if (replayBytes > retry.bufferLimitBytes()) {
        abandonReplay();
      } else {
        replay.add(content);
        if (state == State.PROXYING) {
          writeUpstream(content.retainedDuplicate());
        }
        content = null;
      }
    }
    if (content != null) {
      switch (state) {
        case DELAYING, ACQUIRING, BACKOFF -> {
          if (pendingBody == null) {
            pendingBody = new ArrayDeque<>();
          }
          pendingBody.add(content);
        }
        case PROXYING -> writeUpstream(content);
        default -> ReferenceCountUtil.release(content);
      }
    }
    if (last) {
      requestComplete = true;
      if (state == State.ACQUIRING || state == State.PROXYING || state == State.BACKOFF) {
        startTimeout();
      } else if (state == State.LOCAL_REPLY) {
        endExchange();
      }
    }
  }

  private void writeUpstream(HttpContent content) {
    Channel up = lease.channel();
    up.write(content, up.voidPromise());
    flushUpstream = true;
    if (!up.isWritable()) {
      ctx.channel().config().setAutoRead(false);
    }
  }

  // ------------------------------------------------------------------ response

  @Override
  public void onUpstreamRead(HttpObject msg) {
    if (state != State.PROXYING) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if (idleNanos > 0) {
      lastActivity = System.nanoTime();
    }
    if (switchingResponse != null) {
      ReferenceCountUtil.release(msg);
      if (msg instanceof LastHttpContent) {
        HttpResponse resp = switchingResponse;
        switchingResponse = null;
        switchToTunnel(resp);
      }
      return;
    }
    if (msg instanceof HttpResponse resp) {
      int code = resp.status().code();
      if (code == 101 && upgrade) {
        // The codec ends a 101 with an empty LastHttpContent; switch after it so that no HTTP
        // object reaches the tunnel, and bytes after the 101 reach the relay as raw bytes.
        switchingResponse = resp;
        return;
      }
      if (code < 200) {
        ReferenceCountUtil.release(msg); // 1xx: 100-continue was answered here already
        return;
      }
      cluster.recordResponse(lease.endpoint(), code);
      releaseRetrySlot();
      firstAttemptEnded();
      if (retry.retries() && retriableResponse(resp, code) && mayRetry()) {
        ReferenceCountUtil.release(msg);
        releaseLease(false);
        scheduleRetry();
        return;
      }
      if (attempts > 1) {
        cluster.retryStats().retriesSucceeded.increment();
      }
      responseStarted = true;
      responseStatus = code;
      perTryDeadline = 0;
      dropReplay();
      prepareResponse(resp);
    }
    boolean last = msg instanceof LastHttpContent;
    if (last) {
      if (http2) {
        lastWrite = ctx.write(msg); // the stream is reset after it when the request is unfinished
      } else {
        ctx.write(msg, ctx.voidPromise());
      }
      finishExchange();
    } else {
      ctx.write(msg, ctx.voidPromise());
      if (!ctx.channel().isWritable() && lease != null) {
        lease.channel().config().setAutoRead(false);
      }
    }
  }

  /** A status, or a gRPC status in (trailers-only) response headers, that {@code retry_on} matches. */
  private boolean retriableResponse(HttpResponse resp, int code) {
    if (RetryConditions.retriableStatus(retry, code)) {
      return true;
    }
    if (!grpc) {
      return false;
    }
    int grpcStatus = RetryConditions.grpcStatus(resp.headers().get(GRPC_STATUS));
    return grpcStatus > 0 && RetryConditions.retriableGrpc(retry, grpcStatus);
  }

  private void prepareResponse(HttpResponse resp) {
    HttpHeaders h = resp.headers();
    upstreamReusable = !upgrade && HttpUtil.isKeepAlive(resp);
    if ((stripHopByHop(h, false) & ConnectionHeaders.HTTP2_EXTENSION) != 0) {
      removeHttp2Extensions(h);
    }
    hash.addSetCookie(h);
    target.responseHeaders().apply(h);
    route.responseHeaders().apply(h);
    virtualHost.responseHeaders().apply(h);
    table.responseHeaders().apply(h);
    if (http2) {
      return;
    }
    resp.setProtocolVersion(HttpVersion.HTTP_1_1);
    int code = resp.status().code();
    boolean bodyless = head || code == 204 || code == 304;
    if (!bodyless && !HttpUtil.isContentLengthSet(resp) && !HttpUtil.isTransferEncodingChunked(resp)) {
      if (downstreamHttp10) {
        closeAfterResponse = true; // the body ends when the connection closes
      } else {
        HttpUtil.setTransferEncodingChunked(resp, true);
      }
    }
    if (!requestComplete || chain.drain().draining()) {
      closeAfterResponse = true;
    }
    if (closeAfterResponse || !keepAlive) {
      h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    } else if (downstreamHttp10) {
      h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
    }
  }

  @Override
  public void onUpstreamReadComplete() {
    ctx.flush();
  }

  @Override
  public void onUpstreamWritabilityChanged(boolean writable) {
    if (writable) {
      ctx.channel().config().setAutoRead(true);
    }
  }

  @Override
  public void onUpstreamReset(long errorCode) {
    resetCode = errorCode;
  }

  @Override
  public void onUpstreamClosed(Throwable cause) {
    if (state != State.PROXYING) {
      return;
    }
    EndpointState endpoint = lease.endpoint();
    releaseLease(false);
    if (!responseStarted) {
      cluster.recordLocalFailure(endpoint);
    }
    RetryConditions.Failure failure = resetCode == 7 /* REFUSED_STREAM */
        ? RetryConditions.Failure.REFUSED_STREAM : RetryConditions.Failure.RESET;
    if (!responseStarted && routeDeadline != 0 && System.nanoTime() - (routeDeadline - DEADLINE_GRACE_NANOS) >= 0) {
      // The upstream gave up at the deadline it was sent (grpc-timeout, whole milliseconds rounded
      // down) just before our own timer ran: the request timed out, it was not reset.
      requestTimedOut(ProxyError.UPSTREAM_TIMEOUT, RetryStats.Timeout.ROUTE);
    } else if (!responseStarted) {
      attemptFailed(failure, ProxyError.UPSTREAM_RESET);
    } else {
      if (retry.retries() && RetryConditions.retriableFailure(retry, failure)) {
        cluster.retryStats().refused(RetryRefusal.RESPONSE_STARTED);
      }
      chain.metrics().localReply(chain.listener(), ProxyError.UPSTREAM_RESET.reason());
      abortDownstream();
    }
  }

  private void finishExchange() {
    cluster.stats().request(responseStatus, System.nanoTime() - startNanos);
    releaseLease(requestComplete && upstreamReusable);
    endExchange();
  }

  // ------------------------------------------------------------------ upgrade tunnel

  private void switchToTunnel(HttpResponse resp) {
    responseStarted = true;
    responseStatus = 101;
    releaseExchangeResources();
    UpstreamLease l = lease;
    lease = null;
    Channel up = l.channel();
    up.config().setAutoRead(false);
    route.responseHeaders().apply(resp.headers());
    removeHttp2Extensions(resp.headers());
    cluster.stats().request(101, System.nanoTime() - startNanos);
    Channel down = ctx.channel();
    ChannelPipeline dp = ctx.pipeline();
    state = State.IDLE;
    ctx.writeAndFlush(resp).addListener((ChannelFutureListener) f -> {
      if (!f.isSuccess()) {
        up.close();
        down.close();
      }
    });
    // Both channels share this event loop, so the 101 is already encoded: the codecs can go now,
    // before the upstream codec passes on any byte that follows the 101.
    Channel upstream = l.detachForTunnel();
    // Remove the router first, then add the relay, then remove the codec: bytes the codec
    // already holds are handed to the relay as it is removed.
    dp.remove(this);
    dp.addLast("relay", new TcpRelay(upstream));
    dp.remove("codec");
    upstream.pipeline().addLast("relay", new TcpRelay(down));
    upstream.pipeline().remove("codec");
    TcpRelay.start(down, upstream);
  }

  // ------------------------------------------------------------------ local replies

  private void rejectRequest(ProxyError error) {
    rejectRequest(error, error.status());
  }

  private void rejectRequest(ProxyError error, int status) {
    rejectRequest(error, status, error.grpcStatus());
  }

  private void rejectRequest(ProxyError error, int status, int grpcStatus) {
    if (request != null) {
      ReferenceCountUtil.release(request);
      request = null;
    }
    localReply(error, status, grpcStatus);
  }

  private void localReply(ProxyError error) {
    localReply(error, error.status());
  }

  private void localReply(ProxyError error, int status) {
    localReply(error, status, error.grpcStatus());
  }

  private void localReply(ProxyError error, int status, int grpcStatus) {
    releaseExchangeResources();
    state = State.LOCAL_REPLY;
    responseStarted = true;
    responseStatus = status;
    chain.metrics().localReply(chain.listener(), error.reason());
    if (cluster != null) {
      cluster.stats().request(grpc ? 200 : status, System.nanoTime() - startNanos);
    }
    boolean close = !http2 && (closeAfterResponse || !keepAlive || unreadRequestBody() || chain.drain().draining());
    closeAfterResponse = close;
    FullHttpResponse r = LocalReplies.error(ctx.alloc(), error, status, grpcStatus, grpc, close);
    lastWrite = ctx.writeAndFlush(r);
    if (requestComplete || close || http2) {
      endExchange();
    }
  }

  private void directResponse(RouteAction.DirectResponse direct) {
    releaseExchangeResources();
    state = State.LOCAL_REPLY;
    responseStarted = true;
    responseStatus = direct.status();
    if (request != null) {
      ReferenceCountUtil.release(request);
      request = null;
    }
    boolean close = !http2 && (!keepAlive || unreadRequestBody() || chain.drain().draining());
    closeAfterResponse |= close;
    FullHttpResponse r = LocalReplies.response(ctx.alloc(), direct.status(), direct.body(), "text/plain",
        closeAfterResponse);
    route.responseHeaders().apply(r.headers());
    virtualHost.responseHeaders().apply(r.headers());
    table.responseHeaders().apply(r.headers());
    if (head) {
      r.content().clear();
    }
    lastWrite = ctx.writeAndFlush(r);
    if (requestComplete || closeAfterResponse || http2) {
      endExchange();
    }
  }

  /** Body bytes of the request may still arrive: a local reply then closes the HTTP/1 connection. */
  private boolean unreadRequestBody() {
    return !requestComplete && requestBodyExpected;
  }

  // ------------------------------------------------------------------ endings

  /** The response is fully written (or queued): settle the connection or stream for what comes next. */
  private void endExchange() {
    boolean complete = requestComplete;
    releaseExchangeResources();
    state = State.IDLE;
    if (http2) {
      ctx.flush();
      if (!complete) {
        // Reset the rest of the request stream, but only once the response is written: DATA
        // still queued behind flow control would be dropped by an earlier reset.
        io.netty.channel.ChannelFuture written = lastWrite;
        if (written != null && !written.isDone()) {
          written.addListener(ChannelFutureListener.CLOSE);
        } else {
          ctx.close();
        }
      }
      lastWrite = null;
      return;
    }
    lastWrite = null;
    if (closeAfterResponse || !keepAlive || !complete) {
      ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
      return;
    }
    ctx.flush();
    ctx.channel().config().setAutoRead(true);
    while (state == State.IDLE && pipelined != null && !pipelined.isEmpty()) {
      Object next = pipelined.poll();
      if (next instanceof HttpRequest req) {
        startExchange(req);
      } else if (next instanceof HttpContent c) {
        onRequestContent(c);
      } else {
        ReferenceCountUtil.release(next);
      }
    }
    if (pipelined != null && !pipelined.isEmpty()) {
      // The rest belongs to the request now in progress.
      ArrayDeque<Object> rest = pipelined;
      pipelined = null;
      Object next;
      while ((next = rest.poll()) != null) {
        channelRead(ctx, next);
      }
      // No channelReadComplete follows a replay (it runs on an upstream event): flush its body here.
      flushUpstreamIfPending();
    }
  }

  /** The downstream went away (or a started response cannot continue): drop the upstream side. */
  private void abortExchange() {
    releaseExchangeResources();
    releaseLease(false);
    state = State.IDLE;
  }

  private void abortDownstream() {
    abortExchange();
    ctx.close();
  }

  private void releaseLease(boolean reusable) {
    UpstreamLease l = lease;
    if (l != null) {
      lease = null;
      l.release(reusable);
    }
  }

  /**
   * Gives back everything the exchange holds besides its lease: buffered and replay copies of the
   * request, timers, the cluster's retry slot and request count, the fault filter's slot. Safe to
   * call more than once.
   */
  private void releaseExchangeResources() {
    releasePending();
    cancelTimers();
    releaseRetrySlot();
    firstAttemptEnded();
    if (fault != null) {
      chain.faults().finished(fault);
      fault = null;
    }
  }

  private void releasePending() {
    if (request != null) {
      ReferenceCountUtil.release(request);
      request = null;
    }
    if (pendingBody != null) {
      pendingBody.forEach(ReferenceCountUtil::release);
      pendingBody.clear();
    }
    if (replay != null) {
      replay.forEach(ReferenceCountUtil::release);
      replay.clear();
    }
    replayable = false;
  }

  /**
   * Clears the exchange's deadlines. The scheduled check itself stays: the next exchange's
   * deadlines are later than it, so it fires early, finds nothing due and re-arms for them. On a
   * busy connection that is one scheduled task per route timeout instead of a schedule and a
   * cancel (two O(log n) operations on the event loop's task queue) per request. It is cancelled
   * for real when the connection or stream closes ({@link #stopTimer}).
   */
  private void cancelTimers() {
    if (pendingAction != null) {
      pendingAction.cancel(false);
      pendingAction = null;
    }
    routeDeadline = 0;
    perTryDeadline = 0;
    maxDurationDeadline = 0;
    idleNanos = 0;
  }

  /** The channel is done: the scheduled check goes too, so it does not hold this handler. */
  private void stopTimer() {
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
  }

  private void resetExchange() {
    requestComplete = false;
    requestBodyExpected = false;
    responseStarted = false;
    upstreamReusable = false;
    grpc = false;
    head = false;
    upgrade = false;
    expectContinue = false;
    responseStatus = 0;
    timeoutNanos = 0;
    table = null;
    virtualHost = null;
    route = null;
    forward = null;
    target = null;
    cluster = null;
    switchingResponse = null;
    requestPath = null;
    retry = RetryPolicy.NONE;
    attempt = null;
    attempts = 0;
    replayable = false;
    bodyTooLarge = false;
    replayBytes = 0;
    continueSent = false;
    resetCode = -1;
  }
}
