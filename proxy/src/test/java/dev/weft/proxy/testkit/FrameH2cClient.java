package dev.weft.proxy.testkit;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
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
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A minimal HTTP/2 cleartext client (prior knowledge) on Netty's frame codec, for checking
 * frame-level shapes a higher-level client hides, such as a gRPC trailers-only response (a
 * single HEADERS frame with END_STREAM and {@code grpc-status}).
 */
public final class FrameH2cClient implements AutoCloseable {
  private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private final Channel channel;

  /** A response as frames: every HEADERS block in order, and the DATA bytes. */
  public record Response(List<Http2Headers> headerBlocks, byte[] data, boolean reset) {
    /** Exactly one HEADERS frame, which ended the stream, and no DATA: gRPC's trailers-only form. */
    public boolean trailersOnly() {
      return !reset && headerBlocks.size() == 1 && data.length == 0;
    }

    public String header(String name) {
      for (Http2Headers h : headerBlocks) {
        CharSequence v = h.get(name);
        if (v != null) {
          return v.toString();
        }
      }
      return null;
    }
  }

  private FrameH2cClient(int port) throws InterruptedException {
    EventLoopGroup g = group;
    try {
      channel = new Bootstrap().group(g).channel(NioSocketChannel.class)
          .handler(new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
              ch.pipeline().addLast(Http2FrameCodecBuilder.forClient().build(),
                  new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()));
            }
          })
          .connect("127.0.0.1", port).sync().channel();
    } catch (RuntimeException | InterruptedException e) {
      g.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      throw e;
    }
  }

  public static FrameH2cClient connect(int port) throws InterruptedException {
    return new FrameH2cClient(port);
  }

  /** A gRPC unary call's request: POST with {@code content-type: application/grpc}, one empty message. */
  public Response grpcCall(String authority, String path) throws Exception {
    Http2Headers h = new DefaultHttp2Headers().method("POST").scheme("http").authority(authority).path(path);
    h.set("content-type", "application/grpc");
    h.set("te", "trailers");
    return exchange(h, new byte[] {0, 0, 0, 0, 0});
  }

  /** Sends one request on a new stream and waits (up to 10 s) for the stream to end. */
  public Response exchange(Http2Headers headers, byte[] body) throws Exception {
    CompletableFuture<Response> done = new CompletableFuture<>();
    Http2StreamChannel stream = new Http2StreamChannelBootstrap(channel)
        .handler(new Collector(done)).open().sync().getNow();
    boolean hasBody = body != null && body.length > 0;
    stream.write(new DefaultHttp2HeadersFrame(headers, !hasBody));
    if (hasBody) {
      stream.write(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(body), true));
    }
    stream.flush();
    try {
      return done.get(10, TimeUnit.SECONDS);
    } finally {
      stream.close();
    }
  }

  @Override
  public void close() {
    channel.close().awaitUninterruptibly();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
  }

  /** Collects one stream's response frames, releasing every buffer. */
  private static final class Collector extends ChannelInboundHandlerAdapter {
    private final CompletableFuture<Response> done;
    private final List<Http2Headers> headers = new ArrayList<>();
    private final ByteArrayOutputStream data = new ByteArrayOutputStream();

    Collector(CompletableFuture<Response> done) {
      this.done = done;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        boolean end = false;
        if (msg instanceof Http2HeadersFrame h) {
          headers.add(h.headers());
          end = h.isEndStream();
        } else if (msg instanceof Http2DataFrame d) {
          data.writeBytes(ByteBufUtil.getBytes(d.content()));
          end = d.isEndStream();
        } else if (msg instanceof Http2ResetFrame) {
          done.complete(new Response(List.copyOf(headers), data.toByteArray(), true));
        }
        if (end) {
          done.complete(new Response(List.copyOf(headers), data.toByteArray(), false));
        }
      } finally {
        ReferenceCountUtil.release(msg);
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      done.completeExceptionally(new IllegalStateException("stream closed before it ended"));
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      done.completeExceptionally(cause);
      ctx.close();
    }
  }
}
