package dev.weft.perf;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http2.DefaultHttp2Connection;
import io.netty.handler.codec.http2.DefaultHttp2ConnectionDecoder;
import io.netty.handler.codec.http2.DefaultHttp2ConnectionEncoder;
import io.netty.handler.codec.http2.DefaultHttp2FrameReader;
import io.netty.handler.codec.http2.DefaultHttp2FrameWriter;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2EventAdapter;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.util.AsciiString;
import io.netty.util.collection.IntObjectHashMap;

/**
 * The fixed-response server's HTTP/2 handler (prior knowledge, installed by
 * {@link ProtocolDetector}). Once a request stream has ended it answers:
 *
 * <ul>
 *   <li>gRPC ({@code content-type: application/grpc*}) on {@link LoadConfig#DEFAULT_GRPC_METHOD}:
 *       headers, one small length-prefixed message, trailers with {@code grpc-status: 0};
 *   <li>gRPC on any other method: a trailers-only response with {@code grpc-status: 12}
 *       (UNIMPLEMENTED);
 *   <li>anything else: {@code 200 text/plain} with the fixed 100-byte body.
 * </ul>
 *
 * Request bodies are returned to flow control as they arrive and never retained. Responses are
 * flushed once per read batch by {@link Http2ConnectionHandler#channelReadComplete}.
 */
final class Http2FixedResponder extends Http2ConnectionHandler {
  private static final AsciiString GRPC_PREFIX = AsciiString.cached("application/grpc");
  private static final AsciiString ECHO_METHOD = AsciiString.cached(LoadConfig.DEFAULT_GRPC_METHOD);
  private static final AsciiString STATUS_OK = AsciiString.cached("200");
  private static final byte[] GRPC_REPLY = grpcReply();

  private static final Http2Headers HTTP_HEADERS = new DefaultHttp2Headers()
      .status(STATUS_OK)
      .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.TEXT_PLAIN)
      .setInt(HttpHeaderNames.CONTENT_LENGTH, FixedResponseServer.BODY.length);
  private static final Http2Headers GRPC_HEADERS = new DefaultHttp2Headers()
      .status(STATUS_OK)
      .set(HttpHeaderNames.CONTENT_TYPE, GrpcMessages.CONTENT_TYPE);
  private static final Http2Headers GRPC_OK_TRAILERS = new DefaultHttp2Headers()
      .set(GrpcMessages.GRPC_STATUS, AsciiString.cached("0"));
  private static final Http2Headers GRPC_UNIMPLEMENTED = new DefaultHttp2Headers()
      .status(STATUS_OK)
      .set(HttpHeaderNames.CONTENT_TYPE, GrpcMessages.CONTENT_TYPE)
      .set(GrpcMessages.GRPC_STATUS, AsciiString.of(Integer.toString(GrpcMessages.STATUS_UNIMPLEMENTED)))
      .set(GrpcMessages.GRPC_MESSAGE, AsciiString.cached("unknown method"));

  /** What a stream asked for, decided from its request headers. */
  private enum Kind { HTTP, GRPC_ECHO, GRPC_UNKNOWN }

  private final IntObjectHashMap<Kind> open = new IntObjectHashMap<>();

  private Http2FixedResponder(Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder, Http2Settings settings) {
    super(decoder, encoder, settings);
  }

  /** Creates the handler for one server connection. */
  static Http2FixedResponder create(int maxConcurrentStreams) {
    Http2Connection connection = new DefaultHttp2Connection(true);
    Http2ConnectionEncoder encoder = new DefaultHttp2ConnectionEncoder(connection, new DefaultHttp2FrameWriter());
    Http2ConnectionDecoder decoder =
        new DefaultHttp2ConnectionDecoder(connection, encoder, new DefaultHttp2FrameReader());
    Http2Settings settings = new Http2Settings().maxConcurrentStreams(maxConcurrentStreams);
    Http2FixedResponder handler = new Http2FixedResponder(decoder, encoder, settings);
    decoder.frameListener(handler.new Listener());
    return handler;
  }

  private static byte[] grpcReply() {
    ByteBuf framed = GrpcMessages.framedPayload(UnpooledByteBufAllocator.DEFAULT, 16);
    try {
      return ByteBufUtil.getBytes(framed);
    } finally {
      framed.release();
    }
  }

  private void respond(ChannelHandlerContext ctx, int streamId, Kind kind) {
    Http2ConnectionEncoder enc = encoder();
    switch (kind) {
      case HTTP -> {
        enc.writeHeaders(ctx, streamId, HTTP_HEADERS, 0, false, ctx.newPromise());
        enc.writeData(ctx, streamId, Unpooled.wrappedBuffer(FixedResponseServer.BODY), 0, true, ctx.newPromise());
      }
      case GRPC_ECHO -> {
        enc.writeHeaders(ctx, streamId, GRPC_HEADERS, 0, false, ctx.newPromise());
        enc.writeData(ctx, streamId, Unpooled.wrappedBuffer(GRPC_REPLY), 0, false, ctx.newPromise());
        enc.writeHeaders(ctx, streamId, GRPC_OK_TRAILERS, 0, true, ctx.newPromise());
      }
      case GRPC_UNKNOWN -> enc.writeHeaders(ctx, streamId, GRPC_UNIMPLEMENTED, 0, true, ctx.newPromise());
    }
  }

  /** Turns request frames into responses. */
  private final class Listener extends Http2EventAdapter {
    @Override
    public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int padding,
        boolean endStream) {
      Kind kind = open.get(streamId);
      if (kind == null) {
        CharSequence contentType = headers.get(HttpHeaderNames.CONTENT_TYPE);
        boolean grpc = contentType != null && AsciiString.of(contentType).startsWith(GRPC_PREFIX);
        kind = !grpc ? Kind.HTTP
            : ECHO_METHOD.contentEquals(headers.path()) ? Kind.GRPC_ECHO : Kind.GRPC_UNKNOWN;
      }
      if (endStream) {
        open.remove(streamId);
        respond(ctx, streamId, kind);
      } else {
        open.put(streamId, kind);
      }
    }

    @Override
    public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int streamDependency,
        short weight, boolean exclusive, int padding, boolean endStream) {
      onHeadersRead(ctx, streamId, headers, padding, endStream);
    }

    @Override
    public int onDataRead(ChannelHandlerContext ctx, int streamId, ByteBuf data, int padding, boolean endOfStream) {
      int processed = data.readableBytes() + padding;
      if (endOfStream) {
        Kind kind = open.remove(streamId);
        if (kind != null) {
          respond(ctx, streamId, kind);
        }
      }
      return processed;
    }

    @Override
    public void onRstStreamRead(ChannelHandlerContext ctx, int streamId, long errorCode) {
      open.remove(streamId);
    }
  }
}
