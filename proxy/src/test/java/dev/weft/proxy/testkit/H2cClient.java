package dev.weft.proxy.testkit;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
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
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2SettingsFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A cleartext HTTP/2 (prior knowledge) test client on one connection, built on Netty's frame
 * codec and multiplexer: each request is its own stream channel. {@link #request} collects a
 * whole response; {@link #openStream} gives a raw stream channel for tests that drive frames
 * and flow control themselves.
 */
public final class H2cClient implements AutoCloseable {
  /** Response bodies kept by {@link #request}; beyond this only the length is counted. */
  private static final int BODY_LIMIT = 2 * 1024 * 1024;

  /** A complete response: head, body (up to 2 MiB kept), body length, and trailers (or null). */
  public record Response(Http2Headers headers, byte[] body, long bodyBytes, Http2Headers trailers) {
    public int status() {
      return Integer.parseInt(headers.status().toString());
    }

    public String header(String name) {
      CharSequence v = headers.get(name);
      return v == null ? null : v.toString();
    }

    public String bodyText() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private final CompletableFuture<Http2Settings> remoteSettings = new CompletableFuture<>();
  private final Channel channel;

  private H2cClient(int port, Http2Settings settings) throws InterruptedException {
    try {
      channel = new Bootstrap()
          .group(group)
          .channel(NioSocketChannel.class)
          .handler(new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
              ch.pipeline().addLast(Http2FrameCodecBuilder.forClient().initialSettings(settings).build());
              ch.pipeline().addLast(new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()));
              ch.pipeline().addLast(new ConnectionFrames());
            }
          })
          .connect("127.0.0.1", port).sync().channel();
    } catch (InterruptedException | RuntimeException e) {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      throw e;
    }
  }

  public static H2cClient connect(int port) throws InterruptedException {
    return connect(port, Http2Settings.defaultSettings());
  }

  /** Connects with the given initial SETTINGS (for example a small initial window). */
  public static H2cClient connect(int port, Http2Settings settings) throws InterruptedException {
    return new H2cClient(port, settings);
  }

  public Channel channel() {
    return channel;
  }

  /** The peer's first SETTINGS frame. */
  public Http2Settings remoteSettings() throws InterruptedException, ExecutionException, TimeoutException {
    return remoteSettings.get(5, TimeUnit.SECONDS);
  }

  /** Request headers for {@code method path} with {@code :authority} {@code authority}. */
  public static Http2Headers headers(String method, String path, String authority) {
    return new DefaultHttp2Headers().method(method).path(path).scheme("http").authority(authority);
  }

  /** Opens a stream whose pipeline is {@code handler}. */
  public Http2StreamChannel openStream(ChannelHandler handler) throws InterruptedException {
    return new Http2StreamChannelBootstrap(channel).handler(handler).open().sync().getNow();
  }

  /**
   * Sends a request (body and trailers may be null) and collects the response. The future
   * fails if the stream is reset or the connection closes first.
   */
  public CompletableFuture<Response> request(Http2Headers headers, byte[] body, Http2Headers trailers)
      throws InterruptedException {
    ResponseCollector collector = new ResponseCollector();
    Http2StreamChannel stream = openStream(collector);
    boolean hasBody = body != null && body.length > 0;
    stream.eventLoop().execute(() -> {
      stream.write(new DefaultHttp2HeadersFrame(headers, !hasBody && trailers == null));
      if (hasBody) {
        stream.write(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(body), trailers == null));
      }
      if (trailers != null) {
        stream.write(new DefaultHttp2HeadersFrame(trailers, true));
      }
      stream.flush();
    });
    return collector.result;
  }

  public CompletableFuture<Response> get(String path) throws InterruptedException {
    return request(headers("GET", path, "svc.test"), null, null);
  }

  @Override
  public void close() {
    channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
  }

  /** Records the peer's SETTINGS; releases the other connection-level frames. */
  private final class ConnectionFrames extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof Http2SettingsFrame s) {
        remoteSettings.complete(s.settings());
      }
      ReferenceCountUtil.release(msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      remoteSettings.completeExceptionally(new IOException("connection closed"));
      ctx.fireChannelInactive();
    }
  }

  /** Collects one response from a stream's frames. */
  private static final class ResponseCollector extends ChannelInboundHandlerAdapter {
    final CompletableFuture<Response> result = new CompletableFuture<>();
    private final ByteArrayOutputStream body = new ByteArrayOutputStream();
    private long bodyBytes;
    private Http2Headers headers;
    private Http2Headers trailers;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        boolean end = false;
        if (msg instanceof Http2HeadersFrame h) {
          CharSequence status = h.headers().status();
          if (headers == null && status != null && status.charAt(0) == '1') {
            return; // informational
          }
          if (headers == null) {
            headers = h.headers();
          } else {
            trailers = h.headers();
          }
          end = h.isEndStream();
        } else if (msg instanceof Http2DataFrame d) {
          int n = d.content().readableBytes();
          bodyBytes += n;
          if (body.size() + n <= BODY_LIMIT) {
            body.writeBytes(ByteBufUtil.getBytes(d.content()));
          }
          end = d.isEndStream();
        } else if (msg instanceof Http2ResetFrame r) {
          result.completeExceptionally(new IOException("RST_STREAM " + r.errorCode()));
          return;
        }
        if (end) {
          result.complete(new Response(headers, body.toByteArray(), bodyBytes, trailers));
        }
      } finally {
        ReferenceCountUtil.release(msg);
      }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      // The multiplexer passes RST_STREAM as an event (it is not flow controlled).
      if (evt instanceof Http2ResetFrame r) {
        result.completeExceptionally(new IOException("RST_STREAM " + r.errorCode()));
      }
      ReferenceCountUtil.release(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      result.completeExceptionally(new IOException("stream closed before the response ended"));
      ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      result.completeExceptionally(cause);
      ctx.close();
    }
  }
}
