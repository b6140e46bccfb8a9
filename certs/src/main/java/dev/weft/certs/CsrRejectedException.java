package dev.weft.certs;

/**
 * Thrown when the CA refuses a certificate signing request: bad signature, weak or unsupported
 * key, or a requested identity other than the caller's. The message names the offending value and
 * what was expected; a CA service maps this to an "invalid argument" reply rather than an internal
 * error.
 */
public final class CsrRejectedException extends IllegalArgumentException {

  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what was wrong with the request and what was expected
   */
  public CsrRejectedException(String message) {
    super(message);
  }

  /**
   * Creates the exception with a cause.
   *
   * @param message what was wrong with the request and what was expected
   * @param cause the underlying error
   */
  public CsrRejectedException(String message, Throwable cause) {
    super(message, cause);
  }
}
