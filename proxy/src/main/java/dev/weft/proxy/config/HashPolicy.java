package dev.weft.proxy.config;

import java.time.Duration;

/**
 * One of a route's {@code hash_policy} entries: what a request's hash for RING_HASH and MAGLEV is
 * computed from. Policies are evaluated in order and their hashes combined, as Envoy does;
 * a {@code terminal} policy that produced a hash stops the evaluation.
 */
public sealed interface HashPolicy {

  boolean terminal();

  /** The values of request header {@code name} (lower case). */
  record Header(String name, boolean terminal) implements HashPolicy {}

  /**
   * The value of cookie {@code name}. With a {@code ttl}, a request without the cookie gets one
   * generated (and a {@code Set-Cookie} with {@code path} and {@code Max-Age}; a zero ttl makes a
   * session cookie).
   *
   * @param ttl null when not set: a request without the cookie has no hash from this policy
   */
  record Cookie(String name, String path, Duration ttl, boolean terminal) implements HashPolicy {}

  /** The downstream connection's source IP address. */
  record SourceIp(boolean terminal) implements HashPolicy {}
}
