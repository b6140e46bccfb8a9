package dev.weft.proxy.grpc;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/**
 * The gRPC-over-HTTP/2 wire details shared by the sidecar's hand-written gRPC clients (the CA
 * client's unary calls and the ADS stream): message framing, {@code grpc-message} decoding and
 * the status of a response that is not gRPC at all.
 */
public final class GrpcFrames {
  private GrpcFrames() {}

  /** One uncompressed message with its 5-byte prefix (flag 0, big-endian length). */
  public static ByteBuf frame(byte[] message) {
    ByteBuf body = Unpooled.buffer(5 + message.length);
    body.writeByte(0).writeInt(message.length).writeBytes(message);
    return body;
  }

  /** A {@code grpc-message} trailer, percent-decoded ('+' stays '+'); malformed input is kept as is. */
  public static String decodeMessage(String message) {
    if (message.indexOf('%') < 0) {
      return message;
    }
    try {
      return URLDecoder.decode(message.replace("+", "%2B"), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return message;
    }
  }

  /** The gRPC status for an HTTP status that is not 200 (the gRPC spec's mapping). */
  public static int statusFromHttp(String httpStatus) {
    return switch (httpStatus == null ? "" : httpStatus) {
      case "400" -> 13; // INTERNAL
      case "401" -> 16; // UNAUTHENTICATED
      case "403" -> 7;  // PERMISSION_DENIED
      case "404" -> 12; // UNIMPLEMENTED
      case "429", "502", "503", "504" -> 14; // UNAVAILABLE
      default -> 2;     // UNKNOWN
    };
  }

  /** The innermost cause's message, with the outer one when they differ (TLS wraps the useful one). */
  public static String rootMessage(Throwable error) {
    Throwable t = error;
    for (int i = 0; i < 10 && t.getCause() != null && t.getCause() != t; i++) {
      t = t.getCause();
    }
    return t == error ? String.valueOf(error) : error + " (cause: " + t + ")";
  }
}
