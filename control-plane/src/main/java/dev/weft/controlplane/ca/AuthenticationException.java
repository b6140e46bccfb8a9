package dev.weft.controlplane.ca;

/**
 * Thrown when a caller's token does not authenticate it. The CA service answers {@code
 * UNAUTHENTICATED} with the message, which must never contain the token itself.
 */
public final class AuthenticationException extends Exception {

  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message why the token was refused, without the token
   */
  public AuthenticationException(String message) {
    super(message);
  }
}
