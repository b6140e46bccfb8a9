package dev.weft.perf;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpScheme;
import io.netty.handler.codec.http2.DefaultHttp2Connection;
import io.netty.handler.codec.http2.DefaultHttp2ConnectionDecoder;
import io.netty.handler.codec.http2.DefaultHttp2ConnectionEncoder;
import io.netty.handler.codec.http2.DefaultHttp2FrameReader;
import io.netty.handler.codec.http2.DefaultHttp2FrameWriter;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2EventAdapter;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.util.AsciiString;
import io.netty.util.collection.IntObjectHashMap;
import io.netty.util.collection.IntObjectMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Cleartext HTTP/2 (prior knowledge) load connection, for plain h2c requests and gRPC unary
 * calls. Up to {@link LoadConfig#streamsPerConnection()} streams are in flight at once, never
 * more than the server's {@code SETTINGS_MAX_CONCURRENT_STREAMS}.
 *
 * <p>A lean frame-level client: one {@link Http2ConnectionHandler} whose frame listener tracks
 * each stream's intended send time, status and (gRPC) {@code grpc-status}; no child channels.
 * Response data is counted and returned to flow control, never retained. New requests are sent
 * from {@code channelReadComplete}, after the decoder has closed finished streams, so completions
 * never race the concurrent-stream limit and sends are flushed in one batch.
 */
final class Http2LoadConnection extends LoadConnection {
  private static final AsciiString USER_AGENT = AsciiString.cached("weft-bench");

  private final boolean grpc;
  private final Http2Headers requestHeaders;
  private final byte[] body;
  private ClientHandler current;

  Http2LoadConnection(LoadConfig config, EventLoop loop, Bootstrap bootstrap, AtomicLong budget, int index) {
    super(config, loop, bootstrap, budget, index);
    this.grpc = config.protocol() == Protocol.GRPC;
    this.requestHeaders = requestHeaders(config);
    this.body = requestBody(config);
  }

  static Http2Headers requestHeaders(LoadConfig config) {
    boolean grpc = config.protocol() == Protocol.GRPC;
    Http2Headers headers = new DefaultHttp2Headers()
        .method((grpc || config.payloadSize() > 0 ? HttpMethod.POST : HttpMethod.GET).asciiName())
        .scheme(HttpScheme.HTTP.name())
        .path(config.path())
        .authority(config.authority());
    headers.set(HttpHeaderNames.USER_AGENT, USER_AGENT);
    if (grpc) {
      headers.set(HttpHeaderNames.CONTENT_TYPE, GrpcMessages.CONTENT_TYPE);
      headers.set(GrpcMessages.TE, GrpcMessages.TRAILERS);
    } else if (config.payloadSize() > 0) {
      headers.set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_OCTET_STREAM);
      headers.setInt(HttpHeaderNames.CONTENT_LENGTH, config.payloadSize());
    }
    return headers;
  }

  /** The request body sent on every stream, or null for a GET. */
  static byte[] requestBody(LoadConfig config) {
    if (config.protocol() == Protocol.GRPC) {
      ByteBuf framed = GrpcMessages.framedPayload(UnpooledByteBufAllocator.DEFAULT, config.payloadSize());
      try {
        return ByteBufUtil.getBytes(framed);
      } finally {
        framed.release();
      }
    }
    if (config.payloadSize() == 0) {
      return null;
    }
    byte[] bytes = new byte[config.payloadSize()];
    for (int i = 0; i < bytes.length; i++) {
      bytes[i] = (byte) ('a' + i % 26);
    }
    return bytes;
  }

  @Override
  protected void initPipeline(Channel ch) {
    Http2Connection connection = new DefaultHttp2Connection(false);
    Http2ConnectionEncoder encoder = new DefaultHttp2ConnectionEncoder(connection, new DefaultHttp2FrameWriter());
    Http2ConnectionDecoder decoder =
        new DefaultHttp2ConnectionDecoder(connection, encoder, new DefaultHttp2FrameReader());
    Http2Settings settings = new Http2Settings().pushEnabled(false);
    ClientHandler handler = new ClientHandler(decoder, encoder, settings);
    decoder.frameListener(handler.frames);
    connection.addListener(handler.lifecycle);
    current = handler;
    ch.pipeline().addLast("h2-client", handler);
  }

  @Override
  protected int capacity() {
    ClientHandler h = current;
    if (h == null || h.draining) {
      return 0;
    }
    Http2Connection.Endpoint<?> local = h.connection().local();
    // Our in-flight streams plus what the peer still lets us open; streams that have completed
    // but are not yet closed by the decoder count against the peer's limit until then.
    long allowed = (long) h.streams.size() + local.maxActiveStreams() - local.numActiveStreams();
    return (int) Math.max(0, Math.min(config.streamsPerConnection(), allowed));
  }

  @Override
  protected int inFlight() {
    ClientHandler h = current;
    return h == null ? 0 : h.streams.size();
  }

  @Override
  protected void send(Channel ch, long intendedNanos) {
    ClientHandler h = current;
    ChannelHandlerContext ctx = h.ctx;
    int streamId = h.connection().local().incrementAndGetNextStreamId();
    if (streamId < 0) {
      // Stream ids exhausted: finish this connection and continue on a fresh one.
      record(intendedNanos, System.nanoTime(), Outcome.IO_ERROR);
      h.draining = true;
      return;
    }
    h.streams.put(streamId, new Exchange(intendedNanos));
    boolean hasBody = body != null;
    h.encoder().writeHeaders(ctx, streamId, requestHeaders, 0, !hasBody, ctx.newPromise())
        .addListener(f -> {
          // A stream that was never opened gets no close event: account for it here.
          if (!f.isSuccess()) {
            Exchange ex = h.streams.remove(streamId);
            if (ex != null) {
              record(ex.intendedNanos, System.nanoTime(), Outcome.IO_ERROR);
            }
          }
        });
    if (hasBody) {
      h.encoder().writeData(ctx, streamId, Unpooled.wrappedBuffer(body), 0, true, ctx.newPromise());
    }
  }

  @Override
  protected void expireInFlight(long cutoffNanos, long nowNanos) {
    ClientHandler h = current;
    if (h == null || h.streams.isEmpty()) {
      return;
    }
    int[] expired = null;
    int n = 0;
    for (IntObjectMap.PrimitiveEntry<Exchange> e : h.streams.entries()) {
      if (e.value().intendedNanos <= cutoffNanos) {
        if (expired == null) {
          expired = new int[h.streams.size()];
        }
        expired[n++] = e.key();
      }
    }
    for (int i = 0; i < n; i++) {
      Exchange ex = h.streams.remove(expired[i]);
      record(ex.intendedNanos, nowNanos, Outcome.TIMEOUT);
      h.encoder().writeRstStream(h.ctx, expired[i], Http2Error.CANCEL.code(), h.ctx.newPromise());
    }
    if (n > 0) {
      h.ctx.flush();
    }
  }

  @Override
  protected void failInFlight(Outcome outcome, long nowNanos) {
    ClientHandler h = current;
    if (h == null) {
      return;
    }
    for (Exchange ex : h.streams.values()) {
      record(ex.intendedNanos, nowNanos, outcome);
    }
    h.streams.clear();
  }

  /** Per-stream state of one request. */
  private static final class Exchange {
    final long intendedNanos;
    int status = -1;
    int grpcStatus = -1;

    Exchange(long intendedNanos) {
      this.intendedNanos = intendedNanos;
    }
  }

  /**
   * The only handler of the HTTP/2 client pipeline: the connection handler (preface, settings,
   * flow control, HPACK) plus listeners that turn frames into request outcomes.
   */
  private final class ClientHandler extends Http2ConnectionHandler {
    final IntObjectHashMap<Exchange> streams = new IntObjectHashMap<>();
    ChannelHandlerContext ctx;
    boolean draining;

    final Http2EventAdapter frames = new Http2EventAdapter() {
      @Override
      public void onHeadersRead(ChannelHandlerContext c, int streamId, Http2Headers headers,
          int padding, boolean endStream) {
        Exchange ex = streams.get(streamId);
        if (ex == null) {
          return; // timed out and reset; late frames are ignored
        }
        if (ex.status < 0) {
          CharSequence status = headers.status();
          ex.status = status == null ? 0 : GrpcMessages.parseStatus(status);
          if (ex.status >= 100 && ex.status < 200 && !endStream) {
            ex.status = -1; // interim response
            return;
          }
        }
        if (grpc) {
          CharSequence grpcStatus = headers.get(GrpcMessages.GRPC_STATUS);
          if (grpcStatus != null) {
            ex.grpcStatus = GrpcMessages.parseStatus(grpcStatus);
          }
        }
        if (endStream) {
          complete(streamId, ex);
        }
      }

      @Override
      public void onHeadersRead(ChannelHandlerContext c, int streamId, Http2Headers headers,
          int streamDependency, short weight, boolean exclusive, int padding, boolean endStream) {
        onHeadersRead(c, streamId, headers, padding, endStream);
      }

      @Override
      public int onDataRead(ChannelHandlerContext c, int streamId, ByteBuf data, int padding,
          boolean endOfStream) {
        int processed = data.readableBytes() + padding;
        Exchange ex = streams.get(streamId);
        if (ex != null && endOfStream) {
          complete(streamId, ex);
        }
        return processed;
      }

      @Override
      public void onRstStreamRead(ChannelHandlerContext c, int streamId, long errorCode) {
        Exchange ex = streams.remove(streamId);
        if (ex != null) {
          record(ex.intendedNanos, System.nanoTime(), Outcome.IO_ERROR);
        }
      }

      @Override
      public void onGoAwayRead(ChannelHandlerContext c, int lastStreamId, long errorCode, ByteBuf debugData) {
        draining = true; // finish what the server accepted, then reconnect
      }
    };

    final Http2ConnectionAdapter lifecycle = new Http2ConnectionAdapter() {
      @Override
      public void onStreamClosed(Http2Stream stream) {
        Exchange ex = streams.remove(stream.id());
        if (ex != null) {
          record(ex.intendedNanos, System.nanoTime(), Outcome.IO_ERROR);
        }
      }
    };

    ClientHandler(Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder, Http2Settings settings) {
      super(decoder, encoder, settings);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
      this.ctx = ctx;
      super.handlerAdded(ctx);
    }

    private void complete(int streamId, Exchange ex) {
      streams.remove(streamId);
      Outcome outcome;
      if (ex.status <= 0) {
        outcome = Outcome.PROTOCOL_ERROR;
      } else if (ex.status < 200 || ex.status >= 300) {
        outcome = Outcome.NON_2XX;
      } else if (!grpc) {
        outcome = Outcome.SUCCESS;
      } else if (ex.grpcStatus < 0) {
        outcome = Outcome.PROTOCOL_ERROR;
      } else {
        outcome = ex.grpcStatus == 0 ? Outcome.SUCCESS : Outcome.NON_2XX;
      }
      record(ex.intendedNanos, System.nanoTime(), outcome);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
      if (this == current) {
        if (draining && streams.isEmpty()) {
          retire(ctx.channel());
        } else {
          pump();
        }
      }
      super.channelReadComplete(ctx);
    }
  }
}
