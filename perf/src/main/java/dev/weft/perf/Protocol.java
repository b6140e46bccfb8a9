package dev.weft.perf;

import java.util.Locale;

/** The wire protocol a load run speaks to its target. */
public enum Protocol {
  /** HTTP/1.1 with keep-alive, one request in flight per connection. */
  H1,
  /** Cleartext HTTP/2 with prior knowledge; several concurrent streams per connection. */
  H2C,
  /** gRPC unary calls over cleartext HTTP/2 with prior knowledge. */
  GRPC;

  /** The name used on the command line and in reports ({@code h1}, {@code h2c}, {@code grpc}). */
  public String cliName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Whether the protocol multiplexes streams over HTTP/2. */
  public boolean isHttp2() {
    return this != H1;
  }

  /**
   * Parses a command-line name, case-insensitively.
   *
   * @throws IllegalArgumentException naming the value and the accepted names
   */
  public static Protocol parse(String value) {
    for (Protocol p : values()) {
      if (p.cliName().equalsIgnoreCase(value.trim())) {
        return p;
      }
    }
    throw new IllegalArgumentException(
        "protocol: '" + value + "' (expected: h1, h2c or grpc)");
  }
}
