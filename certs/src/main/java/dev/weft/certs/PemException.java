package dev.weft.certs;

/** Thrown when PEM text cannot be read as the expected object; the message says what was found. */
public final class PemException extends IllegalArgumentException {

  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what was found and what was expected
   */
  public PemException(String message) {
    super(message);
  }

  /**
   * Creates the exception with a cause.
   *
   * @param message what was found and what was expected
   * @param cause the parser's error
   */
  public PemException(String message, Throwable cause) {
    super(message, cause);
  }
}
