package dev.weft.perf;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.AsciiString;

/**
 * Minimal gRPC wire framing for the benchmark echo method, with no generated code.
 *
 * <p>A gRPC message on HTTP/2 is a 5-byte prefix (1 byte compressed flag, 4 bytes big-endian
 * length) followed by the serialized protobuf. The benchmark's request and response messages are
 * both {@code message Payload { bytes body = 1; }}, so a message is the tag byte {@code 0x0a}, a
 * varint length and the bytes; a real gRPC server with that schema can answer the generator.
 */
final class GrpcMessages {
  /** {@code content-type} of gRPC requests and responses. */
  static final AsciiString CONTENT_TYPE = AsciiString.cached("application/grpc");
  /** Trailer (or trailers-only header) carrying the status code. */
  static final AsciiString GRPC_STATUS = AsciiString.cached("grpc-status");
  /** Optional human-readable status message. */
  static final AsciiString GRPC_MESSAGE = AsciiString.cached("grpc-message");
  /** {@code te: trailers}, required on gRPC requests. */
  static final AsciiString TE = AsciiString.cached("te");
  static final AsciiString TRAILERS = AsciiString.cached("trailers");
  /** Length of the message prefix. */
  static final int PREFIX_LENGTH = 5;
  /** gRPC status code for an unknown method. */
  static final int STATUS_UNIMPLEMENTED = 12;

  private static final int BYTES_FIELD_1_TAG = 0x0a;

  private GrpcMessages() {}

  /**
   * Writes one length-prefixed, uncompressed message whose protobuf body holds {@code payloadSize}
   * bytes in field 1. An empty payload encodes as an empty message.
   */
  static ByteBuf framedPayload(ByteBufAllocator alloc, int payloadSize) {
    int messageLength = payloadSize == 0 ? 0 : 1 + varintSize(payloadSize) + payloadSize;
    ByteBuf buf = alloc.buffer(PREFIX_LENGTH + messageLength);
    buf.writeByte(0);
    buf.writeInt(messageLength);
    if (payloadSize > 0) {
      buf.writeByte(BYTES_FIELD_1_TAG);
      writeVarint(buf, payloadSize);
      for (int i = 0; i < payloadSize; i++) {
        buf.writeByte('a' + i % 26);
      }
    }
    return buf;
  }

  /**
   * Parses a {@code grpc-status} value.
   *
   * @return the status code, or -1 when the value is absent or not a number
   */
  static int parseStatus(CharSequence value) {
    if (value == null || value.isEmpty() || value.length() > 3) {
      return -1;
    }
    int status = 0;
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      status = status * 10 + (c - '0');
    }
    return status;
  }

  static int varintSize(int value) {
    int size = 1;
    while ((value & ~0x7f) != 0) {
      value >>>= 7;
      size++;
    }
    return size;
  }

  private static void writeVarint(ByteBuf buf, int value) {
    while ((value & ~0x7f) != 0) {
      buf.writeByte((value & 0x7f) | 0x80);
      value >>>= 7;
    }
    buf.writeByte(value);
  }
}
