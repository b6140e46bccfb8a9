package dev.weft.proxy.identity;

/**
 * A failed CreateCertificate call, with the gRPC status the CA answered (or the one a transport
 * failure stands for: {@code UNAVAILABLE} when the CA cannot be reached, {@code DEADLINE_EXCEEDED}
 * on timeout) and its message.
 */
public final class CaClientException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** gRPC status names by code. */
  private static final String[] NAMES = {
      "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
      "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
      "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"};

  /** gRPC status code UNKNOWN. */
  public static final int UNKNOWN = 2;
  /** gRPC status code DEADLINE_EXCEEDED. */
  public static final int DEADLINE_EXCEEDED = 4;
  /** gRPC status code PERMISSION_DENIED. */
  public static final int PERMISSION_DENIED = 7;
  /** gRPC status code RESOURCE_EXHAUSTED. */
  public static final int RESOURCE_EXHAUSTED = 8;
  /** gRPC status code INTERNAL. */
  public static final int INTERNAL = 13;
  /** gRPC status code UNAVAILABLE. */
  public static final int UNAVAILABLE = 14;
  /** gRPC status code UNAUTHENTICATED. */
  public static final int UNAUTHENTICATED = 16;

  private final int status;
  private final String statusMessage;

  /**
   * Creates the exception.
   *
   * @param status the gRPC status code
   * @param statusMessage the status message (grpc-message), or a description of the local failure
   * @param cause the local cause, or null
   */
  public CaClientException(int status, String statusMessage, Throwable cause) {
    super("CA CreateCertificate failed: " + statusName(status) + ": " + statusMessage, cause);
    this.status = status;
    this.statusMessage = statusMessage;
  }

  /** Returns the gRPC status code. */
  public int status() {
    return status;
  }

  /** Returns the status name, e.g. {@code PERMISSION_DENIED}. */
  public String statusName() {
    return statusName(status);
  }

  /** Returns the status message as the CA sent it. */
  public String statusMessage() {
    return statusMessage;
  }

  /** Returns the name of a gRPC status code, or {@code STATUS_<n>} for an unknown one. */
  public static String statusName(int code) {
    return code >= 0 && code < NAMES.length ? NAMES[code] : "STATUS_" + code;
  }
}
