package dev.weft.proxy.testkit;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A programmable HTTP upstream for tests: HTTP/1.1 and h2c (prior knowledge) on one port,
 * streaming (bodies are counted, never aggregated, so a 1 GiB upload needs no memory). It
 * records each request's head. Behaviour by path:
 * <ul>
 *   <li>{@code /status/N} answers status N;</li>
 *   <li>{@code /delay/MS} answers after MS milliseconds;</li>
 *   <li>{@code /bytes/N} answers with an N-byte body, streamed in 16 KiB chunks;</li>
 *   <li>{@code /trailers} answers with a chunked body and trailers {@code x-trailer: done};</li>
 *   <li>{@code /reset} closes the connection without answering;</li>
 *   <li>anything else answers 200 with the request body echoed back (bodies up to 1 MiB; above
 *       that, {@code received=N}).</li>
 * </ul>
 * Every response carries {@code x-upstream: NAME}, {@code x-received-bytes: N} and
 * {@code x-upstream-protocol: h1|h2}.
 *
 * <p>To make one instance misbehave for every request, whatever its path, set a {@link Fault}
 * with {@link #fault(Fault)}: a fixed status, a reset, a delay or a blackhole (the request is
 * read and never answered). Requests to {@link #HEALTH_PATH} are exempt from faults and answer
 * 200, or 503 after {@link #healthy(boolean) healthy(false)}, for active health checks. Every
 * request that reaches the upstream counts in {@link #requests()}, whatever its fate.
 */
public final class TestUpstream implements AutoCloseable {
  private static final int ECHO_LIMIT = 1024 * 1024;
  private static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

  /** A request as the upstream received it. */
  public record Received(String method, String uri, HttpHeaders headers, String protocol, long bodyBytes) {
    public String header(String name) {
      return headers.get(name);
    }
  }

  private final String name;
  private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
  private final Channel server;
  private final ConcurrentLinkedQueue<Received> received = new ConcurrentLinkedQueue<>();
  private final AtomicInteger requests = new AtomicInteger();
  private final AtomicInteger connections = new AtomicInteger();
  private final AtomicLong bodyBytes = new AtomicLong();
  private final AtomicInteger healthChecks = new AtomicInteger();
  private volatile Fault fault = Fault.NONE;
  private volatile boolean healthy = true;

  /** The path that answers health checks (exempt from {@link Fault}s). */
  public static final String HEALTH_PATH = "/healthz";

  /**
   * How this upstream misbehaves for every request (except health checks).
   *
   * @param kind    what happens
   * @param status  the status answered, for {@link Kind#STATUS}
   * @param delayMs how long before answering, for {@link Kind#DELAY}
   */
  public record Fault(Kind kind, int status, long delayMs) {
    public static final Fault NONE = new Fault(Kind.NONE, 0, 0);

    /** The kinds of misbehaviour. */
    public enum Kind { NONE, STATUS, RESET, DELAY, BLACKHOLE }

    /** Answer every request with {@code status}. */
    public static Fault status(int status) {
      return new Fault(Kind.STATUS, status, 0);
    }

    /** Close the connection (HTTP/1.1) or the whole HTTP/2 connection without answering. */
    public static Fault reset() {
      return new Fault(Kind.RESET, 0, 0);
    }

    /** Answer normally after {@code ms} milliseconds. */
    public static Fault delay(long ms) {
      return new Fault(Kind.DELAY, 0, ms);
    }

    /** Read the request and never answer (the connection stays open). */
    public static Fault blackhole() {
      return new Fault(Kind.BLACKHOLE, 0, 0);
    }
  }

  private TestUpstream(String name, int port) throws InterruptedException {
    this.name = name;
    this.server = new ServerBootstrap()
        .group(group)
        .channel(NioServerSocketChannel.class)
        .childHandler(new ChannelInitializer<>() {
          @Override
          protected void initChannel(Channel ch) {
            connections.incrementAndGet();
            ch.pipeline().addLast("detect", new Detector());
          }
        })
        .bind("127.0.0.1", port).sync().channel();
  }

  public static TestUpstream start(String name) throws InterruptedException {
    return new TestUpstream(name, 0);
  }

  public int port() {
    return ((InetSocketAddress) server.localAddress()).getPort();
  }

  public String name() {
    return name;
  }

  public int requests() {
    return requests.get();
  }

  /** Makes this upstream misbehave ({@link Fault#NONE} to behave again). */
  public TestUpstream fault(Fault fault) {
    this.fault = fault;
    return this;
  }

  /** Makes {@link #HEALTH_PATH} answer 200 ({@code true}) or 503 ({@code false}). */
  public TestUpstream healthy(boolean healthy) {
    this.healthy = healthy;
    return this;
  }

  /** Requests to {@link #HEALTH_PATH} so far (they also count in {@link #requests()}). */
  public int healthChecks() {
    return healthChecks.get();
  }

  public int connections() {
    return connections.get();
  }

  public long bodyBytes() {
    return bodyBytes.get();
  }

  /** Requests received so far, oldest first. */
  public List<Received> received() {
    return List.copyOf(received);
  }

  public Received last() {
    List<Received> all = received();
    return all.isEmpty() ? null : all.getLast();
  }

  @Override
  public void close() {
    server.close().awaitUninterruptibly();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
  }

  /** Picks HTTP/1.1 or h2c from the first bytes. */
  private final class Detector extends ByteToMessageDecoder {
    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
      int n = Math.min(in.readableBytes(), PREFACE.length);
      for (int i = 0; i < n; i++) {
        if (in.getByte(in.readerIndex() + i) != PREFACE[i]) {
          ChannelPipeline p = ctx.pipeline();
          p.addLast(new HttpServerCodec(new io.netty.handler.codec.http.HttpDecoderConfig()
              .setMaxInitialLineLength(1024 * 1024).setMaxHeaderSize(1024 * 1024)), new Responder("h1"));
          p.remove(this);
          return;
        }
      }
      if (n < PREFACE.length) {
        return;
      }
      ChannelPipeline p = ctx.pipeline();
      p.addLast(Http2FrameCodecBuilder.forServer().build());
      p.addLast(new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
        @Override
        protected void initChannel(Http2StreamChannel ch) {
          ch.pipeline().addLast(new Http2StreamFrameToHttpObjectCodec(true), new Responder("h2"));
        }
      }));
      p.remove(this);
    }
  }

  /** Answers one request at a time on its channel, per the path rules above. */
  private final class Responder extends ChannelInboundHandlerAdapter {
    private final String protocol;
    private HttpRequest request;
    private long count;
    private ByteBuf echo;

    Responder(String protocol) {
      this.protocol = protocol;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        if (msg instanceof HttpRequest r) {
          request = r;
          count = 0;
          echo = ctx.alloc().buffer();
        }
        if (msg instanceof HttpContent c && request != null) {
          int n = c.content().readableBytes();
          count += n;
          bodyBytes.addAndGet(n);
          if (echo.readableBytes() + n <= ECHO_LIMIT) {
            echo.writeBytes(c.content(), c.content().readerIndex(), n);
          }
          if (c instanceof LastHttpContent) {
            respond(ctx);
          }
        }
      } finally {
        ReferenceCountUtil.release(msg);
      }
    }

    private void respond(ChannelHandlerContext ctx) {
      HttpRequest r = request;
      request = null;
      ByteBuf body = echo;
      echo = null;
      requests.incrementAndGet();
      received.add(new Received(r.method().name(), r.uri(), r.headers().copy(), protocol, count));
      String path = r.uri().contains("?") ? r.uri().substring(0, r.uri().indexOf('?')) : r.uri();
      boolean keepAlive = protocol.equals("h2") || HttpUtil.isKeepAlive(r);
      if (path.equals(HEALTH_PATH)) {
        body.release();
        healthChecks.incrementAndGet();
        send(ctx, healthy ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE,
            Unpooled.copiedBuffer(healthy ? "ok\n" : "unhealthy\n", StandardCharsets.UTF_8), keepAlive);
        return;
      }
      Fault f = fault;
      switch (f.kind()) {
        case STATUS -> path = "/status/" + f.status();
        case RESET -> path = "/reset";
        case DELAY -> path = "/delay/" + f.delayMs();
        case BLACKHOLE -> {
          body.release();
          return;
        }
        case NONE -> { }
      }
      if (path.equals("/reset")) {
        body.release();
        // On HTTP/2 reset the whole connection (the stream's parent), never the listening socket.
        (ctx.channel() instanceof Http2StreamChannel ? ctx.channel().parent() : ctx.channel()).close();
        return;
      }
      if (path.startsWith("/delay/")) {
        long ms = Long.parseLong(path.substring(7));
        // The echo is copied only when the answer is sent, so nothing leaks if the server stops first.
        byte[] bytes = ByteBufUtil.getBytes(body);
        body.release();
        ctx.executor().schedule(() -> send(ctx, HttpResponseStatus.OK, Unpooled.wrappedBuffer(bytes), keepAlive),
            ms, TimeUnit.MILLISECONDS);
        return;
      }
      if (path.startsWith("/status/")) {
        body.release();
        send(ctx, HttpResponseStatus.valueOf(Integer.parseInt(path.substring(8))),
            Unpooled.copiedBuffer("status " + path.substring(8) + "\n", StandardCharsets.UTF_8), keepAlive);
        return;
      }
      if (path.startsWith("/bytes/")) {
        body.release();
        streamBytes(ctx, Long.parseLong(path.substring(7)), keepAlive);
        return;
      }
      if (path.equals("/trailers")) {
        body.release();
        HttpResponse head = head(HttpResponseStatus.OK, -1);
        HttpUtil.setTransferEncodingChunked(head, true);
        ctx.write(head);
        ctx.write(new DefaultHttpContent(Unpooled.copiedBuffer("with trailers\n", StandardCharsets.UTF_8)));
        LastHttpContent last = new DefaultLastHttpContent();
        last.trailingHeaders().set("x-trailer", "done");
        ctx.writeAndFlush(last);
        return;
      }
      if (count > ECHO_LIMIT) {
        body.release();
        send(ctx, HttpResponseStatus.OK, Unpooled.copiedBuffer("received=" + count, StandardCharsets.UTF_8),
            keepAlive);
        return;
      }
      send(ctx, HttpResponseStatus.OK, body, keepAlive);
    }

    private HttpResponse head(HttpResponseStatus status, long length) {
      HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, status);
      head.headers().set("x-upstream", name).set("x-received-bytes", count).set("x-upstream-protocol", protocol);
      if (length >= 0) {
        head.headers().set(HttpHeaderNames.CONTENT_LENGTH, length);
      }
      return head;
    }

    private void send(ChannelHandlerContext ctx, HttpResponseStatus status, ByteBuf body, boolean keepAlive) {
      HttpResponse head = head(status, body.readableBytes());
      if (!keepAlive) {
        head.headers().set(HttpHeaderNames.CONNECTION, "close");
      }
      ctx.write(head);
      var f = ctx.writeAndFlush(new DefaultLastHttpContent(body));
      if (!keepAlive) {
        f.addListener(ChannelFutureListener.CLOSE);
      }
    }

    private void streamBytes(ChannelHandlerContext ctx, long total, boolean keepAlive) {
      ctx.write(head(HttpResponseStatus.OK, total));
      byte[] chunk = new byte[16 * 1024];
      java.util.Arrays.fill(chunk, (byte) 'x');
      new Object() {
        long left = total;

        void next() {
          while (left > 0 && ctx.channel().isWritable()) {
            int n = (int) Math.min(chunk.length, left);
            left -= n;
            ctx.write(new DefaultHttpContent(Unpooled.wrappedBuffer(chunk, 0, n)));
          }
          if (left == 0) {
            var f = ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
            if (!keepAlive) {
              f.addListener(ChannelFutureListener.CLOSE);
            }
          } else {
            ctx.flush();
            ctx.executor().schedule(this::next, 1, TimeUnit.MILLISECONDS);
          }
        }
      }.next();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (echo != null) {
        echo.release();
        echo = null;
      }
      ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }

  /** Convenience for tests that want a map of a received request's headers. */
  public static Map<String, String> headersOf(Received r) {
    Map<String, String> m = new java.util.TreeMap<>();
    r.headers().forEach(e -> m.put(e.getKey().toLowerCase(java.util.Locale.ROOT), e.getValue()));
    return m;
  }
}
