package dev.weft.proxy.grpc;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.codec.http2.Http2StreamFrame;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One client-side gRPC bidirectional stream over its own HTTP/2 connection, in plain Netty (no
 * grpc-java, to keep the sidecar small): h2c with prior knowledge, or TLS with ALPN {@code h2}.
 * Messages are length-prefixed protobuf bytes, uncompressed.
 *
 * <pre>{@code
 * GrpcStream.open(group, EpollSocketChannel.class, target, null, "/pkg.Service/Method",
 *     Duration.ofSeconds(5), 16 << 20, listener);      // listener.onOpen(stream) once it is up
 * stream.send(request.toByteArray());
 * }</pre>
 *
 * <p>Every callback runs on the connection's event loop; {@link Listener#onClose} is called
 * exactly once, also when the connection fails to open. {@link #send} and {@link #cancel} may be
 * called from any thread.
 */
public final class GrpcStream {

  /** gRPC status codes used here. */
  public static final int OK = 0;
  public static final int CANCELLED = 1;
  public static final int UNKNOWN = 2;
  public static final int INTERNAL = 13;
  public static final int UNAVAILABLE = 14;
  public static final int RESOURCE_EXHAUSTED = 8;

  /** What happens on a stream. */
  public interface Listener {
    /** The stream is open: requests may be sent. */
    void onOpen(GrpcStream stream);

    /** One response message (the 5-byte prefix removed). */
    void onMessage(byte[] message);

    /** The stream ended, with the gRPC status (a local failure stands as UNAVAILABLE). */
    void onClose(int status, String message);
  }

  private final Channel connection;
  private final Listener listener;
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile Http2StreamChannel stream;

  private GrpcStream(Channel connection, Listener listener) {
    this.connection = connection;
    this.listener = listener;
  }

  /**
   * Connects and opens the stream; the outcome reaches {@code listener} (onOpen, or onClose with
   * UNAVAILABLE).
   *
   * @param tls          client TLS context (with ALPN h2), or null for h2c
   * @param authority    the {@code :authority} to send
   * @param connectTimeout bound on TCP connect (and the TLS handshake)
   * @param maxMessageBytes largest response message accepted (RESOURCE_EXHAUSTED beyond it)
   */
  public static void open(EventLoopGroup group, Class<? extends SocketChannel> channelType, InetSocketAddress address,
      SslContext tls, String authority, String path, Duration connectTimeout, int maxMessageBytes, Listener listener) {
    Bootstrap b = new Bootstrap()
        .group(group)
        .channel(channelType)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()))
        .option(ChannelOption.TCP_NODELAY, true)
        .handler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            if (tls != null) {
              SslHandler ssl = tls.newHandler(ch.alloc(), address.getHostString(), address.getPort());
              ssl.setHandshakeTimeoutMillis(connectTimeout.toMillis());
              ch.pipeline().addLast("tls", ssl);
            }
            ch.pipeline().addLast("h2", Http2FrameCodecBuilder.forClient().build());
            ch.pipeline().addLast("mux", new Http2MultiplexHandler(new SimpleChannelInboundHandler<Object>() {
              @Override
              protected void channelRead0(ChannelHandlerContext ctx, Object msg) {
                ctx.close(); // servers do not push on a gRPC connection
              }
            }));
            ch.pipeline().addLast("errors", new io.netty.channel.ChannelInboundHandlerAdapter() {
              @Override
              public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                // TLS and I/O failures end the stream (reported through onClose), not as a stack trace.
                ctx.close();
              }
            });
          }
        });
    b.connect(address).addListener(connected -> {
      Channel ch = ((io.netty.channel.ChannelFuture) connected).channel();
      GrpcStream s = new GrpcStream(ch, listener);
      if (!connected.isSuccess()) {
        s.finish(UNAVAILABLE, "cannot connect to " + address + ": " + connected.cause().getMessage());
        return;
      }
      ch.closeFuture().addListener(f -> s.finish(UNAVAILABLE, "connection to " + address + " closed"));
      SslHandler ssl = ch.pipeline().get(SslHandler.class);
      if (ssl == null) {
        s.openStream(address, authority, path, maxMessageBytes, tls != null);
        return;
      }
      ssl.handshakeFuture().addListener(hs -> {
        if (!hs.isSuccess()) {
          s.finish(UNAVAILABLE, "TLS handshake with " + address + " failed: " + innermost(hs.cause()));
          ch.close();
        } else if (!ApplicationProtocolNames.HTTP_2.equals(ssl.applicationProtocol())) {
          s.finish(UNAVAILABLE, address + " negotiated ALPN " + ssl.applicationProtocol() + " (expected: h2)");
          ch.close();
        } else {
          s.openStream(address, authority, path, maxMessageBytes, true);
        }
      });
    });
  }

  private void openStream(InetSocketAddress address, String authority, String path, int maxMessageBytes,
      boolean https) {
    new Http2StreamChannelBootstrap(connection)
        .handler(new ResponseReader(maxMessageBytes))
        .open()
        .addListener(opened -> {
          if (!opened.isSuccess()) {
            finish(UNAVAILABLE, "cannot open a stream to " + address + ": " + opened.cause().getMessage());
            connection.close();
            return;
          }
          Http2StreamChannel s = (Http2StreamChannel) opened.getNow();
          stream = s;
          Http2Headers headers = new DefaultHttp2Headers()
              .method("POST")
              .scheme(https ? "https" : "http")
              .path(path)
              .authority(authority)
              .set("content-type", "application/grpc")
              .set("te", "trailers")
              .set("user-agent", "weft-proxy");
          s.writeAndFlush(new DefaultHttp2HeadersFrame(headers, false)).addListener(w -> {
            if (!w.isSuccess()) {
              finish(UNAVAILABLE, "cannot send request headers to " + address + ": " + w.cause().getMessage());
              connection.close();
            } else if (!closed.get()) {
              listener.onOpen(this);
            }
          });
        });
  }

  /** Sends one message; dropped when the stream has ended. */
  public void send(byte[] message) {
    Http2StreamChannel s = stream;
    if (s == null || closed.get()) {
      return;
    }
    ByteBuf body = GrpcFrames.frame(message);
    s.writeAndFlush(new DefaultHttp2DataFrame(body, false)).addListener(w -> {
      if (!w.isSuccess()) {
        finish(UNAVAILABLE, "cannot send: " + w.cause().getMessage());
        connection.close();
      }
    });
  }

  /** Cancels the stream (RST_STREAM CANCEL) and closes the connection; onClose reports CANCELLED. */
  public void cancel() {
    Http2StreamChannel s = stream;
    finish(CANCELLED, "cancelled by the client");
    if (s != null && s.isActive()) {
      s.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.CANCEL)).addListener(f -> connection.close());
    } else {
      connection.close();
    }
  }

  private void finish(int status, String message) {
    if (closed.compareAndSet(false, true)) {
      if (connection.eventLoop().inEventLoop()) {
        listener.onClose(status, message);
      } else {
        connection.eventLoop().execute(() -> listener.onClose(status, message));
      }
    }
  }

  /** Decodes response headers, length-prefixed messages and trailers on the stream channel. */
  private final class ResponseReader extends SimpleChannelInboundHandler<Http2StreamFrame> {
    private final int maxMessageBytes;
    private ByteBuf pending;
    private boolean headersSeen;

    ResponseReader(int maxMessageBytes) {
      this.maxMessageBytes = maxMessageBytes;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Http2StreamFrame frame) {
      if (closed.get()) {
        return;
      }
      switch (frame) {
        case Http2HeadersFrame h -> onHeaders(ctx, h);
        case Http2DataFrame d -> {
          if (pending == null) {
            pending = ctx.alloc().buffer(Math.max(256, d.content().readableBytes()));
          }
          pending.writeBytes(d.content());
          deliver(ctx);
          if (d.isEndStream() && !closed.get()) {
            end(ctx, INTERNAL, "the server ended the stream without trailers");
          }
        }
        case Http2ResetFrame r -> end(ctx, UNAVAILABLE, "the server reset the stream (HTTP/2 error "
            + r.errorCode() + ")");
        default -> { }
      }
    }

    private void deliver(ChannelHandlerContext ctx) {
      while (pending.readableBytes() >= 5) {
        int flag = pending.getUnsignedByte(pending.readerIndex());
        long length = pending.getUnsignedInt(pending.readerIndex() + 1);
        if (flag != 0) {
          end(ctx, INTERNAL, "a compressed message (flag " + flag + "; none was offered)");
          return;
        }
        if (length > maxMessageBytes) {
          end(ctx, RESOURCE_EXHAUSTED, "a message of " + length + " bytes (expected: <= " + maxMessageBytes + ")");
          return;
        }
        if (pending.readableBytes() < 5 + length) {
          break;
        }
        pending.skipBytes(5);
        byte[] message = new byte[(int) length];
        pending.readBytes(message);
        listener.onMessage(message);
        if (closed.get()) {
          return;
        }
      }
      pending.discardSomeReadBytes();
    }

    private void onHeaders(ChannelHandlerContext ctx, Http2HeadersFrame frame) {
      Http2Headers h = frame.headers();
      if (!headersSeen) {
        headersSeen = true;
        CharSequence status = h.status();
        if (status == null || !"200".contentEquals(status)) {
          end(ctx, GrpcFrames.statusFromHttp(status == null ? null : status.toString()),
              "the server answered HTTP status " + status + " (expected: 200)");
          return;
        }
        if (!frame.isEndStream()) {
          return;
        }
      }
      CharSequence code = h.get("grpc-status");
      CharSequence message = h.get("grpc-message");
      int c;
      try {
        c = code == null ? UNKNOWN : Integer.parseInt(code.toString());
      } catch (NumberFormatException e) {
        c = UNKNOWN;
      }
      end(ctx, c, message == null ? (code == null ? "trailers without grpc-status" : "")
          : GrpcFrames.decodeMessage(message.toString()));
    }

    private void end(ChannelHandlerContext ctx, int status, String message) {
      finish(status, message);
      ctx.close();
      connection.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
      finish(UNAVAILABLE, "the stream closed");
      release();
      super.channelInactive(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
      release();
    }

    private void release() {
      if (pending != null) {
        ReferenceCountUtil.safeRelease(pending);
        pending = null;
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      end(ctx, UNAVAILABLE, "stream failed: " + cause.getMessage());
    }
  }

  /** The innermost cause's message: TLS failures wrap the useful one ("the peer's certificate SANs ..."). */
  private static String innermost(Throwable error) {
    Throwable t = error;
    for (int i = 0; i < 10 && t.getCause() != null && t.getCause() != t; i++) {
      t = t.getCause();
    }
    return String.valueOf(t.getMessage());
  }
}
