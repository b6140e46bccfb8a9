package dev.weft.controlplane.ca;

import dev.weft.certs.SpiffeId;

/**
 * Decides who is calling the CA service from the bearer token in the request's {@code
 * authorization} metadata. The SPIFFE ID it returns is the only identity the CA certifies for the
 * call; the CSR merely proposes the key.
 *
 * <p>Implementations may block (a Kubernetes TokenReview is a network call); the CA service calls
 * them off the gRPC event loop. They must be thread-safe.
 */
public interface Authenticator {

  /**
   * Authenticates a bearer token.
   *
   * @param token the token, without the {@code Bearer } prefix; never empty
   * @return the caller's workload identity
   * @throws AuthenticationException if the token is unknown, expired or not for this CA
   * @throws AuthenticatorUnavailableException if the token cannot be checked right now
   */
  SpiffeId authenticate(String token) throws AuthenticationException;
}
