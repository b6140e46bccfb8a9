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
  UPSTREAM_TIMEOUT(504, 4, "upstream_timeout", "upstream request timeout");

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
