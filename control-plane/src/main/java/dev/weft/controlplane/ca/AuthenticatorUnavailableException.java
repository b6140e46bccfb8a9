package dev.weft.controlplane.ca;

/**
 * Thrown when a token cannot be checked right now, for example because the Kubernetes API server
 * is unreachable. The CA service answers {@code UNAVAILABLE}, which callers retry.
 */
public final class AuthenticatorUnavailableException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what could not be reached
   * @param cause the underlying error
   */
  public AuthenticatorUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
