package dev.weft.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;

/**
 * Builds the responses the proxy sends itself. gRPC requests get a trailers-only gRPC response
 * (HTTP 200 with {@code grpc-status}), everything else the HTTP status and a short text body.
 */
public final class LocalReplies {

  private LocalReplies() {}

  /** Envoy's header on replies shed by a circuit breaker ({@link ProxyError#OVERFLOW}). */
  public static final String OVERLOADED_HEADER = "x-envoy-overloaded";

  public static FullHttpResponse error(ByteBufAllocator alloc, ProxyError error, boolean grpc, boolean close) {
    return error(alloc, error, error.status(), error.grpcStatus(), grpc, close);
  }

  /**
   * As {@link #error(ByteBufAllocator, ProxyError, boolean, boolean)} with the statuses chosen by
   * config (a fault abort, a route's {@code cluster_not_found_response_code}).
   */
  public static FullHttpResponse error(ByteBufAllocator alloc, ProxyError error, int status, int grpcStatus,
      boolean grpc, boolean close) {
    FullHttpResponse r = reply(alloc, error, status, grpcStatus, grpc, close);
    if (error == ProxyError.OVERFLOW) {
      r.headers().set(OVERLOADED_HEADER, "true");
    }
    return r;
  }

  private static FullHttpResponse reply(ByteBufAllocator alloc, ProxyError error, int status, int grpcStatus,
      boolean grpc, boolean close) {
    if (grpc) {
      FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
          alloc.buffer(0));
      HttpHeaders h = r.headers();
      h.set(HttpHeaderNames.CONTENT_TYPE, "application/grpc");
      h.set("grpc-status", Integer.toString(grpcStatus));
      h.set("grpc-message", error.body());
      h.set(ProxyError.HEADER, error.reason());
      h.setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
      if (close) {
        h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      }
      return r;
    }
    FullHttpResponse r = response(alloc, status, (error.body() + "\n").getBytes(StandardCharsets.UTF_8),
        "text/plain", close);
    r.headers().set(ProxyError.HEADER, error.reason());
    return r;
  }

  public static FullHttpResponse response(ByteBufAllocator alloc, int status, byte[] body, String contentType,
      boolean close) {
    ByteBuf content = alloc.buffer(body.length).writeBytes(body);
    FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status), content);
    HttpHeaders h = r.headers();
    if (body.length > 0 && contentType != null) {
      h.set(HttpHeaderNames.CONTENT_TYPE, contentType);
    }
    h.setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
    if (close) {
      h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    }
    return r;
  }
}
