package dev.weft.proxy.config;

import java.util.List;

/**
 * What RBAC rules look at: the connection (peer principal, destination port) and, for HTTP,
 * the request (normalized path, headers). A network RBAC filter sees a request with no path
 * and no headers; the translator rejects HTTP-only rules there.
 */
public interface RbacRequest {

  /** The authenticated peer principal (SPIFFE ID) of the connection, or {@code null} on plaintext. */
  String principal();

  /** The port the connection was accepted on (its original destination). */
  int destinationPort();

  /** The normalized request path without query, or {@code null} for a connection. */
  String path();

  /**
   * Every value of a header, one entry per header line, in order; pseudo-headers
   * ({@code :method}, {@code :path}, {@code :authority}, {@code :scheme}) have one value. Empty when
   * the header is absent.
   *
   * @param name lower-case header name
   */
  List<String> headerValues(String name);
}
