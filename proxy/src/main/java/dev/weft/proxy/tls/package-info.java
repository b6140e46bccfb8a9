/** TLS and mutual TLS: contexts from Envoy transport sockets, SPIFFE peer checks, the peer identity of a connection. */
package dev.weft.proxy.tls;
