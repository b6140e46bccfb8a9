package dev.weft.perf;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;

/**
 * HTTP/1.1 keep-alive load connection: one request in flight at a time, no pipelining.
 *
 * <p>The request is encoded once into bytes ({@code GET}, or {@code POST} with a body of
 * {@link LoadConfig#payloadSize()} bytes) and each send writes a fresh wrapper around them.
 * Pipeline: {@code HttpResponseDecoder → ResponseHandler}.
 */
final class Http1LoadConnection extends LoadConnection {
  private final byte[] requestBytes;
  private final ChannelFutureListener onWriteFailure = f -> {
    if (!f.isSuccess()) {
      f.channel().close();
    }
  };

  private ResponseHandler current;

  Http1LoadConnection(LoadConfig config, EventLoop loop, Bootstrap bootstrap, AtomicLong budget, int index) {
    super(config, loop, bootstrap, budget, index);
    this.requestBytes = encodeRequest(config);
  }

  /** Encodes the request line, headers and body once. */
  static byte[] encodeRequest(LoadConfig config) {
    StringBuilder head = new StringBuilder(128);
    head.append(config.payloadSize() > 0 ? "POST " : "GET ").append(config.path()).append(" HTTP/1.1\r\n");
    head.append("Host: ").append(config.authority()).append("\r\n");
    head.append("User-Agent: weft-bench\r\n");
    if (config.payloadSize() > 0) {
      head.append("Content-Type: application/octet-stream\r\n");
      head.append("Content-Length: ").append(config.payloadSize()).append("\r\n");
    }
    head.append("\r\n");
    byte[] headBytes = head.toString().getBytes(StandardCharsets.US_ASCII);
    byte[] all = new byte[headBytes.length + config.payloadSize()];
    System.arraycopy(headBytes, 0, all, 0, headBytes.length);
    for (int i = 0; i < config.payloadSize(); i++) {
      all[headBytes.length + i] = (byte) ('a' + i % 26);
    }
    return all;
  }

  @Override
  protected void initPipeline(Channel ch) {
    ResponseHandler handler = new ResponseHandler();
    current = handler;
    ch.pipeline().addLast("http1-decoder", new HttpResponseDecoder());
    ch.pipeline().addLast("http1-responses", handler);
  }

  @Override
  protected int capacity() {
    return 1;
  }

  @Override
  protected int inFlight() {
    ResponseHandler h = current;
    return h != null && h.intendedNanos >= 0 ? 1 : 0;
  }

  @Override
  protected void send(Channel ch, long intendedNanos) {
    current.intendedNanos = intendedNanos;
    current.status = -1;
    ch.write(Unpooled.wrappedBuffer(requestBytes)).addListener(onWriteFailure);
  }

  @Override
  protected void expireInFlight(long cutoffNanos, long nowNanos) {
    ResponseHandler h = current;
    if (h != null && h.intendedNanos >= 0 && h.intendedNanos <= cutoffNanos) {
      long intended = h.intendedNanos;
      h.intendedNanos = -1;
      record(intended, nowNanos, Outcome.TIMEOUT);
      // The late response would be mistaken for the next one's: this connection is done.
      retire(h.channel);
    }
  }

  @Override
  protected void failInFlight(Outcome outcome, long nowNanos) {
    ResponseHandler h = current;
    if (h != null && h.intendedNanos >= 0) {
      long intended = h.intendedNanos;
      h.intendedNanos = -1;
      record(intended, nowNanos, outcome);
    }
  }

  /**
   * Last handler of the HTTP/1.1 client pipeline: reads one response per request, releases its
   * content, and reports the outcome to the connection.
   */
  private final class ResponseHandler extends ChannelInboundHandlerAdapter {
    long intendedNanos = -1;
    int status = -1;
    boolean keepAlive;
    Channel channel;

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      channel = ctx.channel();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        if (((HttpObject) msg).decoderResult().isFailure() || intendedNanos < 0) {
          protocolError(ctx);
          return;
        }
        if (msg instanceof HttpResponse response) {
          int code = response.status().code();
          if (code >= 100 && code < 200 && code != 101) {
            return; // interim response; the final one follows
          }
          status = code;
          keepAlive = HttpUtil.isKeepAlive(response);
        }
        if (msg instanceof LastHttpContent && status >= 0) {
          long intended = intendedNanos;
          intendedNanos = -1;
          Outcome outcome = status >= 200 && status < 300 ? Outcome.SUCCESS : Outcome.NON_2XX;
          if (!keepAlive) {
            retire(ctx.channel());
          }
          record(intended, System.nanoTime(), outcome);
          pump();
        } else if (msg instanceof HttpContent && status < 0) {
          protocolError(ctx);
        }
      } finally {
        ReferenceCountUtil.release(msg);
      }
    }

    private void protocolError(ChannelHandlerContext ctx) {
      if (intendedNanos >= 0) {
        long intended = intendedNanos;
        intendedNanos = -1;
        record(intended, System.nanoTime(), Outcome.PROTOCOL_ERROR);
      }
      ctx.close();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close(); // the close is what the connection reacts to; in-flight becomes an I/O error
    }
  }
}
