package dev.weft.perf;

/**
 * How one request ended. Every request the generator issues inside the measurement window is
 * counted under exactly one outcome.
 */
public enum Outcome {
  /** A complete response with a 2xx status (and, for gRPC, {@code grpc-status: 0}). */
  SUCCESS,
  /** A complete response with a non-2xx status, or a gRPC response whose status is not OK. */
  NON_2XX,
  /** No complete response within the per-request timeout, measured from the intended send time. */
  TIMEOUT,
  /** The connection the request was meant for could not be established. */
  CONNECT_ERROR,
  /** The connection or stream failed (closed, reset, write failure) before the response completed. */
  IO_ERROR,
  /** The peer answered with something the client could not accept (malformed or missing status). */
  PROTOCOL_ERROR;

  /** Whether the outcome is an error (neither a response nor a timeout). */
  public boolean isError() {
    return this == CONNECT_ERROR || this == IO_ERROR || this == PROTOCOL_ERROR;
  }

  /** Whether the request completed with a response whose latency is recorded. */
  public boolean hasResponse() {
    return this == SUCCESS || this == NON_2XX;
  }
}
