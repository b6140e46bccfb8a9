package dev.weft.proxy.http;

/** Parses the gRPC {@code grpc-timeout} header: up to 8 digits and a unit (H, M, S, m, u, n). */
final class GrpcTimeout {
  private GrpcTimeout() {}

  /** Nanoseconds, 0 when absent, -1 when malformed. */
  static long parse(String value) {
    if (value == null) {
      return 0;
    }
    int n = value.length();
    if (n < 2 || n > 9) {
      return -1;
    }
    long amount = 0;
    for (int i = 0; i < n - 1; i++) {
      char c = value.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      amount = amount * 10 + (c - '0');
    }
    return switch (value.charAt(n - 1)) {
      case 'H' -> amount * 3_600_000_000_000L;
      case 'M' -> amount * 60_000_000_000L;
      case 'S' -> amount * 1_000_000_000L;
      case 'm' -> amount * 1_000_000L;
      case 'u' -> amount * 1_000L;
      case 'n' -> amount;
      default -> -1;
    };
  }

  /** Formats a timeout for the {@code grpc-timeout} header (whole milliseconds rounded down, at least 1; seconds when longer). */
  static String format(long nanos) {
    long ms = Math.max(1, nanos / 1_000_000);
    if (ms <= 99_999_999) {
      return ms + "m";
    }
    return Math.min(99_999_999, (ms + 999) / 1000) + "S";
  }
}
