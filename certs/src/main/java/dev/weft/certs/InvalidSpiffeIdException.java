package dev.weft.certs;

/** Thrown when a string is not a valid SPIFFE ID or trust domain; the message says why. */
public final class InvalidSpiffeIdException extends IllegalArgumentException {

  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what is wrong and what was expected
   */
  public InvalidSpiffeIdException(String message) {
    super(message);
  }
}
