package dev.weft.proxy.testkit;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http2.DefaultHttp2FrameReader;
import io.netty.handler.codec.http2.DefaultHttp2FrameWriter;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameAdapter;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * An HTTP/2 connection driven frame by frame, with no connection state of its own: it writes
 * exactly the frames a test asks for (even ones a well-behaved client would hold back, such as
 * streams beyond the peer's limit) and reports every frame it reads as a {@link Frame}.
 */
public final class RawH2cConnection implements AutoCloseable {
  /** A frame read from the peer; {@code value} is the error code, settings or status as fits. */
  public record Frame(String type, int streamId, Object value, boolean endStream) {}

  private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private final BlockingQueue<Frame> frames = new LinkedBlockingQueue<>();
  private final DefaultHttp2FrameWriter writer = new DefaultHttp2FrameWriter();
  private final Channel channel;
  private volatile ChannelHandlerContext ctx;

  /** Connects and sends the client preface and an empty SETTINGS frame. */
  public RawH2cConnection(int port) throws InterruptedException {
    try {
      channel = new Bootstrap()
          .group(group)
          .channel(NioSocketChannel.class)
          .handler(new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
              ch.pipeline().addLast(new FrameDecoder());
            }
          })
          .connect("127.0.0.1", port).sync().channel();
      onLoop(c -> {
        c.write(Http2CodecUtil.connectionPrefaceBuf());
        writer.writeSettings(c, new Http2Settings(), c.newPromise());
      });
    } catch (InterruptedException | RuntimeException e) {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      throw e;
    }
  }

  public void settingsAck() throws InterruptedException {
    onLoop(c -> writer.writeSettingsAck(c, c.newPromise()));
  }

  public void headers(int streamId, Http2Headers headers, boolean endStream) throws InterruptedException {
    onLoop(c -> writer.writeHeaders(c, streamId, headers, 0, endStream, c.newPromise()));
  }

  /** The next frame read, or null after {@code seconds}. */
  public Frame next(long seconds) throws InterruptedException {
    return frames.poll(seconds, TimeUnit.SECONDS);
  }

  /** Reads frames until one of {@code type} arrives (skipping others), or null after {@code seconds}. */
  public Frame next(String type, long seconds) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    long left;
    while ((left = deadline - System.nanoTime()) > 0) {
      Frame f = frames.poll(left, TimeUnit.NANOSECONDS);
      if (f != null && f.type().equals(type)) {
        return f;
      }
    }
    return null;
  }

  private void onLoop(java.util.function.Consumer<ChannelHandlerContext> action) throws InterruptedException {
    channel.eventLoop().submit(() -> {
      action.accept(ctx);
      ctx.flush();
    }).sync();
  }

  @Override
  public void close() {
    writer.close();
    channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
  }

  private final class FrameDecoder extends ByteToMessageDecoder {
    private final DefaultHttp2FrameReader reader = new DefaultHttp2FrameReader();

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      RawH2cConnection.this.ctx = ctx;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Http2Exception {
      reader.readFrame(ctx, in, new Http2FrameAdapter() {
        @Override
        public void onSettingsRead(ChannelHandlerContext c, Http2Settings settings) {
          frames.add(new Frame("SETTINGS", 0, settings, false));
        }

        @Override
        public void onSettingsAckRead(ChannelHandlerContext c) {
          frames.add(new Frame("SETTINGS_ACK", 0, null, false));
        }

        @Override
        public void onHeadersRead(ChannelHandlerContext c, int streamId, Http2Headers headers, int padding,
            boolean endStream) {
          frames.add(new Frame("HEADERS", streamId, headers, endStream));
        }

        @Override
        public void onHeadersRead(ChannelHandlerContext c, int streamId, Http2Headers headers, int dependency,
            short weight, boolean exclusive, int padding, boolean endStream) {
          onHeadersRead(c, streamId, headers, padding, endStream);
        }

        @Override
        public int onDataRead(ChannelHandlerContext c, int streamId, ByteBuf data, int padding, boolean endOfStream) {
          frames.add(new Frame("DATA", streamId, data.readableBytes(), endOfStream));
          return data.readableBytes() + padding;
        }

        @Override
        public void onRstStreamRead(ChannelHandlerContext c, int streamId, long errorCode) {
          frames.add(new Frame("RST_STREAM", streamId, errorCode, true));
        }

        @Override
        public void onGoAwayRead(ChannelHandlerContext c, int lastStreamId, long errorCode, ByteBuf debugData) {
          frames.add(new Frame("GOAWAY", lastStreamId, errorCode, false));
        }
      });
    }

    @Override
    public void handlerRemoved0(ChannelHandlerContext ctx) {
      reader.close();
    }
  }
}
