package dev.weft.proxy.http;

/**
 * Every reason the proxy answers a request itself, with its HTTP status, the gRPC status used
 * for gRPC requests, and the reason string shown in the {@code x-weft-error} header and the
 * {@code reason} metric label. This enum is the single table from failures to responses.
 */
public enum ProxyError {
  BAD_REQUEST(400, 13, "bad_request", "bad request"),
  INVALID_PATH(400, 13, "invalid_path", "invalid request path"),
  RBAC_ACCESS_DENIED(403, 7, "rbac_access_denied", "RBAC: access denied"),
  HEADERS_TOO_LARGE(431, 13, "headers_too_large", "request headers too large"),
  URI_TOO_LONG(414, 13, "uri_too_long", "request URI too long"),
  ROUTE_NOT_FOUND(404, 12, "route_not_found", "no route"),
  UPGRADE_FAILED(403, 7, "upgrade_failed", "upgrade not allowed"),
  CLUSTER_NOT_FOUND(503, 14, "cluster_not_found", "cluster not found"),
  NO_HEALTHY_UPSTREAM(503, 14, "no_healthy_upstream", "no healthy upstream"),
  UPSTREAM_CONNECT_FAILURE(503, 14, "upstream_connect_failure",
      "upstream connect error or disconnect/reset before headers. reset reason: connection failure"),
  UPSTREAM_RESET(503, 14, "upstream_reset",
      "upstream connect error or disconnect/reset before headers. reset reason: connection termination"),
  /** A circuit breaker of the cluster is full (Envoy's overflow; also sets {@code x-envoy-overloaded}). */
  OVERFLOW(503, 14, "overflow",
      "upstream connect error or disconnect/reset before headers. reset reason: overflow"),
  UPSTREAM_PROTOCOL_ERROR(502, 14, "upstream_protocol_error", "upstream sent an invalid response"),
  UPSTREAM_TIMEOUT(504, 4, "upstream_timeout", "upstream request timeout"),
  /** No byte moved either way for the route's idle_timeout (or the HCM's stream_idle_timeout). */
  STREAM_IDLE_TIMEOUT(408, 4, "stream_idle_timeout", "stream timeout"),
  /** The request outlived the route's (or the HCM's) max_stream_duration. */
  MAX_STREAM_DURATION(408, 4, "max_stream_duration", "downstream duration timeout"),
  /** The fault filter aborted the request; the status comes from its config. */
  FAULT_ABORT(503, 14, "fault_abort", "fault filter abort");

  /** The response header carrying {@link #reason()}. */
  public static final String HEADER = "x-weft-error";

  private final int status;
  private final int grpcStatus;
  private final String reason;
  private final String body;

  ProxyError(int status, int grpcStatus, String reason, String body) {
    this.status = status;
    this.grpcStatus = grpcStatus;
    this.reason = reason;
    this.body = body;
  }

  public int status() {
    return status;
  }

  /**
   * The gRPC status Envoy sends for a local reply with HTTP {@code status} (its
   * {@code Grpc::Utility::httpToGrpcStatus}).
   */
  public static int grpcStatusOf(int status) {
    return switch (status) {
      case 400 -> 13;
      case 401 -> 16;
      case 403 -> 7;
      case 404 -> 12;
      case 429, 502, 503, 504 -> 14;
      default -> 2;
    };
  }

  /** The HTTP status Envoy sends for gRPC status {@code grpcStatus} to a non-gRPC client. */
  public static int httpStatusOf(int grpcStatus) {
    return switch (grpcStatus) {
      case 0 -> 200;
      case 1 -> 499;
      case 3, 9, 11 -> 400;
      case 4 -> 504;
      case 5, 12 -> 404;
      case 6, 10 -> 409;
      case 7 -> 403;
      case 8 -> 429;
      case 14 -> 503;
      case 16 -> 401;
      default -> 500;
    };
  }

  /** gRPC status code sent in a trailers-only response to gRPC requests (as Envoy does). */
  public int grpcStatus() {
    return grpcStatus;
  }

  public String reason() {
    return reason;
  }

  public String body() {
    return body;
  }
}
