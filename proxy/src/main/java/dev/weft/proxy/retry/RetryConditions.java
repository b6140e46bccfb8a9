package dev.weft.proxy.retry;

import dev.weft.proxy.config.RetryPolicy;
import dev.weft.proxy.config.RetryPolicy.Condition;

/** Whether an attempt's outcome matches a retry policy's {@code retry_on}, with Envoy's meaning of each condition. */
public final class RetryConditions {
  private RetryConditions() {}

  /** How an attempt failed before a response arrived. */
  public enum Failure {
    /** The connection to the endpoint could not be opened. */
    CONNECT_FAILURE,
    /** The connection or stream was closed or reset before response headers. */
    RESET,
    /** The HTTP/2 stream was refused by the peer (RST_STREAM REFUSED_STREAM). */
    REFUSED_STREAM,
    /** The attempt's per-try timeout fired before response headers. */
    PER_TRY_TIMEOUT
  }

  /**
   * A response status: {@code 5xx} any status >= 500, {@code gateway-error} 502, 503 and 504,
   * {@code retriable-4xx} 409, {@code retriable-status-codes} the listed ones.
   */
  public static boolean retriableStatus(RetryPolicy p, int status) {
    if (status >= 500 && p.on(Condition.FIVE_XX)) {
      return true;
    }
    if ((status == 502 || status == 503 || status == 504) && p.on(Condition.GATEWAY_ERROR)) {
      return true;
    }
    if (status == 409 && p.on(Condition.RETRIABLE_4XX)) {
      return true;
    }
    return p.on(Condition.RETRIABLE_STATUS_CODES) && p.retriableStatusCodes().contains(status);
  }

  /** A gRPC status from a trailers-only response (or response headers). */
  public static boolean retriableGrpc(RetryPolicy p, int grpcStatus) {
    return switch (grpcStatus) {
      case 1 -> p.on(Condition.GRPC_CANCELLED);
      case 4 -> p.on(Condition.GRPC_DEADLINE_EXCEEDED);
      case 8 -> p.on(Condition.GRPC_RESOURCE_EXHAUSTED);
      case 13 -> p.on(Condition.GRPC_INTERNAL);
      case 14 -> p.on(Condition.GRPC_UNAVAILABLE);
      default -> false;
    };
  }

  /**
   * A failure before response headers. As Envoy: {@code 5xx}, {@code gateway-error} and
   * {@code reset} cover every such failure (it would become a 503 or 504); {@code connect-failure}
   * and {@code refused-stream} only their own.
   */
  public static boolean retriableFailure(RetryPolicy p, Failure f) {
    if (p.on(Condition.FIVE_XX) || p.on(Condition.GATEWAY_ERROR) || p.on(Condition.RESET)) {
      return true;
    }
    return switch (f) {
      case CONNECT_FAILURE -> p.on(Condition.CONNECT_FAILURE);
      case REFUSED_STREAM -> p.on(Condition.REFUSED_STREAM);
      case RESET, PER_TRY_TIMEOUT -> false;
    };
  }

  /** Parses a {@code grpc-status} value; -1 when absent or malformed. */
  public static int grpcStatus(CharSequence value) {
    if (value == null || value.isEmpty() || value.length() > 2) {
      return -1;
    }
    int n = 0;
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      n = n * 10 + (c - '0');
    }
    return n;
  }
}
