package dev.weft.proxy.testkit;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A minimal h2c (prior knowledge) client on one connection, for tests that need to see
 * connection-level frames such as GOAWAY, which the JDK client does not expose.
 */
public final class GoAwayAwareH2cClient implements AutoCloseable {

  /** A complete response on one stream. */
  public record Response(int streamId, int status, byte[] body) {}

  private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private final CompletableFuture<Integer> goAway = new CompletableFuture<>();
  private final Channel channel;
  private final int port;

  private GoAwayAwareH2cClient(int port) throws InterruptedException {
    this.port = port;
    Channel ch;
    try {
      ch = new Bootstrap()
          .group(group)
          .channel(NioSocketChannel.class)
          .handler(new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel c) {
              c.pipeline().addLast(Http2FrameCodecBuilder.forClient().build());
              c.pipeline().addLast(new Http2MultiplexHandler(new ChannelInboundHandlerAdapter() {
                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                  ReferenceCountUtil.release(msg); // no server push expected
                }
              }));
              c.pipeline().addLast(new ConnectionFrames());
            }
          })
          .connect("127.0.0.1", port)
          .sync()
          .channel();
    } catch (InterruptedException | RuntimeException e) {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      throw e;
    }
    this.channel = ch;
  }

  public static GoAwayAwareH2cClient connect(int port) throws InterruptedException {
    return new GoAwayAwareH2cClient(port);
  }

  /** Completes with the last stream id of the first GOAWAY the server sends. */
  public CompletableFuture<Integer> goAway() {
    return goAway;
  }

  public boolean isOpen() {
    return channel.isActive();
  }

  /** Sends {@code GET path} on a new stream; the future completes when the response ends. */
  public CompletableFuture<Response> get(String path) throws InterruptedException {
    CompletableFuture<Response> response = new CompletableFuture<>();
    Http2StreamChannel stream = new Http2StreamChannelBootstrap(channel)
        .handler(new StreamHandler(response))
        .open()
        .sync()
        .getNow();
    Http2Headers headers = new DefaultHttp2Headers().method("GET").path(path).scheme("http")
        .authority("127.0.0.1:" + port);
    stream.writeAndFlush(new DefaultHttp2HeadersFrame(headers, true)).addListener(f -> {
      if (!f.isSuccess()) {
        response.completeExceptionally(f.cause());
      }
    });
    return response;
  }

  @Override
  public void close() {
    channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
  }

  /** Frames the multiplexer passes to the connection: GOAWAY is recorded, everything is released. */
  private final class ConnectionFrames extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof Http2GoAwayFrame g) {
        goAway.complete(g.lastStreamId());
      }
      ReferenceCountUtil.release(msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      goAway.completeExceptionally(new IOException("connection closed without GOAWAY"));
      ctx.fireChannelInactive();
    }
  }

  /** Collects one stream's response head and body. */
  private static final class StreamHandler extends ChannelInboundHandlerAdapter {
    private final CompletableFuture<Response> response;
    private final ByteArrayOutputStream body = new ByteArrayOutputStream();
    private int status;

    StreamHandler(CompletableFuture<Response> response) {
      this.response = response;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        boolean end = false;
        if (msg instanceof Http2HeadersFrame h) {
          if (status == 0 && h.headers().status() != null) {
            status = Integer.parseInt(h.headers().status().toString());
          }
          end = h.isEndStream();
        } else if (msg instanceof Http2DataFrame d) {
          ByteBuf b = d.content();
          byte[] bytes = new byte[b.readableBytes()];
          b.getBytes(b.readerIndex(), bytes);
          body.writeBytes(bytes);
          end = d.isEndStream();
        } else if (msg instanceof Http2ResetFrame r) {
          response.completeExceptionally(new IOException("stream reset, error code " + r.errorCode()));
        }
        if (end) {
          response.complete(new Response(((Http2StreamChannel) ctx.channel()).stream().id(), status,
              body.toByteArray()));
        }
      } finally {
        ReferenceCountUtil.release(msg);
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      response.completeExceptionally(new IOException("stream closed before the response ended"));
      ctx.fireChannelInactive();
    }
  }
}
