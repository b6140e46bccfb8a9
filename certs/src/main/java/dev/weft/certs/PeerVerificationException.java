package dev.weft.certs;

import java.security.cert.CertificateException;

/**
 * Thrown when a presented certificate chain does not verify against a {@link TrustBundle}. It is a
 * {@link CertificateException}, so a TLS trust manager can throw it as is. The message names the
 * certificate, the reason and what was expected.
 */
public final class PeerVerificationException extends CertificateException {

  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message why the chain was rejected
   */
  public PeerVerificationException(String message) {
    super(message);
  }

  /**
   * Creates the exception with a cause.
   *
   * @param message why the chain was rejected
   * @param cause the underlying validation error
   */
  public PeerVerificationException(String message, Throwable cause) {
    super(message, cause);
  }
}
